// Issue 15, items 6 and 7: every bad input to a public entry point is a typed SentenceVaeError
// with "Expected … but received …" wording (no literal `undefined` where a name belongs), and
// input that used to be accepted silently (dropped ids, holes, broadcasting, zero-padded masks,
// a tensor named __metadata__, NaN losses, string options) is refused.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import {
  focalLoss, FormatError, InvalidArgumentError, loadSafetensors, OPT, padSentences, readSafetensorsHeader,
  saveSafetensors, segment, SentenceDataset, SentenceVAE, SentenceVaeError, ShapeError, SLLM, Tensor, Tokenizer, Trainer,
} from '../../lib/index.js';
import { parseStateDictPickle } from '../../lib/internal.js';
import { packageRoot } from '../../lib/native/loader.js';

const expected = /^Expected .+ but received /;
/** The house wording, and no `undefined` standing where a name should be. */
const wording = (error: unknown, t: { true(v: boolean, m?: string): void; regex(s: string, r: RegExp): void }) => {
  t.true(error instanceof SentenceVaeError, `${String(error)} is a SentenceVaeError`);
  const message = (error as Error).message;
  t.regex(message, expected);
  t.true(!/\bfor undefined\b|^undefined:|undefined: refused/.test(message), `no undefined name in: ${message}`);
};

const optFolder = (withTokenizer = true): string => {
  const from = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln');
  const dir = mkdtempSync(join(tmpdir(), 'svae-api-opt-'));
  for (const f of readdirSync(from)) {
    if (f === 'reference.safetensors' || f === 'pytorch_model.bin') continue;
    if (!withTokenizer && /^(tokenizer|special_tokens|vocab|merges)/.test(f)) continue;
    copyFileSync(join(from, f), join(dir, f));
  }
  return dir;
};

const smallVae = () => SentenceVAE.create({ preset: 'tiny', config: { hidden: 64, heads: 2, ffn: 128, maxTokens: 16, dropout: 0 } });

test('item 6: segment() with a null text or null options', (t) => {
  const a = t.throws(() => segment(null as unknown as string), { instanceOf: InvalidArgumentError, message: 'Expected string for text but received null' });
  wording(a, t);
  const b = t.throws(() => segment('A. B.', null as unknown as undefined), { instanceOf: InvalidArgumentError, message: 'Expected options object for options but received null' });
  wording(b, t);
  t.throws(() => segment('A. B.', { cutMarks: 5 as unknown as string }), { instanceOf: InvalidArgumentError, message: 'Expected string for cutMarks but received 5 of type number' });
});

test('item 6: OPT generate/forward with null, a mask with fewer rows than ids', async (t) => {
  await using opt = await OPT.load(optFolder());
  wording(await t.throwsAsync(opt.generate(null as unknown as string), { instanceOf: InvalidArgumentError }), t);
  wording(await t.throwsAsync(opt.generate(['ok', 5 as unknown as string]), { instanceOf: InvalidArgumentError, message: /prompts\[1\]/ }), t);
  wording(await t.throwsAsync(opt.forward(null as unknown as { inputIds: number[][] }), { instanceOf: InvalidArgumentError }), t);
  wording(await t.throwsAsync(opt.forward({ inputIds: [[2, 5], [2, 6]], attentionMask: [[1, 1]] }), { instanceOf: ShapeError, message: /Expected 2 attentionMask rows .* but received 1/ }), t);
  wording(await t.throwsAsync(opt.forward({ inputIds: [[2, 99999]] }), { instanceOf: InvalidArgumentError, message: /inputIds\[0\]\[1\]/ }), t);
});

test('item 6: SLLM generateText(null)', async (t) => {
  await using sllm = await SLLM.create({ svae: { preset: 'tiny', hidden: 64, heads: 2, ffn: 128, dropout: 0 }, llm: { layers: 1 } });
  wording(await t.throwsAsync(sllm.generateText(null as unknown as string), { instanceOf: InvalidArgumentError }), t);
  wording(await t.throwsAsync(sllm.save(null as unknown as string), { instanceOf: InvalidArgumentError, message: 'Expected string for dir but received null' }), t);
  wording(await t.throwsAsync(SLLM.load(null as unknown as string), { instanceOf: InvalidArgumentError }), t);
});

