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

test('a process exits cleanly right after native calls settle (no crash at teardown)', async (t) => {
  const { run } = await import('../helpers/run.js');
  const { join } = await import('node:path');
  const { packageRoot } = await import('../../lib/native/loader.js');
  // A streamed generation then exit, as the CLI does. A teardown race once aborted ~1 run in 4
  // (the compute thread touched the completion channel while the environment was being torn
  // down); 12 runs catch it with ~97% probability.
  const cli = join(packageRoot, 'dist', 'lib', 'cli', 'main.js');
  const model = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln');
  for (let i = 0; i < 12; i++) {
    const r = await run(process.execPath, [cli, 'generate', '--model', model, '--prompt', 'The jury said', '--max-new-tokens', '5']);
    t.is(r.code, 0, `run ${i}: exit ${r.code}: ${r.stderr.slice(-300)}`);
  }
  // process.exit() while a call is still running on the compute thread.
  const index = join(packageRoot, 'dist', 'lib', 'index.js');
  const early = `const m = await import(${JSON.stringify(index)}); const a = await m.randn([400, 400]); m.matmul(a, a); setImmediate(() => { console.log('ok'); process.exit(0); });`;
  const r = await run(process.execPath, ['--input-type=module', '-e', early]);
  t.is(r.code, 0, r.stderr.slice(-300));
});
