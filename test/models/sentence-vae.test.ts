import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { DTypeError, FormatError, InvalidArgumentError, padSentences, SentenceVAE, Tensor } from '../../lib/index.js';
import { testDevice } from '../helpers/device.js';
import { brownSentences, maxAbsDiff } from '../helpers/sentences.js';

const create = (seed = 1) => SentenceVAE.create({ preset: 'tiny', config: { dropout: 0 }, seed, device: testDevice });
const texts = ['The jury said it did find that many of Georgia\'s registration laws are outmoded,', ' Hello.', ' A short one,', ' and one more sentence that is a little longer than the others.'];

test('shapes and dtypes of encode and decode', async (t) => {
  await using vae = await create();
  const v = await vae.encode(texts);
  t.true(v instanceof Float32Array);
  t.is(v.length, texts.length * 128);
  const tensor = await vae.encodeToTensor(texts);
  t.deepEqual(tensor.shape, [texts.length, 128]);
  t.is(tensor.dtype, 'float32');
  const out = await vae.decode(v, { maxTokens: 5 });
  t.is(out.length, texts.length);
  const { ids } = await vae.decodeIds(tensor, { maxTokens: 5 });
  t.true(ids.every((x) => x.length <= 5 && x.every((id) => id >= 0 && id < vae.config.tokenizerSize)));
  t.is(vae.parameterCount, 1908736);
});

test('bfloat16 models run on the CPU; float16 needs CUDA', async (t) => {
  await using bf = await SentenceVAE.create({ preset: 'tiny', dtype: 'bfloat16', device: testDevice });
  const omega = await bf.encodeToTensor(['Hello.']);
  t.is(omega.dtype, 'bfloat16');
  t.is((await bf.encode(['Hello.'])).length, 128);
  if (testDevice === 'cpu') {
    await t.throwsAsync(SentenceVAE.create({ preset: 'tiny', dtype: 'float16' }), { instanceOf: DTypeError, message: /float16 models need a CUDA device/ });
  }
});

test('pad invariance: a sentence alone or inside a padded batch gives the same vector (1e-5)', async (t) => {
  await using vae = await create();
  const batch = await vae.encode(texts);
  for (let i = 0; i < texts.length; i++) {
    const alone = await vae.encode([texts[i]!]);
    t.true(maxAbsDiff(alone, batch.subarray(i * 128, (i + 1) * 128)) <= 1e-5, `sentence ${i}`);
  }
});

test('KV-cached decoding gives the tokens and (1e-5) the logits of full recomputation', async (t) => {
  await using vae = await create(3);
  const omega = await vae.encodeToTensor(texts);
  const { ids, logits } = await vae.decodeIds(omega, { maxTokens: 12, withLogits: true });
  const steps = logits!.shape[1]!;
  const vocab = vae.config.vocabSize;
  // Teacher-force [bos, generated...] with the general cross-attention.
  const inputs = ids.map((row) => Int32Array.from([vae.config.bosId, ...Array.from(row).slice(0, steps - 1)]));
  const full = await vae.logits(inputs, omega, { shortcut: false });
  const cached = (await logits!.toArray()) as Float32Array;
  const recomputed = (await full.toArray()) as Float32Array;
  const L = full.shape[1]!;
  let worst = 0;
  inputs.forEach((row, b) => {
    for (let s = 0; s < row.length; s++) {
      const c = cached.subarray((b * steps + s) * vocab, (b * steps + s + 1) * vocab);
      const f = recomputed.subarray((b * L + s) * vocab, (b * L + s + 1) * vocab);
      const finite = (x: number) => Number.isFinite(x);
      worst = Math.max(worst, maxAbsDiff(Array.from(c).filter(finite), Array.from(f).filter(finite)));
      let argmax = 0;
      for (let v = 1; v < vocab; v++) if (f[v]! > f[argmax]!) argmax = v;
      if (s < ids[b]!.length) t.is(argmax, ids[b]![s]!, `row ${b} step ${s}`);
    }
  });
  t.true(worst <= 1e-5, `max |cached - full| = ${worst}`);
});

test('the single-key cross-attention shortcut equals the general cross-attention', async (t) => {
  for (const norm of ['pre', 'post'] as const) {
    await using vae = await SentenceVAE.create({ preset: 'tiny', config: { dropout: 0, norm, layers: 2 }, seed: 5, device: testDevice });
    const omega = await vae.encodeToTensor(texts);
    const general = (await (await vae.logits(texts, omega, { shortcut: false })).toArray()) as Float32Array;
    const shortcut = (await (await vae.logits(texts, omega, { shortcut: true })).toArray()) as Float32Array;
    const diff = maxAbsDiff(general, shortcut);
    t.true(diff <= 1e-5, `${norm}-LN: max difference ${diff}`);
  }
});

