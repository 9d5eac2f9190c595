// Issue 15 item 11: OPT's dropout, attention_dropout and activation_dropout from config.json
// apply in training mode (where Hugging Face's modeling_opt.py applies them), in OPT and in the
// SLLM's LLM stack; eval outputs are unchanged.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { OPT, type OptConfig, readOptConfig, SLLM, Tokenizer, brownParagraphs, ParagraphDataset } from '../../lib/index.js';
import { padRows } from '../../lib/internal.js';
import { packageRoot } from '../../lib/native/loader.js';
import { testDevice } from '../helpers/device.js';

const setup = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, emaDecay: 0, amp: 'off' as const };
const shape: OptConfig = {
  vocabSize: 4104, hidden: 64, ffn: 128, layers: 2, heads: 4, maxPositions: 64, wordEmbedProjDim: 64, preNorm: true, finalNorm: true,
  padId: 1, bosId: 2, eosId: 2,
};

async function opt(dropout: Partial<OptConfig>, preNorm = true) {
  const tokenizer = await Tokenizer.builtin('gpt2-opt-4k');
  return OPT.create({ ...shape, preNorm, finalNorm: preNorm, ...dropout }, { tokenizer, device: testDevice, seed: 5 });
}

const rows = [Int32Array.from([2, 100, 200, 300, 400, 500, 600]), Int32Array.from([2, 700, 800, 900])];
const input = { inputIds: rows.map((r) => Array.from(r)) };

for (const preNorm of [true, false]) {
  test(`OPT (${preNorm ? 'pre' : 'post'}-LN): eval logits do not depend on dropout; in training two forwards differ with dropout and not without`, async (t) => {
    await using plain = await opt({}, preNorm);
    await using dropped = await opt({ dropout: 0.1, attentionDropout: 0.1, activationDropout: 0.1 }, preNorm);
    t.deepEqual((await dropped.forward(input)).logits, (await plain.forward(input)).logits, 'eval mode: identical');

    const batch = padRows(rows, 1);
    await plain.configureTraining(setup, 1);
    await dropped.configureTraining(setup, 1);
    const p1 = await plain.accumulate(batch, { gamma: 0, scale: 1 });
    const p2 = await plain.accumulate(batch, { gamma: 0, scale: 1 });
    t.is(p1.loss, p2.loss, 'dropout 0: two training forwards are identical');
    const d1 = await dropped.accumulate(batch, { gamma: 0, scale: 1 });
    const d2 = await dropped.accumulate(batch, { gamma: 0, scale: 1 });
    t.not(d1.loss, d2.loss, 'dropout 0.1: two training forwards differ');
    t.not(d1.loss, p1.loss, 'the training loss with dropout differs from without');
  });
}

test('each of the three probabilities acts on its own', async (t) => {
  const batch = padRows(rows, 1);
  for (const one of [{ dropout: 0.2 }, { attentionDropout: 0.2 }, { activationDropout: 0.2 }]) {
    await using m = await opt(one);
    await m.configureTraining(setup, 1);
    const a = await m.accumulate(batch, { gamma: 0, scale: 1 });
    const b = await m.accumulate(batch, { gamma: 0, scale: 1 });
    t.not(a.loss, b.loss, JSON.stringify(one));
  }
});

test('readOptConfig takes dropout, attention_dropout and activation_dropout from config.json (OPTConfig defaults when absent)', async (t) => {
  const fixture = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln');
  t.like(await readOptConfig(fixture), { dropout: 0.1, attentionDropout: 0, activationDropout: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'svae-opt-dropout-'));
  const raw = JSON.parse(readFileSync(join(fixture, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...raw, dropout: 0.25, attention_dropout: 0.05, activation_dropout: 0.02 }));
  t.like(await readOptConfig(dir), { dropout: 0.25, attentionDropout: 0.05, activationDropout: 0.02 });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...raw, dropout: 1.5 }));
  await t.throwsAsync(readOptConfig(dir), { message: /'dropout' in \[0, 1\)/ });
});

test("the SLLM's LLM stack applies OPT's dropout in training only", async (t) => {
  const make = (llm: Partial<OptConfig>) => SLLM.create({ svae: { preset: 'tiny', dropout: 0 }, llm: { layers: 2, ...llm }, device: testDevice, seed: 6 });
  await using plain = await make({});
  await using dropped = await make({ dropout: 0.2, attentionDropout: 0.2 });
  const paragraphs = await brownParagraphs(2);
  const data = await ParagraphDataset.fromParagraphs(paragraphs, plain.tokenizer, {});
  const pieces = Array.from({ length: data.size }, (_, i) => data.get(i));
  const h = async (m: SLLM) => {
    const t = await m.hidden(pieces);
    try {
      return Array.from((await t.toArray()) as Float32Array);
    } finally {
      t.dispose();
    }
  };
  t.deepEqual(await h(dropped), await h(plain), 'eval: identical');
  const batch = data.batches({ batchSize: data.size, seed: 1 }).next();
  await plain.configureTraining(setup, 1);
  await dropped.configureTraining(setup, 1);
  const p1 = await plain.accumulate(batch, { gamma: 2, scale: 1 });
  const p2 = await plain.accumulate(batch, { gamma: 2, scale: 1 });
  t.is(p1.loss, p2.loss);
  const d1 = await dropped.accumulate(batch, { gamma: 2, scale: 1 });
  const d2 = await dropped.accumulate(batch, { gamma: 2, scale: 1 });
  t.not(d1.loss, d2.loss);
  t.not(d1.loss, p1.loss);
  t.like(dropped.config.llm, { dropout: 0.2, attentionDropout: 0.2 });
});
