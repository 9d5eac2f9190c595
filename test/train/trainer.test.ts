import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { readCheckpoint, SentenceVAE, Trainer, TrainingError, type SentenceBatch } from '../../lib/index.js';
import { packageRoot } from '../../lib/native/loader.js';
import { batchOf, tinySetup, weightsOf } from '../helpers/training.js';

const out = () => mkdtempSync(join(tmpdir(), 'svae-train-'));
const quiet = { progress: false, schedule: { baseLr: 3e-3, warmupSteps: 3, cosinePeriod: 50 } } as const;

test('EMA arithmetic: ema = d·ema + (1 - d)·w after each update (with the decay warm-up)', async (t) => {
  const { vae, held } = await tinySetup(2, 0);
  const w0 = await weightsOf(vae);
  await vae.configureTraining({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, emaDecay: 0.5, amp: 'off' }, 1);
  const batch = await batchOf(vae, held);
  await vae.accumulate(batch, { gamma: 2, scale: 1 });
  await vae.applyStep({ lr: 1e-2, clip: 0 });
  const w1 = await weightsOf(vae);
  const ema = await vae.withEma(() => weightsOf(vae));
  const d = Math.min(0.5, 2 / 11); // first update: (1 + 1) / (10 + 1)
  let worst = 0;
  for (const [k, a] of w0) {
    const b = w1.get(k)!;
    const e = ema.get(k)!;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(e[i]! - (d * a[i]! + (1 - d) * b[i]!)));
  }
  t.true(worst < 1e-6, `max deviation ${worst}`);
  t.deepEqual(await weightsOf(vae), w1, 'withEma swaps the live weights back');
  vae.dispose();
});

test('clipping: the first AdamW moment holds the clipped gradient', async (t) => {
  const { vae, held } = await tinySetup(3, 0);
  await vae.configureTraining({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, emaDecay: 0, amp: 'off' }, 1);
  await vae.accumulate(await batchOf(vae, held), { gamma: 2, scale: 1 });
  const clip = 0.05;
  const { gradNorm, skipped } = await vae.applyStep({ lr: 1e-3, clip });
  t.false(skipped);
  t.true(gradNorm > clip, `unclipped norm ${gradNorm}`);
  const snap = await vae.trainingSnapshot();
  let sq = 0;
  for (const [k, tensor] of snap.tensors) {
    if (!k.startsWith('optim.exp_avg.')) continue;
    for (const v of (await tensor.toArray()) as Float32Array) sq += v * v;
  }
  // exp_avg = (1 - β1) · g_clipped after one update.
  t.true(Math.abs(Math.sqrt(sq) - 0.1 * clip) < 1e-4 * clip + 1e-7, `|m| = ${Math.sqrt(sq)}, expected ${0.1 * clip}`);
  vae.dispose();
});

test('an interrupted and resumed run ends with the same weights as an uninterrupted one', async (t) => {
  const a = await tinySetup(5);
  const dirA = out();
  await new Trainer(a.vae, { ...quiet, out: dirA, maxSteps: 12, evalEvery: 0, checkpointEvery: 100, seed: 9, accumulation: 2 })
    .run({ batches: a.train.batches({ batchSize: 8, seed: 4 }) });
  const uninterrupted = await weightsOf(a.vae);

  const b = await tinySetup(5);
  const dirB = out();
  const controller = new AbortController();
  const first = await new Trainer(b.vae, { ...quiet, out: dirB, maxSteps: 12, evalEvery: 0, checkpointEvery: 100, seed: 9, accumulation: 2 })
    .run({ batches: b.train.batches({ batchSize: 8, seed: 4 }), signal: controller.signal, onStep: (r) => r.step === 5 && controller.abort() });
  t.is(first.stopped, 'aborted');
  t.is(first.step, 5);
  b.vae.dispose();

  // A fresh process would build the model anew (other seed: the checkpoint replaces everything).
  const c = await tinySetup(77);
  const second = await new Trainer(c.vae, { ...quiet, out: dirB, maxSteps: 12, evalEvery: 0, checkpointEvery: 100, seed: 9, accumulation: 2, resume: true })
    .run({ batches: c.train.batches({ batchSize: 8, seed: 4 }) });
  t.is(second.step, 12);
  t.deepEqual(await weightsOf(c.vae), uninterrupted, 'bitwise equal weights');
  a.vae.dispose();
  c.vae.dispose();
});

test('evaluation, metrics, curves, best and final exports', async (t) => {
  const { vae, train, held } = await tinySetup(6);
  const dir = out();
  const evals: number[] = [];
  const steps: { loss: number; tokens: number }[] = [];
  const result = await new Trainer(vae, { ...quiet, out: dir, maxSteps: 20, evalEvery: 10, logEvery: 5, emaDecay: 0.9 })
    .run({ batches: train.batches({ batchSize: 16, seed: 1 }), validation: held, onEval: (e) => evals.push(e.step), onStep: (r) => steps.push(r) });
  t.deepEqual(evals, [10, 20]);
  t.is(result.stopped, 'max-steps');
  t.truthy(result.best);
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step: number });
  t.deepEqual(lines.filter((l) => l.type === 'step').map((l) => l.step), [5, 10, 15, 20]);
  // A metrics line is the token-weighted mean of the updates since the previous line.
  const window = steps.slice(5, 10);
  const mean = window.reduce((a, r) => a + r.loss * r.tokens, 0) / window.reduce((a, r) => a + r.tokens, 0);
  const line10 = lines.find((l) => l.type === 'step' && l.step === 10) as unknown as { loss: number };
  t.true(Math.abs(line10.loss - mean) < 1e-9, `${line10.loss} vs ${mean}`);
  t.deepEqual(lines.filter((l) => l.type === 'eval').map((l) => l.step), [10, 20]);
  const svg = readFileSync(join(dir, 'curves.svg'), 'utf8');
  t.true(svg.startsWith('<svg') && svg.includes('<path'), 'the curve image has lines');
  const best = await SentenceVAE.load(join(dir, 'best'));
  const final = await SentenceVAE.load(join(dir, 'final'));
  t.is((await best.encode(['Hello.'])).length, 64);
  t.true(existsSync(join(dir, 'checkpoint.safetensors')));
  for (const m of [vae, best, final]) m.dispose();
});