test('sampling: seeded, top-k = 1 is greedy, rows stop independently', async (t) => {
  await using vae = await create(2);
  const omega = await vae.encodeToTensor(texts);
  const a = await vae.decode(omega, { sample: true, seed: 7, temperature: 1.5 });
  const b = await vae.decode(omega, { sample: true, seed: 7, temperature: 1.5 });
  t.deepEqual(a, b, 'same seed, same text');
  const c = await vae.decode(omega, { sample: true, seed: 8, temperature: 1.5 });
  t.notDeepEqual(a, c);
  t.deepEqual(await vae.decode(omega, { sample: true, topK: 1, seed: 3 }), await vae.decode(omega), 'top-k 1 = greedy');
  t.deepEqual(await vae.decode(omega, { sample: true, topP: 0, seed: 3 }), await vae.decode(omega), 'top-p 0 = greedy');
});

test('a tiny model overfits 32 Brown sentences to 100% exact reconstruction', async (t) => {
  await using vae = await create(1);
  const sentences = await brownSentences(vae.tokenizer, 32, 24);
  const batch = padSentences(await vae.tokenize(sentences), { padId: vae.config.padId });
  let exact = 0;
  let steps = 0;
  while (steps < 200 && exact < 1) {
    for (let k = 0; k < 25; k++, steps++) await vae.trainStep(batch, { lr: 3e-3 });
    exact = (await vae.evaluate(sentences)).exactMatch;
  }
  t.is(exact, 1, `exact match ${exact} after ${steps} steps`);
  t.deepEqual(await vae.reconstruct(sentences), sentences);
});

test('save -> load gives identical outputs', async (t) => {
  await using vae = await create(4);
  const dir = mkdtempSync(join(tmpdir(), 'svae-save-'));
  await vae.save(dir);
  await using loaded = await SentenceVAE.load(dir, { device: testDevice });
  t.deepEqual(loaded.config, vae.config);
  t.deepEqual(await loaded.encode(texts), await vae.encode(texts));
  t.deepEqual(await loaded.decode(await loaded.encode(texts)), await vae.decode(await vae.encode(texts)));
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  t.is(config.architecture, 'SentenceVAE');
});

test('corrupted files and mismatched configs are clear errors', async (t) => {
  await using vae = await create(4);
  const dir = mkdtempSync(join(tmpdir(), 'svae-bad-'));
  await vae.save(dir);
  const configPath = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;

  writeFileSync(configPath, JSON.stringify({ ...config, ffn: 512 }));
  await t.throwsAsync(SentenceVAE.load(dir), { instanceOf: FormatError, message: /weights do not match the config: wrong shape for .*fc1\.weight \[256, 128\] \(expected \[512, 128\]\)/ });
  writeFileSync(configPath, JSON.stringify({ ...config, layers: 2 }));
  await t.throwsAsync(SentenceVAE.load(dir), { instanceOf: FormatError, message: /weights do not match the config: missing encoder\.layers\.1\.self_attn\.q_proj\.weight/ });
  writeFileSync(configPath, JSON.stringify({ ...config, heads: 'four' }));
  await t.throwsAsync(SentenceVAE.load(dir), { instanceOf: FormatError, message: /Expected integer >= 1 for .*config\.json\.heads but received 'four'/ });
  writeFileSync(configPath, '{ not json');
  await t.throwsAsync(SentenceVAE.load(dir), { instanceOf: FormatError, message: /config\.json/ });
  writeFileSync(configPath, JSON.stringify(config));

  const weights = join(dir, 'model.safetensors');
  const size = readFileSync(weights).length;
  truncateSync(weights, size - 100);
  await t.throwsAsync(SentenceVAE.load(dir), { instanceOf: FormatError, message: /truncated/ });
  await t.throwsAsync(SentenceVAE.load(join(dir, 'nope')), { instanceOf: FormatError, message: /no such file/ });
});

test('bad inputs are clear errors', async (t) => {
  await using vae = await create();
  await t.throwsAsync(vae.encode([`${'word '.repeat(80)}`]), { instanceOf: InvalidArgumentError, message: /texts\[0\] has \d+ tokens \(bos included\) but the model takes at most 64/ });
  await t.throwsAsync(vae.decode(new Float32Array(100)), { instanceOf: InvalidArgumentError, message: /Expected Float32Array of n × 128 numbers or a Tensor/ });
  await t.throwsAsync(vae.decode(new Float32Array(128), { topP: 2 }), { instanceOf: InvalidArgumentError, message: 'Expected number between 0 and 1 for topP but received 2 of type number' });
  const wrong = await Tensor.from(new Float32Array(64), { shape: [1, 64] });
  await t.throwsAsync(vae.decode(wrong), { message: /Expected sentence vectors of shape \[n, 128\]/ });
  await t.throwsAsync(SentenceVAE.create({ preset: 'huge' as 'tiny' }), { instanceOf: InvalidArgumentError, message: /Expected one of 'tiny', 'small', 'SVAE-768-H1'/ });
  vae.dispose();
  await t.throwsAsync(vae.encode(['x']), { message: 'This SentenceVAE has been disposed' });
});