test('item 6: trainStep without options, Trainer without out/schedule, fromCorpus without a tokenizer', async (t) => {
  await using vae = await smallVae();
  const batch = padSentences(await vae.tokenize(['It was late.', 'Yes.']), { padId: vae.config.padId });
  wording(await t.throwsAsync(vae.trainStep(batch, undefined as unknown as { lr: number }), { instanceOf: InvalidArgumentError, message: /for options but received undefined/ }), t);
  wording(await t.throwsAsync(vae.trainStep(null as unknown as typeof batch, { lr: 1e-3 }), { instanceOf: InvalidArgumentError, message: /for batch but received null/ }), t);
  wording(t.throws(() => new Trainer(vae, { maxSteps: 1 } as unknown as ConstructorParameters<typeof Trainer>[1]), { instanceOf: InvalidArgumentError, message: 'Expected string for out but received undefined' }), t);
  wording(t.throws(() => new Trainer(vae, { out: tmpdir(), maxSteps: 1 } as unknown as ConstructorParameters<typeof Trainer>[1]), { instanceOf: InvalidArgumentError, message: /for schedule but received undefined/ }), t);
  wording(await t.throwsAsync(SentenceDataset.fromCorpus('brown', null as unknown as Tokenizer), { instanceOf: InvalidArgumentError, message: 'Expected Tokenizer for tokenizer but received null' }), t);
});

test('item 6: save(null), load(null) and a weights file that is a directory', async (t) => {
  await using vae = await smallVae();
  wording(await t.throwsAsync(vae.save(null as unknown as string), { instanceOf: InvalidArgumentError, message: 'Expected string for dir but received null' }), t);
  wording(await t.throwsAsync(SentenceVAE.load(null as unknown as string), { instanceOf: InvalidArgumentError, message: 'Expected string for dir but received null' }), t);
  wording(await t.throwsAsync(OPT.load(null as unknown as string), { instanceOf: InvalidArgumentError, message: 'Expected string for dir but received null' }), t);
  const dir = mkdtempSync(join(tmpdir(), 'svae-api-eisdir-'));
  await vae.save(dir);
  const { rmSync } = await import('node:fs');
  rmSync(join(dir, 'model.safetensors'));
  mkdirSync(join(dir, 'model.safetensors'));
  const error = await t.throwsAsync(SentenceVAE.load(dir), { instanceOf: FormatError, message: /^Expected a regular file for .*model\.safetensors but received a directory$/ });
  wording(error, t);
  await t.throwsAsync(loadSafetensors(join(dir, 'model.safetensors')), { instanceOf: FormatError, message: /but received a directory/ });
});

test('item 6: a SharedArrayBuffer-backed array to Tensor.from / Tensor.borrow', async (t) => {
  const shared = new Float32Array(new SharedArrayBuffer(16));
  wording(await t.throwsAsync(Tensor.from(shared), { instanceOf: InvalidArgumentError, message: /over a SharedArrayBuffer/ }), t);
  wording(t.throws(() => Tensor.borrow(shared), { instanceOf: InvalidArgumentError, message: /over a SharedArrayBuffer/ }), t);
});

test('item 6: the pickle reader without a name and safetensors header fields never say "undefined"', async (t) => {
  const e = t.throws(() => parseStateDictPickle(Buffer.from([0xff])), { instanceOf: FormatError });
  t.is(e.message, 'the pickle: refused to read the pickle: unsupported opcode 0xff at byte 0');
  const dir = mkdtempSync(join(tmpdir(), 'svae-api-st-'));
  const craft = (name: string, entry: Record<string, unknown>) => {
    const json = Buffer.from(JSON.stringify({ a: entry }));
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(json.length));
    const path = join(dir, name);
    writeFileSync(path, Buffer.concat([head, json, Buffer.alloc(4)]));
    return path;
  };
  for (const [field, entry] of [
    ['dtype', { shape: [1], data_offsets: [0, 4] }],
    ['shape', { dtype: 'F32', data_offsets: [0, 4] }],
    ['data_offsets', { dtype: 'F32', shape: [1] }],
  ] as const) {
    const error = await t.throwsAsync(readSafetensorsHeader(craft(`${field}.safetensors`, entry)), { instanceOf: FormatError });
    t.false(error.message.includes('undefined'), error.message);
    t.regex(error.message, new RegExp(`entry 'a' has no ${field}`));
  }
});

