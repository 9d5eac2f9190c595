import { availableParallelism } from 'node:os';

import test from 'ava';

import { getThreads, info, InvalidArgumentError, setThreads } from '../../lib/index.js';

test('info() describes the build and the machine', (t) => {
  const i = info();
  t.regex(i.libtorchVersion, /^\d+\.\d+\.\d+$/);
  t.is(i.devices[0]?.name, 'cpu');
  t.is(i.devices.filter((d) => d.kind === 'cuda').length > 0, i.cudaAvailable);
  t.is(i.buildSystem, process.env.SENTENCEVAE_EXPECT_BUILD_SYSTEM ?? 'cmake-js');
  t.true(i.torchSource.length > 0);
  t.is(typeof i.distributedBuilt, 'boolean');
  t.true(Array.isArray(i.blasLibraries));
  t.is(i.napiVersion, 8);
  t.regex(i.buildConfig, /PyTorch built with/);
});

test('threads default to the available cores and are configurable', (t) => {
  const expected = Number(process.env.SENTENCEVAE_THREADS) || availableParallelism();
  t.is(getThreads(), expected);
  t.is(info().threads, expected);
  setThreads(1);
  t.is(getThreads(), 1);
  setThreads(expected);
  t.throws(() => setThreads(0), { instanceOf: InvalidArgumentError, message: 'Expected integer between 1 and 4096 for threads but received 0 of type number' });
});
