import test from 'ava';

import { DisposedError, matmul, randn, Tensor } from '../../lib/index.js';

test('dispose is idempotent and later use throws DisposedError', async (t) => {
  const x = await randn([3, 3]);
  x.dispose();
  t.notThrows(() => x.dispose());
  t.true(x.disposed);
  t.throws(() => x.shape, { instanceOf: DisposedError, message: 'This Tensor has been disposed' });
  await t.throwsAsync(x.toArray(), { instanceOf: DisposedError });
  await t.throwsAsync(matmul(x, x), { instanceOf: DisposedError });
});

test('a tensor disposed while a call on it is in flight stays valid for that call', async (t) => {
  const data = new Float32Array(512 * 512).fill(1);
  const x = Tensor.borrow(data, { shape: [512, 512] });
  const pending = matmul(x, x);
  x.dispose(); // the call holds its own reference to the tensor and to the borrowed memory
  const y = await pending;
  t.is(((await y.toArray()) as Float32Array)[0], 512);
});

test('await using disposes at the end of the scope', async (t) => {
  let escaped: Tensor | undefined;
  {
    await using x = await randn([2]);
    escaped = x;
    t.false(x.disposed);
  }
  t.true(escaped.disposed);
});
