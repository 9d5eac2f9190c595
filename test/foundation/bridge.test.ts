import test from 'ava';

import { type DType, DTypeError, InvalidArgumentError, ShapeError, Tensor, type TensorData } from '../../lib/index.js';
import { testDevice } from '../helpers/device.js';

const samples: Array<[DType, TensorData]> = [
  ['float32', new Float32Array([1.5, -2, 0, 3.25e-8, Number.MAX_VALUE > 1 ? 3.4e38 : 0, -0])],
  ['float64', new Float64Array([Math.PI, -1e300, 5e-324, 0, 1, -7])],
  // Raw half / bfloat16 bit patterns, including subnormals, infinities and the sign bit.
  ['float16', new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7c00, 0xfbff, 0x8000])],
  ['bfloat16', new Uint16Array([0x3f80, 0xc000, 0x0001, 0x7f80, 0xff7f, 0x8000])],
  ['int8', new Int8Array([-128, 127, 0, 1, -1, 42])],
  ['int16', new Int16Array([-32768, 32767, 0, 1, -1, 42])],
  ['int32', new Int32Array([-2147483648, 2147483647, 0, 1, -1, 42])],
  ['int64', new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n, 1n, -1n, 9007199254740993n])],
  ['uint8', new Uint8Array([0, 255, 1, 128, 7, 42])],
  ['bool', new Uint8Array([0, 1, 1, 0, 1, 0])],
];

for (const [dtype, data] of samples) {
  test(`round trip ${dtype} through Tensor.from / toArray on ${testDevice}`, async (t) => {
    const tensor = await Tensor.from(data, { shape: [2, 3], dtype, device: testDevice });
    t.deepEqual(tensor.shape, [2, 3]);
    t.is(tensor.dtype, dtype);
    const back = await tensor.toArray();
    t.is(back.constructor, data.constructor);
    t.deepEqual(Array.from(back as ArrayLike<number | bigint>), Array.from(data as ArrayLike<number | bigint>));
  });

  test(`round trip ${dtype} through Tensor.borrow / view (zero-copy)`, (t) => {
    const tensor = Tensor.borrow(data, { shape: [3, 2], dtype });
    const view = tensor.view();
    t.is(view.buffer, data.buffer, 'a view of borrowed memory is the same ArrayBuffer');
    t.deepEqual(Array.from(view as ArrayLike<number | bigint>), Array.from(data as ArrayLike<number | bigint>));
  });
}

test('16-bit floats are interpreted as IEEE half and bfloat16', async (t) => {
  const half = await Tensor.from(new Uint16Array([0x3c00, 0xc000, 0x3555]), { dtype: 'float16' });
  const bf = await Tensor.from(new Uint16Array([0x3f80, 0xc000, 0x4049]), { dtype: 'bfloat16' });
  const h = (await (await half.to('cpu', 'float32')).toArray()) as Float32Array;
  const b = (await (await bf.to('cpu', 'float32')).toArray()) as Float32Array;
  t.deepEqual(Array.from(h.subarray(0, 2)), [1, -2]);
  t.true(Math.abs(h[2]! - 0.33325) < 1e-4);
  t.deepEqual(Array.from(b.subarray(0, 2)), [1, -2]);
  t.true(Math.abs(b[2]! - 3.140625) < 1e-6);
});

test('Tensor.borrow shares memory in both directions', async (t) => {
  const data = new Float32Array([1, 2, 3, 4]);
  const tensor = Tensor.borrow(data, { shape: [2, 2] });
  data[0] = 100; // JS write seen by the tensor
  t.is(((await tensor.toArray()) as Float32Array)[0], 100);
  const view = tensor.view() as Float32Array;
  view[3] = -5; // write through the view seen by JS and the tensor
  t.is(data[3], -5);
  t.is(((await tensor.toArray()) as Float32Array)[3], -5);
});

test('borrow respects the byte offset of a subarray', async (t) => {
  const whole = new Int32Array([9, 9, 1, 2, 3, 9]);
  const tensor = Tensor.borrow(whole.subarray(2, 5));
  t.deepEqual(Array.from((await tensor.toArray()) as Int32Array), [1, 2, 3]);
  whole[3] = 20;
  t.deepEqual(Array.from((await tensor.toArray()) as Int32Array), [1, 20, 3]);
});

test('view of a native tensor shares its memory; toArray and from copy', async (t) => {
  const data = new Float32Array([1, 2, 3]);
  const tensor = await Tensor.from(data);
  data[0] = 42; // a copy: the tensor does not see it
  const copy = (await tensor.toArray()) as Float32Array;
  t.is(copy[0], 1);
  copy[1] = 77; // a copy: the tensor does not see it
  const view = tensor.view() as Float32Array;
  t.is(view[1], 2);
  view[2] = 9; // the view is the tensor's memory
  t.is(((await tensor.toArray()) as Float32Array)[2], 9);
  t.is(tensor.view(), view, 'one view per tensor (never two external buffers over one pointer)');
  tensor.dispose();
  t.is(view[2], 9, 'a view keeps the memory alive after dispose()');
});

test('empty tensors round trip', async (t) => {
  const tensor = await Tensor.from(new Float32Array(0), { shape: [0, 3] });
  t.deepEqual(tensor.shape, [0, 3]);
  t.is(((await tensor.toArray()) as Float32Array).length, 0);
});

test('shape and dtype mismatches are clear errors', async (t) => {
  await t.throwsAsync(Tensor.from(new Float32Array(5), { shape: [2, 3] }), {
    instanceOf: ShapeError,
    message: 'Expected 6 elements for shape [2, 3] but the Float32Array has 5',
  });
  await t.throwsAsync(Tensor.from(new Float32Array(4), { dtype: 'int32' }), {
    instanceOf: DTypeError,
    message: 'Expected Int32Array for data of dtype int32 but received Float32Array',
  });
  t.throws(() => Tensor.borrow(new Uint16Array(2)), { instanceOf: DTypeError, message: /float16' or 'bfloat16/ });
  await t.throwsAsync(Tensor.from(new Float32Array(4), { dtype: 'complex64' as DType }), {
    instanceOf: InvalidArgumentError,
    message: /Expected one of 'float32'.* for dtype but received 'complex64' of type string/,
  });
  await t.throwsAsync(Tensor.from(new Float32Array(4), { shape: [2, -2] }), {
    instanceOf: InvalidArgumentError,
    message: 'Expected integer >= 0 for shape[1] but received -2 of type number',
  });
  await t.throwsAsync(Tensor.from([1, 2, 3] as unknown as Float32Array), {
    instanceOf: InvalidArgumentError,
    message: 'Expected TypedArray for data but received an array',
  });
});