test('item 7: tokenizer.decode of out-of-range ids and encodeBatch with a hole', async (t) => {
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  wording(await t.throwsAsync(tok.decode([5, -1, 1e9, 6]), { instanceOf: InvalidArgumentError, message: /for ids\[1\] but received -1/ }), t);
  wording(await t.throwsAsync(tok.decode([5, 1e9]), { instanceOf: InvalidArgumentError, message: /for ids\[1\] but received 1000000000/ }), t);
  // eslint-disable-next-line no-sparse-arrays
  const holey = ['a', , 'b'] as string[];
  wording(await t.throwsAsync(tok.encodeBatch(holey), { instanceOf: InvalidArgumentError, message: 'Expected string for texts[1] but received undefined' }), t);
});

test('item 7: vae.logits with mismatched batch sizes, string options, a too-long row', async (t) => {
  await using vae = await smallVae();
  const one = await vae.encodeToTensor(['It was late.']);
  try {
    wording(await t.throwsAsync(vae.logits(['It was late.', 'Yes.'], one), { instanceOf: ShapeError, message: /Expected vectors of shape \[2, 64\] .* but received \[1, 64\]/ }), t);
  } finally {
    one.dispose();
  }
  wording(await t.throwsAsync(SentenceVAE.create('tiny' as unknown as undefined), { instanceOf: InvalidArgumentError, message: "Expected options object for options but received 'tiny' of type string" }), t);
  const long = new Int32Array(vae.config.maxTokens + 1).fill(100);
  long[0] = vae.config.bosId;
  const error = await t.throwsAsync(vae.evaluate([long]), { instanceOf: InvalidArgumentError, message: /^Expected at most 16 tokens \(bos included\) for data\[0\] but received 17/ });
  wording(error, t);
});

test('item 7: a mask shorter than its row', async (t) => {
  await using opt = await OPT.load(optFolder());
  wording(await t.throwsAsync(opt.forward({ inputIds: [[2, 5, 6]], attentionMask: [[1, 1]] }), { instanceOf: ShapeError, message: /attentionMask\[0\] of length 3 .* but received length 2/ }), t);
  wording(await t.throwsAsync(opt.forward({ inputIds: [[2, 5]], attentionMask: [[1, 7]] }), { instanceOf: InvalidArgumentError, message: /0 or 1 for attentionMask\[0\]\[1\]/ }), t);
});

test('item 7: saveSafetensors refuses a tensor named __metadata__ and writes nothing', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'svae-api-meta-')), 'x.safetensors');
  await using x = await Tensor.from(new Float32Array([1, 2]));
  wording(await t.throwsAsync(saveSafetensors(path, { __metadata__: x }), { instanceOf: InvalidArgumentError, message: /other than '__metadata__'/ }), t);
  t.false(existsSync(path));
});

test('item 7: focalLoss with no valid position is an error, not NaN', async (t) => {
  await using logits = await Tensor.from(new Float32Array([0, 1, 2, 3, 4, 5]), { shape: [2, 3] });
  await using targets = await Tensor.from(new BigInt64Array([0n, 1n]));
  await using none = await Tensor.from(new Uint8Array([0, 0]), { dtype: 'bool' });
  wording(await t.throwsAsync(focalLoss(logits, targets, none), { instanceOf: InvalidArgumentError, message: /at least one true element for valid but received 2 false/ }), t);
  await using some = await Tensor.from(new Uint8Array([1, 0]), { dtype: 'bool' });
  const r = await focalLoss(logits, targets, some);
  t.true(Number.isFinite(r.loss));
  await using far = await Tensor.from(new BigInt64Array([7n, 1n]));
  wording(await t.throwsAsync(focalLoss(logits, far, some), { instanceOf: InvalidArgumentError, message: /targets in \[0, 3\) .* but received 7/ }), t);
});
