/**
 * save() folders are Hub-ready: a model card README.md (front matter, what it is, base model,
 * training when a Trainer exported it, how to load it); a README.md the user wrote is kept.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { SentenceVAE, SLLM, Trainer } from '../../lib/index.js';
import { tinySetup } from '../helpers/training.js';
import { LocalHub } from './localHub.js';
import { freshCache, makeTinyModels } from './models.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'svae-card-'));
const frontMatter = (card: string): string => /^---\n([\s\S]*?)\n---\n/.exec(card)?.[1] ?? '';

test('SLLM.save writes a model card with front matter and a fromPretrained snippet', async (t) => {
  await using sllm = await SLLM.create({ svae: { preset: 'tiny' }, llm: { layers: 2 } });
  const out = dir();
  await sllm.save(out);
  const card = readFileSync(join(out, 'README.md'), 'utf8');
  const fm = frontMatter(card);
  t.regex(fm, /^library_name: sentencevae$/m);
  t.regex(fm, /^tags:\n- sentencevae\n- sllm/m);
  t.regex(fm, /^pipeline_tag: text-generation$/m);
  t.notRegex(fm, /base_model/);
  t.regex(card, /SLLM\.fromPretrained\('ORG\/NAME'\)/);
  t.regex(card, /npx sentencevae generate --model hf:ORG\/NAME/);
  t.regex(card, /Not recorded/);
  t.regex(card, new RegExp(`Parameters: ${sllm.parameterCount.toLocaleString('en-US')}`));
  t.notRegex(card, /undefined|NaN/);
});

test('an SLLM grafted from a Hub OPT names it as base_model, and keeps it through load + save', async (t) => {
  const models = await makeTinyModels();
  const hub = await LocalHub.start();
  t.teardown(() => hub.close());
  hub.addRepo('tiny/opt', models.opt);
  const { resolvePretrained } = await import('../../lib/index.js');
  const optDir = await resolvePretrained('tiny/opt', 'OPT', { endpoint: hub.url, cacheDir: freshCache(), progress: false });
  await using sllm = await SLLM.fromOpt(optDir, { svae: { layers: 1 } });
  const first = dir();
  await sllm.save(first);
  t.regex(frontMatter(readFileSync(join(first, 'README.md'), 'utf8')), /^base_model: tiny\/opt$/m);
  t.is((JSON.parse(readFileSync(join(first, 'config.json'), 'utf8')) as { card: { baseModel: string } }).card.baseModel, 'tiny/opt');
  await using again = await SLLM.load(first);
  const second = dir();
  await again.save(second);
  t.regex(readFileSync(join(second, 'README.md'), 'utf8'), /^base_model: tiny\/opt$/m);
});

test("a README.md the user wrote is kept; a generated card is replaced; modelCard: false writes none", async (t) => {
  await using vae = await SentenceVAE.create({ preset: 'tiny' });
  const mine = dir();
  writeFileSync(join(mine, 'README.md'), '# my own words\n');
  await vae.save(mine);
  t.is(readFileSync(join(mine, 'README.md'), 'utf8'), '# my own words\n');

  const generated = dir();
  await vae.save(generated);
  const card = readFileSync(join(generated, 'README.md'), 'utf8');
  t.regex(frontMatter(card), /^pipeline_tag: feature-extraction$/m);
  t.regex(card, /SentenceVAE\.fromPretrained\('ORG\/NAME'\)/);
  const training = { steps: 3, tokensSeen: 120, elapsedSeconds: 7, recipe: 'default', baseLr: 0.001, globalBatch: 8, emaDecay: 0, best: undefined };
  await vae.save(generated, { training });
  t.regex(readFileSync(join(generated, 'README.md'), 'utf8'), /Trained with sentencevae's `Trainer`: 3 optimizer updates, 120 target tokens/);

  const none = dir();
  await vae.save(none, { modelCard: false });
  t.throws(() => readFileSync(join(none, 'README.md')));
});

test('folders a Trainer exports say how they were trained', async (t) => {
  const { vae, train } = await tinySetup(3);
  const out = dir();
  try {
    await new Trainer(vae, { out, maxSteps: 2, evalEvery: 0, checkpointEvery: 100, schedule: { baseLr: 1e-3, warmupSteps: 1 }, progress: false })
      .run({ batches: train.batches({ batchSize: 8, seed: 1 }) });
  } finally {
    vae.dispose();
  }
  const card = readFileSync(join(out, 'final', 'README.md'), 'utf8');
  t.regex(card, /Trained with sentencevae's `Trainer`: 2 optimizer updates, [\d,]+ target tokens, \d+ s of wall time, recipe 'default', peak learning rate 0\.001/);
  await using loaded = await SentenceVAE.load(join(out, 'final'));
  const again = dir();
  await loaded.save(again);
  t.regex(readFileSync(join(again, 'README.md'), 'utf8'), /2 optimizer updates/);
});
