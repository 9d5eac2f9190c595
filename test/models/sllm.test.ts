import { mkdtempSync, readdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { brownParagraphs, DisposedError, FormatError, InvalidArgumentError, loadSafetensors, OPT, ParagraphDataset, segment, saveSafetensors, SLLM, Trainer, type SentenceEvent } from '../../lib/index.js';
import { packageRoot } from '../../lib/native/loader.js';
import { testDevice } from '../helpers/device.js';
import { maxAbsDiff } from '../helpers/sentences.js';

const tiny = { svae: { preset: 'tiny' as const, dropout: 0 }, llm: { layers: 2 }, device: testDevice };

const toFloats = async (t: { toArray(): Promise<unknown>; dispose(): void }) => {
  try {
    return (await t.toArray()) as Float32Array;
  } finally {
    t.dispose();
  }
};

test('causality: changing sentence j never changes the LLM output at positions i < j', async (t) => {
  await using sllm = await SLLM.create(tiny);
  const base = await sllm.pieces('The jury met. It said the vote was fine. Then it left early. Nobody cared.');
  t.is(base.length, 4);
  const h0 = await toFloats(await sllm.hidden([base]));
  const hsize = sllm.config.svae.hidden;
  for (let j = 1; j < base.length; j++) {
    const changed = [...base];
    changed[j] = (await sllm.pieces(' Something entirely different happened here, at length.'))[0]!;
    const h1 = await toFloats(await sllm.hidden([changed]));
    t.is(maxAbsDiff(h0.subarray(0, j * hsize), h1.subarray(0, j * hsize)), 0, `positions before ${j} are untouched`);
    t.true(maxAbsDiff(h0.subarray(j * hsize, (j + 1) * hsize), h1.subarray(j * hsize, (j + 1) * hsize)) > 1e-3, `position ${j} sees its own sentence`);
  }
});

test('target alignment: h_i is scored on sentence i+1 with its own length (decode NLL recomputed by hand)', async (t) => {
  await using sllm = await SLLM.create(tiny);
  // Sentence lengths differ a lot, so aligning with the previous sentence's mask would miscount.
  const text = 'Yes. The committee said the new building would open in the spring. No.';
  const pieces = await sllm.pieces(text);
  t.deepEqual(pieces.map((p) => p.length > 1), [true, true, true]);
  const e = await sllm.evaluate([text]);
  const expectedContent = pieces.slice(1).reduce((n, p) => n + p.length - 1, 0);
  t.is(e.contentTokens, expectedContent);
  t.is(e.tokens, expectedContent + 1);
  // By hand: decoder logits of sentence i+1 given h_i, log-softmax, NLL of [t1..tn, eos].
  const h = await toFloats(await sllm.hidden([pieces]));
  const hsize = sllm.config.svae.hidden;
  const { Tensor } = await import('../../lib/index.js');
  let content = 0, eos = 0;
  for (let i = 0; i + 1 < pieces.length; i++) {
    const target = pieces[i + 1]!;
    const memory = await Tensor.from(h.slice(i * hsize, (i + 1) * hsize), { shape: [1, hsize] });
    const logits = await toFloats(await sllm.decoderLogits([target], memory));
    memory.dispose();
    const v = sllm.config.svae.vocabSize;
    for (let p = 0; p < target.length; p++) {
      const row = logits.subarray(p * v, (p + 1) * v);
      let max = -Infinity;
      for (const x of row) if (x > max) max = x;
      let z = 0;
      for (const x of row) z += Math.exp(x - max);
      const goal = p + 1 < target.length ? target[p + 1]! : sllm.config.svae.eosId;
      const nll = -(row[goal]! - max - Math.log(z));
      if (p + 1 < target.length) content += nll;
      else eos += nll;
    }
  }
  t.true(Math.abs(content - e.nll.content) < 1e-3 * Math.max(1, content), `content ${content} vs ${e.nll.content}`);
  t.true(Math.abs(eos - e.nll.eos) < 1e-3 * Math.max(1, eos), `eos ${eos} vs ${e.nll.eos}`);
});

test('incremental sentence steps equal the full forward; a batch of prompts equals each prompt alone', async (t) => {
  await using sllm = await SLLM.create(tiny);
  const prompts = ['The jury met. It said the vote was fine.', 'Hello there.'];
  const options = { maxSentences: 3, maxSentenceTokens: 6, ignoreStop: true, withVectors: true };
  const events = [];
  for await (const e of sllm.generate(prompts, options)) events.push(e);
  t.is(events.length, 6);
  const hsize = sllm.config.svae.hidden;
  for (let row = 0; row < prompts.length; row++) {
    const mine = events.filter((e) => e.row === row);
    const promptPieces = await sllm.pieces(prompts[row]!);
    const generated = mine.map((e) => Int32Array.from([sllm.tokenizer.bosId, ...e.ids]));
    const h = await toFloats(await sllm.hidden([[...promptPieces, ...generated]]));
    mine.forEach((e, k) => {
      const at = promptPieces.length - 1 + k;
      t.true(maxAbsDiff(e.hidden!, h.subarray(at * hsize, (at + 1) * hsize)) <= 1e-4, `row ${row} sentence ${k + 1}: cached h = full h`);
    });
    const alone = [];
    for await (const e of sllm.generate(prompts[row]!, options)) alone.push(e);
    t.deepEqual(alone.map((e) => Array.from(e.ids)), mine.map((e) => Array.from(e.ids)), `row ${row}: batched = alone`);
    alone.forEach((e, k) => t.true(maxAbsDiff(e.hidden!, mine[k]!.hidden!) <= 1e-4));
  }
});

test('a tiny SLLM overfits paragraphs: given the first sentence it regenerates the rest exactly and stops; re-encoding = encoding the text', async (t) => {
  const paragraphs = await brownParagraphs(3);
  await using sllm = await SLLM.create({ ...tiny, seed: 3 });
  const data = await ParagraphDataset.fromParagraphs(paragraphs, sllm.tokenizer, {});
  t.is(data.size, 3);
  await sllm.configureTraining({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, emaDecay: 0, amp: 'off' }, 1);
  const batches = data.batches({ batchSize: 3, seed: 1 });
  for (let step = 0; step < 300; step++) {
    await sllm.accumulate(batches.next(), { gamma: 2, scale: 1 });
    await sllm.applyStep({ lr: 3e-3, clip: 1 });
  }
  const e = await sllm.evaluate(data);
  t.is(e.stopAccuracy, 1);
  t.is(e.tokenAccuracy, 1);
  for (const p of paragraphs) {
    const [first, ...rest] = segment(p);
    const got = [];
    for await (const s of sllm.generate(first!, { maxSentences: 8, withVectors: true })) got.push(s);
    t.deepEqual(got.map((s) => s.text), rest, 'the rest of the paragraph, then stop');
    for (const s of got) {
      const fromText = await sllm.encode([s.text]);
      t.true(maxAbsDiff(s.vector!, fromText) <= 1e-5, 're-encoding a generated sentence = encoding its text');
    }
  }
});

test('generate: maxTokens cuts the last sentence, maxSentences, AbortSignal and onSentence', async (t) => {
  await using sllm = await SLLM.create(tiny);
  const seen: SentenceEvent[] = [];
  const got = await sllm.generateText(['It was late.'], { maxTokens: 10, maxSentenceTokens: 4, ignoreStop: true, onSentence: (e) => seen.push(e) });
  // Untrained: no eos within 4 tokens, so sentences of 4, 4, then the third cut to 2.
  t.deepEqual(seen.map((e) => e.ids.length), [4, 4, 2]);
  t.is(seen.reduce((n, e) => n + e.ids.length, 0), 10);
  t.true(seen.at(-1)!.truncated);
  t.is(got[0], seen.map((e) => e.text).join(''));
  const events = [];
  for await (const e of sllm.generate('It was late.', { maxSentences: 2, maxSentenceTokens: 3, ignoreStop: true })) events.push(e);
  t.is(events.length, 2);
  const controller = new AbortController();
  const aborted = [];
  // An abort stops at once and rejects with the signal's reason (an AbortError by default).
  const abortError = await (async () => {
    for await (const e of sllm.generate('It was late.', { maxSentences: 10, maxSentenceTokens: 3, ignoreStop: true, signal: controller.signal })) {
      aborted.push(e);
      controller.abort();
    }
  })().then(() => undefined, (error: unknown) => error);
  t.is((abortError as Error | undefined)?.name, 'AbortError');
  t.is(aborted.length, 1);
});

test('bad inputs are clear errors; disposed models refuse calls', async (t) => {
  const sllm = await SLLM.create(tiny);
  await t.throwsAsync(async () => { for await (const _ of sllm.generate('')) void _; }, { instanceOf: InvalidArgumentError, message: /empty/ });
  await t.throwsAsync(async () => { for await (const _ of sllm.generate('Hi.', { maxSentences: 0 })) void _; }, { instanceOf: InvalidArgumentError, message: /maxSentences/ });
  await t.throwsAsync(async () => { for await (const _ of sllm.generate('Hi.', { maxSentences: 500 })) void _; }, { message: /positions/ });
  await t.throwsAsync(SLLM.create({ ...tiny, llm: { hidden: 96, heads: 4 } }), { message: /hidden size/ });
  sllm.dispose();
  await t.throwsAsync(sllm.evaluate(['A. B.']), { instanceOf: DisposedError });
});

test('fromOpt grafts OPT layers (pre-LN and post-LN with 512-style projections dropped); save -> load is identical', async (t) => {
  for (const variant of ['pre-ln', 'post-ln-proj']) {
    const dir = join(packageRoot, 'test', 'fixtures', 'opt', variant);
    await using opt = await OPT.load(dir, { device: testDevice });
    await using sllm = await SLLM.fromOpt(dir, { svae: { layers: 1, dropout: 0 }, device: testDevice });
    t.is(sllm.config.svae.hidden, opt.config.hidden);
    const ours = sllm.namedTensors();
    for (const [name, w] of opt.namedTensors()) {
      const mapped = name.replace(/^decoder\./, 'llm.');
      if (/embed_tokens|project_(in|out)/.test(name)) {
        t.false(ours.has(mapped), `${name} is not part of an SLLM`);
      } else {
        t.is(maxAbsDiff(await w.toArray() as Float32Array, await ours.get(mapped)!.toArray() as Float32Array), 0, `${mapped} = OPT's ${name}`);
      }
      w.dispose();
    }
    for (const w of ours.values()) w.dispose();
    const out = mkdtempSync(join(tmpdir(), 'svae-sllm-'));
    await sllm.save(out);
    await using again = await SLLM.load(out, { device: testDevice });
    const pieces = await sllm.pieces('One. Two sentences here. And three.');
    t.is(maxAbsDiff(await toFloats(await sllm.hidden([pieces])), await toFloats(await again.hidden([pieces]))), 0);
  }
  const dir = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln');
  await t.throwsAsync(SLLM.fromOpt(dir, { svae: { hidden: 128, heads: 4 } }), { instanceOf: InvalidArgumentError, message: /must equal OPT's hidden_size \(64\)/ });
  // A checkpoint that lacks a layer's weight is an error, not a silently random layer.
  const partial = mkdtempSync(join(tmpdir(), 'svae-opt-partial-'));
  for (const f of readdirSync(dir)) if (!['pytorch_model.bin', 'model.safetensors', 'reference.safetensors'].includes(f)) copyFileSync(join(dir, f), join(partial, f));
  const weights = await loadSafetensors(join(dir, 'model.safetensors'));
  const dropped = [...weights.keys()].find((k) => k.endsWith('layers.1.fc2.weight'))!;
  weights.get(dropped)!.dispose();
  weights.delete(dropped);
  await saveSafetensors(join(partial, 'model.safetensors'), weights);
  for (const w of weights.values()) w.dispose();
  await t.throwsAsync(SLLM.fromOpt(partial), { instanceOf: FormatError, message: /missing llm\.layers\.1\.fc2\.weight/ });
});

test('freezing: frozen parts keep their weights through training; the Trainer runs an SLLM (eval, best/, final/)', async (t) => {
  const copy = mkdtempSync(join(tmpdir(), 'svae-optcopy-'));
  const src = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln');
  for (const f of readdirSync(src)) if (f !== 'pytorch_model.bin' && f !== 'reference.safetensors') copyFileSync(join(src, f), join(copy, f));
  await using sllm = await SLLM.fromOpt(copy, { freezeLlm: true, svae: { layers: 1 }, device: testDevice });
  const before = await sllm.namedTensors().get('llm.layers.0.fc1.weight')!.toArray();
  const enc = await sllm.namedTensors().get('encoder.layers.0.ffn.fc1.weight')!.toArray();
  const data = await ParagraphDataset.fromParagraphs(await brownParagraphs(4), sllm.tokenizer, {});
  const out = mkdtempSync(join(tmpdir(), 'svae-sllm-run-'));
  const trainer = new Trainer(sllm, { out, maxSteps: 4, evalEvery: 2, emaDecay: 0, progress: false, schedule: { baseLr: 1e-3, warmupSteps: 1 } });
  const result = await trainer.run({ batches: data.batches({ batchSize: 2 }), validation: data });
  t.is(result.step, 4);
  t.true(Number.isFinite(result.lastEval!.ppl));
  t.deepEqual(await sllm.namedTensors().get('llm.layers.0.fc1.weight')!.toArray(), before, 'frozen OPT layers unchanged');
  t.notDeepEqual(await sllm.namedTensors().get('encoder.layers.0.ffn.fc1.weight')!.toArray(), enc, 'the SentenceVAE trained');
  t.true(SLLM.isSllmFolder(join(out, 'final')));
  t.true(SLLM.isSllmFolder(join(out, 'best')));
});

test('OPT.evaluate on paragraphs scores exactly the tokens SLLM.evaluate scores', async (t) => {
  const dir = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln');
  await using opt = await OPT.load(dir, { device: testDevice });
  await using sllm = await SLLM.fromOpt(dir, { device: testDevice });
  const data = await ParagraphDataset.fromParagraphs(await brownParagraphs(5), sllm.tokenizer, {});
  const a = await opt.evaluate(data);
  const b = await sllm.evaluate(data);
  t.is(a.tokens, b.tokens);
  t.true(Number.isFinite(a.ppl) && Number.isFinite(b.ppl) && Number.isFinite(a.contentPpl));
});