test('non-finite steps are skipped and counted; too many in a row stop with the checkpoint intact', async (t) => {
  const { vae, train } = await tinySetup(7);
  const dir = out();
  let call = 0;
  // Poison micro-batches through the loss scale (what a NaN loss does natively), from update 6 on.
  const poisoned = new Proxy(vae, {
    get(target, key) {
      if (key === 'accumulate') {
        return (batch: SentenceBatch, o: { gamma: number; scale: number }) => {
          call++;
          return target.accumulate(batch, { ...o, scale: call === 3 || call > 6 ? Number.NaN : o.scale });
        };
      }
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const skips: number[] = [];
  const error = await t.throwsAsync(
    new Trainer(poisoned, { ...quiet, out: dir, maxSteps: 50, evalEvery: 0, checkpointEvery: 2, maxConsecutiveSkips: 4 })
      .run({ batches: train.batches({ batchSize: 8 }), onStep: (r) => r.skipped && skips.push(call) }),
    { instanceOf: TrainingError },
  );
  t.deepEqual(skips, [3, 7, 8, 9, 10], 'the fourth skip in a row is reported, then the run stops');
  t.regex(error.message, /4 steps in a row had a non-finite loss or gradient .*The last good checkpoint \(update 4\)/);
  t.is(error.checkpointStep, 4);
  const ck = await readCheckpoint(dir);
  t.is(ck!.state.step, 4);
  t.is(ck!.state.skippedSteps, 1);
  vae.dispose();
});

test('a checkpoint write killed midway leaves the previous checkpoint loadable', async (t) => {
  const dir = out();
  // A child writes a first checkpoint, reports it, then writes a large one and is killed mid-write.
  const script = `
    import { saveSafetensors, Tensor, randn } from '${join(packageRoot, 'dist', 'lib', 'index.js')}';
    import { writeCheckpoint } from '${join(packageRoot, 'dist', 'lib', 'train', 'checkpoint.js')}';
    const small = new Map([['w', await Tensor.from(new Float32Array([1, 2, 3]))]]);
    const state = { format: 1, step: 1, position: { epoch: 0, batch: 1 }, tokensSeen: 0, skippedSteps: 0, consecutiveSkips: 0, elapsedSeconds: 0, best: null, adamStep: 1, lossScale: 1 };
    await writeCheckpoint(${JSON.stringify(dir)}, small, { tensors: new Map(), adamStep: 1, lossScale: 1 }, state);
    const big = new Map();
    for (let i = 0; i < 40; i++) big.set('w' + i, await randn([1024, 1024], { seed: i }));
    console.log('first written');
    for (;;) await writeCheckpoint(${JSON.stringify(dir)}, big, { tensors: new Map(), adamStep: 2, lossScale: 1 }, { ...state, step: 2 });
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('first written') && resolve()));
  // Kill it while the 160 MB checkpoint is being written (the temp file is growing).
  // Polled until seen (the child rewrites the checkpoint forever, so a temp file keeps appearing);
  // the cap only guards a child that died. 500 polls were too few on a loaded CI machine.
  const tmpGrowing = async () => {
    for (let i = 0; i < 200_000 && child.exitCode === null; i++) {
      const { readdirSync } = await import('node:fs');
      const tmp = readdirSync(dir).find((f) => f.includes('.tmp-'));
      if (tmp && statSync(join(dir, tmp)).size > 1 << 20) return true;
      await new Promise((r) => setImmediate(r));
    }
    return false;
  };
  t.true(await tmpGrowing(), 'caught the write in progress');
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  const ck = await readCheckpoint(dir);
  t.truthy(ck, 'the checkpoint is still loadable');
  const step = ck!.state.step;
  t.true(step === 1 || step === 2, `a whole checkpoint (step ${step}), never a partial one`);
});

test('maxSeconds bounds the wall time of a run, checkpoints included', async (t) => {
  const { vae, train } = await tinySetup(8);
  const started = performance.now();
  const result = await new Trainer(vae, { ...quiet, out: out(), maxSteps: 100000, evalEvery: 0, checkpointEvery: 3, maxSeconds: 2 })
    .run({ batches: train.batches({ batchSize: 8 }) });
  const wall = (performance.now() - started) / 1000;
  t.is(result.stopped, 'max-seconds');
  // Checkpoints every 3 steps must not make the budget run out early (it once did: time counted twice).
  t.true(result.elapsedSeconds >= 2 && result.elapsedSeconds <= wall, `elapsed ${result.elapsedSeconds} s, wall ${wall} s`);
  vae.dispose();
});
