/**
 * A fuzz worker: builds its fixtures once (tiny models, saved folders, small files), then runs
 * the cases the parent sends over IPC, one at a time, answering each with its outcome:
 * 'ok' (the call was accepted), 'typed' (an instance of SentenceVaeError), 'untyped' (anything
 * else). Crashes and hangs are the parent's to see (it kills and replaces this process).
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { fileTargets, prepareDamaged } from './files.mjs';
import { apiTargets, extraHostile } from './targets.mjs';
import { mutate, rng } from './values.mjs';

const root = process.env.FUZZ_ROOT;
const workDir = process.env.FUZZ_WORKDIR;
// The public API plus the internal readers (lib/internal.ts: not exported from the package root,
// still fuzzed: they read hostile files).
const lib = {
  ...(await import(pathToFileURL(join(root, 'dist', 'lib', 'index.js')).href)),
  ...(await import(pathToFileURL(join(root, 'dist', 'lib', 'internal.js')).href)),
};
const { packageRoot } = await import(pathToFileURL(join(root, 'dist', 'lib', 'native', 'loader.js')).href);

/**
 * The case running now (and the last one): an error that escapes a call (an uncaught exception,
 * an unhandled rejection) is attributed to it and makes its outcome 'untyped'.
 */
let current;
let last;
const escaped = (via) => (error) => {
  if (current) current.escaped ??= { error, via };
  else if (last) report({ ...last, stray: true }, 'untyped', error, `${via} after the case ended`);
};
process.on('uncaughtException', escaped('uncaught exception'));
process.on('unhandledRejection', escaped('unhandled rejection'));

function report(c, outcome, error, via) {
  const typed = error instanceof lib.SentenceVaeError;
  const message = error instanceof Error ? error.message : String(error);
  process.send({
    type: c.stray ? 'stray' : 'result', id: c.id, target: c.target, seed: c.seed, outcome, via,
    error: error === undefined ? undefined : { name: error?.constructor?.name ?? typeof error, message: message.slice(0, 400), typed, stack: typed ? undefined : String(error?.stack ?? '').split('\n').slice(0, 6).join('\n') },
    mutation: c.mutation,
  });
}

async function setup() {
  mkdirSync(workDir, { recursive: true });
  const fixtures = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln');
  const optDir = join(workDir, 'opt');
  const optBinDir = join(workDir, 'opt-bin');
  mkdirSync(optDir, { recursive: true });
  mkdirSync(optBinDir, { recursive: true });
  for (const f of readdirSync(fixtures)) {
    if (f === 'reference.safetensors') continue;
    if (f !== 'pytorch_model.bin') copyFileSync(join(fixtures, f), join(optDir, f));
    if (f !== 'model.safetensors') copyFileSync(join(fixtures, f), join(optBinDir, f));
  }
  const textFile = join(workDir, 'corpus.txt');
  writeFileSync(textFile, 'The jury met. It said the vote was fine.\n\nNobody came, and then it rained.\nIt was late!\n\nYes. No? Maybe.\n');
  const jsonlFile = join(workDir, 'corpus.jsonl');
  writeFileSync(jsonlFile, '{"text": "The jury met. It said yes."}\n\n{"text": "Nobody came."}\n');
  const vae = await lib.SentenceVAE.create({ preset: 'tiny', config: { dropout: 0 }, seed: 1 });
  const svaeDir = join(workDir, 'svae');
  await vae.save(svaeDir);
  const sllm = await lib.SLLM.create({ svae: { preset: 'tiny', dropout: 0 }, llm: { layers: 1 }, seed: 1 });
  const sllmDir = join(workDir, 'sllm');
  await sllm.save(sllmDir);
  const opt = await lib.OPT.load(optDir);
  // A training checkpoint of a separate tiny model (one update).
  const checkpointDir = join(workDir, 'checkpoint');
  {
    const small = await lib.SentenceVAE.create({ preset: 'tiny', config: { dropout: 0, layers: 1 }, seed: 2 });
    const data = await lib.SentenceDataset.fromParagraphs(['The jury met. It said yes.', 'Nobody came.'], small.tokenizer);
    await new lib.Trainer(small, { out: checkpointDir, maxSteps: 1, evalEvery: 0, progress: false, schedule: { baseLr: 1e-4, warmupSteps: 1 } })
      .run({ batches: data.batches({ batchSize: 2 }) });
    small.dispose();
  }
  for (const d of ['best', 'final', 'metrics.jsonl', 'curves.svg']) rmSync(join(checkpointDir, d), { recursive: true, force: true });
  const { readZipDirectory, readZipEntry } = await import(pathToFileURL(join(root, 'dist', 'lib', 'io', 'zip.js')).href);
  const binFile = join(optBinDir, 'pytorch_model.bin');
  const entries = await readZipDirectory(binFile);
  const pickle = await readZipEntry(binFile, entries.find((e) => e.name.endsWith('data.pkl')));
  let caseCounter = 0;
  let caseDirPath;
  let sentenceDataset;
  let paragraphDataset;
  const ctx = {
    lib, tokenizer: vae.tokenizer, vae, sllm, opt, optDir, optBinDir, svaeDir, sllmDir, checkpointDir, textFile, jsonlFile, binFile, pickle,
    safetensorsFile: join(optDir, 'model.safetensors'),
    caseDir: () => caseDirPath,
    newCaseDir: () => {
      caseDirPath = join(workDir, 'cases', String(caseCounter++));
      mkdirSync(caseDirPath, { recursive: true });
      return caseDirPath;
    },
    sentenceDataset: async () => (sentenceDataset ??= await lib.SentenceDataset.fromParagraphs(['The jury met. It said yes.', 'Nobody came. Then rain.'], vae.tokenizer)),
    paragraphDataset: async () => (paragraphDataset ??= await lib.ParagraphDataset.fromParagraphs(['The jury met. It said yes.', 'Nobody came. Then rain.'], vae.tokenizer, { minSentences: 1 })),
  };
  ctx.newCaseDir();
  return ctx;
}

