import test from 'ava';

import { DeviceError, matmul, NativeError, randn, resolveDevice, Tensor } from '../../lib/index.js';
import { addon } from '../../lib/native/loader.js';
import { callSync } from '../../lib/native/call.js';

test('a LibTorch error becomes a NativeError with a clean message and the caller stack', async (t) => {
  const a = await randn([2, 3]);
  const b = await randn([4, 5]);
  const error = await t.throwsAsync(matmul(a, b), { instanceOf: NativeError });
  t.regex(error.message, /cannot be multiplied|size mismatch|shapes/i);
  t.notRegex(error.message, /Exception raised from|frame #|\.cpp:/);
  t.is(error.code, 'ERR_SVAE_TORCH');
  t.regex(error.stack ?? '', /errors\.test\.(js|ts)/, 'the stack points at the calling test');
  // The process lives on: the next call works.
  const ok = await matmul(a, await randn([3, 2]));
  t.deepEqual(ok.shape, [2, 2]);
});

test('every kind of native exception is translated', (t) => {
  const torchError = t.throws(() => callSync(() => addon().throwForTest('torch')), { instanceOf: NativeError });
  t.is(torchError.message, 'deliberate c10::Error from the test hook');
  t.throws(() => callSync(() => addon().throwForTest('std')), {
    instanceOf: NativeError,
    message: 'deliberate std::runtime_error from the test hook',
  });
  t.throws(() => callSync(() => addon().throwForTest('unknown')), {
    instanceOf: NativeError,
    message: 'unknown native exception',
  });
});

test('unknown and unavailable devices are DeviceErrors', async (t) => {
  t.throws(() => resolveDevice('tpu'), {
    instanceOf: DeviceError,
    message: "Expected device 'cpu', 'cuda', 'cuda:N' or 'auto' but received 'tpu'",
  });
  t.throws(() => resolveDevice('cuda:x'), { instanceOf: DeviceError });
  t.is(resolveDevice('cpu'), 'cpu');
  await t.throwsAsync(Tensor.from(new Float32Array(1), { device: 'gpu' as 'cpu' }), { instanceOf: DeviceError });
  if (!addon().info().cudaAvailable) {
    t.is(resolveDevice('auto'), 'cpu');
    await t.throwsAsync(Tensor.from(new Float32Array(1), { device: 'cuda' }), {
      instanceOf: DeviceError,
      message: /Device 'cuda' was requested but (this addon was built against a CPU-only LibTorch|no CUDA device is visible)/,
    });
  } else {
    t.is(resolveDevice('auto'), 'cuda:0');
    t.throws(() => resolveDevice('cuda:99'), { instanceOf: DeviceError, message: /does not exist/ });
  }
});
