// Issue 15, item 13: an OPT folder without tokenizer files loads (id-level APIs work; text APIs
// throw MissingTokenizerError saying how to give one), and forward() returns the model's raw
// logits for every id as Hugging Face does: ids beyond the tokenizer are not -inf (masking them
// belongs to sampling only).
import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { loadSafetensors, MissingTokenizerError, OPT, Tokenizer } from '../../lib/index.js';
import { packageRoot } from '../../lib/native/loader.js';
import { maxAbsDiff } from '../helpers/sentences.js';

const fixture = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln');
const tokenizerFile = /^(tokenizer|special_tokens_map|vocab|merges)/;

/** A copy of the pre-ln fixture (model.safetensors), with or without its tokenizer files. */
function copyOf(withTokenizer: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'svae-opt-notok-'));
  for (const f of readdirSync(fixture)) {
    if (f === 'reference.safetensors' || f === 'pytorch_model.bin' || (!withTokenizer && tokenizerFile.test(f))) continue;
    copyFileSync(join(fixture, f), join(dir, f));
  }
  return dir;
}
const weightsOnly = () => copyOf(false);

async function reference() {
  const t = await loadSafetensors(join(fixture, 'reference.safetensors'));
  const ids = (await t.get('input_ids')!.toArray()) as BigInt64Array;
  const mask = (await t.get('attention_mask')!.toArray()) as BigInt64Array;
  const [b, l] = t.get('input_ids')!.shape as [number, number];
  const rows = Array.from({ length: b }, (_, i) => Array.from(ids.subarray(i * l, (i + 1) * l), Number));
  const masks = Array.from({ length: b }, (_, i) => Array.from(mask.subarray(i * l, (i + 1) * l), Number));
  const logits = (await t.get('logits')!.toArray()) as Float32Array;
  for (const x of t.values()) x.dispose();
  return { rows, masks, logits, b, l };
}

test('forward() returns raw logits for every id, equal to the Hugging Face reference over all 4104 columns', async (t) => {
  const ref = await reference();
  await using opt = await OPT.load(copyOf(true));
  const { logits, dims } = await opt.forward({ inputIds: ref.rows, attentionMask: ref.masks });
  t.deepEqual(dims, [ref.b, ref.l, 4104]);
  t.is(opt.tokenizer.vocabSize, 4096, 'the fixture tokenizer is narrower than the model');
  let worst = 0;
  let beyond = 0;
  ref.masks.forEach((m, b) => m.forEach((on, i) => {
    if (!on) return;
    const at = (b * ref.l + i) * 4104;
    worst = Math.max(worst, maxAbsDiff(logits.subarray(at, at + 4104), ref.logits.subarray(at, at + 4104)));
    for (let v = 4096; v < 4104; v++) if (Number.isFinite(logits[at + v]!)) beyond++;
  }));
  t.true(beyond > 0, 'ids beyond the tokenizer have finite logits');
  t.true(worst <= 1e-4, `max |ours - reference| over every id = ${worst}`);
});

test('sampling still never picks an id the tokenizer lacks', async (t) => {
  await using opt = await OPT.load(weightsOnly(), { tokenizer: await Tokenizer.fromPretrained(fixture) });
  const { tokens } = await opt.decodeSteps({ inputIds: [[2, 100, 2000], [2, 7]] }, { maxNewTokens: 16, sample: true, temperature: 50, seed: 3, ignoreEos: true });
  t.true(tokens.every((s) => s.every((id) => id < 4096)));
});

test('a folder without tokenizer files loads: id-level APIs work, text APIs say a tokenizer is needed', async (t) => {
  const dir = weightsOnly();
  await using opt = await OPT.load(dir);
  t.false(opt.hasTokenizer);
  const { dims } = await opt.forward({ inputIds: [[2, 100, 2000, 31]] });
  t.deepEqual(dims, [1, 4, 4104]);
  const steps = await opt.decodeSteps({ inputIds: [[2, 100, 2000]] }, { maxNewTokens: 3, ignoreEos: true });
  t.is(steps.tokens.length, 3);
  const error = await t.throwsAsync(opt.generate('Hello'), { instanceOf: MissingTokenizerError });
  t.regex(error.message, /has no tokenizer: text APIs .* need one/);
  t.regex(error.message, /OPT\.load\(dir, \{ tokenizer: await Tokenizer\.fromPretrained\(/);
  t.throws(() => opt.tokenizer, { instanceOf: MissingTokenizerError });
  await t.throwsAsync(opt.evaluate(['Hello there.']), { instanceOf: MissingTokenizerError });

  await using withTok = await OPT.load(dir, { tokenizer: await Tokenizer.fromPretrained(fixture) });
  t.true(withTok.hasTokenizer);
  const [text] = await withTok.generate('Hello', { maxNewTokens: 3 });
  t.is(typeof text, 'string');
});
