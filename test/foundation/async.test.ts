import test from 'ava';

import { matmul, randn, Tensor } from '../../lib/index.js';

test('the event loop keeps ticking during a long native call', async (t) => {
  const a = await randn([1200, 1200], { seed: 1 });
  let ticks = 0;
  let running = true;
  const tick = () => {
    ticks++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  // Several chained products: long enough that a blocked loop would record no ticks at all.
  let x = a;
  for (let i = 0; i < 4; i++) x = await matmul(x, a);
  running = false;
  t.true(ticks > 4, `the loop ticked ${ticks} times while native code ran`);
  t.deepEqual(x.shape, [1200, 1200]);
});

test('native calls return Promises and can run concurrently', async (t) => {
  const tensors = await Promise.all([1, 2, 3, 4].map((seed) => randn([64, 64], { seed })));
  const products = await Promise.all(tensors.map((x) => matmul(x, x)));
  t.is(products.length, 4);
  const same = await Promise.all([randn([8], { seed: 5 }), randn([8], { seed: 5 })]);
  t.deepEqual(await same[0]!.toArray(), await same[1]!.toArray(), 'a seed gives the same numbers');
  t.true(tensors.every((x) => x instanceof Tensor));
});