/** Uses what a call returned: iterates async iterators a little, disposes disposables. */
async function consume(value) {
  if (value && typeof value[Symbol.asyncIterator] === 'function') {
    let n = 0;
    for await (const item of value) {
      await consume(item);
      if (++n >= 20) break;
    }
    return;
  }
  if (value instanceof lib.Tensor) {
    await value.toArray();
    value.dispose();
    return;
  }
  if (Array.isArray(value)) for (const v of value) await consume(v);
  else if (value instanceof Map) for (const v of value.values()) await consume(v);
  else if (value && typeof value.dispose === 'function' && value !== ctx.vae && value !== ctx.sllm && value !== ctx.opt && value !== ctx.tokenizer) value.dispose();
}

const ctx = await setup();
const api = apiTargets(ctx);
const files = fileTargets(ctx);
const targets = new Map([...api, ...files].map((t) => [t.name, t]));
process.send({ type: 'ready', targets: [...targets.keys()] });

async function runCase(c) {
  const target = targets.get(c.target);
  const r = rng(c.seed);
  const dir = ctx.newCaseDir();
  if (target.load) {
    const folder = join(dir, 'model');
    c.mutation = prepareDamaged(target, folder, r);
    process.send({ type: 'started', id: c.id, mutation: c.mutation });
    return consume(await target.load(folder));
  }
  const args = await target.args();
  // One case in eight keeps the valid call: the baseline must pass, or the target is broken.
  c.mutation = r.chance(0.125) ? 'none (valid call)' : mutate(args, r, await extraHostile(ctx));
  process.send({ type: 'started', id: c.id, mutation: c.mutation });
  return consume(await target.call(args));
}

process.on('message', async (c) => {
  if (c.type !== 'case') return;
  current = c;
  let outcome;
  let caught;
  try {
    await runCase(c);
    outcome = 'ok';
  } catch (error) {
    caught = error;
    outcome = error instanceof lib.SentenceVaeError ? 'typed' : 'untyped';
  }
  // Let errors of fire-and-forget work surface before the case is closed.
  await new Promise((resolve) => setImmediate(resolve));
  try {
    rmSync(ctx.caseDir(), { recursive: true, force: true });
  } catch {
    // a case may leave a file we cannot remove; the parent removes the whole folder at the end
  }
  current = undefined;
  last = c;
  if (c.escaped) report(c, 'untyped', c.escaped.error, c.escaped.via);
  else report(c, outcome, caught);
});
