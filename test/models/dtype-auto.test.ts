// Issue 13, the library's default dtype: `dtype: 'auto'` (the default of OPT.load, SLLM.load and
// their fromPretrained) is the checkpoint's own precision — float32 for a float folder (trainable),
// int8 for a folder saved from an int8 model (its only way to load) — and `model.dtype` reports the
// resolved value. An int8 folder with another explicit dtype, or on a non-CPU device, is a
// DTypeError in validate.ts's wording; a bad dtype lists 'auto'. `sentencevae quantize <in> <out>`
// writes the int8 copy that later default loads run in int8.
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { DTypeError, InvalidArgumentError, OPT, SentenceVAE, SLLM } from '../../lib/index.js';
import { resolveLoadDType } from '../../lib/models/inferenceDType.js';
import { packageRoot } from '../../lib/native/loader.js';
import { run } from '../helpers/run.js';

const fixture = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln');
const main = join(packageRoot, 'dist', 'lib', 'cli', 'main.js');
const cli = (args: string[]) => run(process.execPath, [main, ...args]);
const ids = { inputIds: [[2, 100, 200, 300, 7, 9]] };

function tempDir(t: { teardown(fn: () => void): void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An int8 OPT folder: the fixture loaded with dtype 'int8', saved. */
async function int8OptFolder(dir: string): Promise<string> {
  await using opt = await OPT.load(fixture, { dtype: 'int8' });
  const out = join(dir, 'opt-int8');
  await opt.save(out);
  return out;
}

async function sentences(sllm: SLLM): Promise<string[]> {
  const out: string[] = [];
  for await (const e of sllm.generate(['The jury said it was fine.'], { maxSentences: 3, ignoreStop: true, sentenceTokens: [6, 4, 5] })) out.push(Array.from(e.ids).join(' '));
  return out;
}

test.serial('a float OPT folder loads as float32 by default and with dtype auto (trainable)', async (t) => {
  await using byDefault = await OPT.load(fixture);
  t.is(byDefault.dtype, 'float32');
  await using auto = await OPT.load(fixture, { dtype: 'auto' });
  t.is(auto.dtype, 'float32');
  t.deepEqual((await auto.forward(ids)).logits, (await byDefault.forward(ids)).logits);
});

test.serial('an int8 OPT folder loads as int8 by default, with the logits of an explicit int8 load', async (t) => {
  const dir = await int8OptFolder(tempDir(t, 'svae-auto-opt-'));
  await using byDefault = await OPT.load(dir);
  t.is(byDefault.dtype, 'int8');
  await using auto = await OPT.fromPretrained(dir, { dtype: 'auto' });
  t.is(auto.dtype, 'int8');
  await using explicit = await OPT.load(dir, { dtype: 'int8' });
  const want = (await explicit.forward(ids)).logits;
  t.deepEqual((await byDefault.forward(ids)).logits, want);
  t.deepEqual((await auto.forward(ids)).logits, want);
  // The same as quantizing the float fixture at load.
  await using atLoad = await OPT.load(fixture, { dtype: 'int8' });
  t.deepEqual((await atLoad.forward(ids)).logits, want);
});

test.serial('an int8 folder with an explicit float dtype is a DTypeError saying what was expected and received', async (t) => {
  const dir = await int8OptFolder(tempDir(t, 'svae-auto-opt-'));
  for (const dtype of ['float32', 'bfloat16'] as const) {
    const error = await t.throwsAsync(OPT.load(dir, { dtype }), { instanceOf: DTypeError });
    t.regex(error.message, new RegExp(`^Expected 'auto' or 'int8' for dtype but received '${dtype}' of type string: .*opt-int8 holds int8 weights`));
    t.notRegex(error.message, /undefined/);
  }
});

test('an int8 checkpoint on a non-CPU device is a DTypeError (int8 runs on the CPU kernels only)', (t) => {
  t.throws(() => resolveLoadDType('auto', true, 'cuda:0', '/m'), { instanceOf: DTypeError, message: /^Expected device 'cpu' for \/m but received 'cuda:0' of type string: .*CPU kernels only/ });
  t.throws(() => resolveLoadDType('int8', true, 'cuda:0', '/m'), { instanceOf: DTypeError, message: /CPU kernels only/ });
  t.throws(() => resolveLoadDType('int8', false, 'cuda:0', '/m'), { instanceOf: DTypeError, message: /Expected device 'cpu' for dtype 'int8'/ });
  t.is(resolveLoadDType('auto', false, 'cuda:0', '/m'), 'float32');
  t.is(resolveLoadDType('auto', true, 'cpu', '/m'), 'int8');
  t.is(resolveLoadDType('bfloat16', false, 'cpu', '/m'), 'bfloat16');
});

test.serial('a bad dtype is an InvalidArgumentError that lists auto', async (t) => {
  const list = /^Expected one of 'auto', 'float32', 'bfloat16', 'float16', 'int8' for dtype but received 'int4' of type string$/;
  await t.throwsAsync(OPT.load(fixture, { dtype: 'int4' as never }), { instanceOf: InvalidArgumentError, message: list });
  await t.throwsAsync(SLLM.load(fixture, { dtype: 'int4' as never }), { instanceOf: InvalidArgumentError, message: list });
  await t.throwsAsync(OPT.load(fixture, { dtype: 8 as never }), { instanceOf: InvalidArgumentError, message: /for dtype but received 8 of type number/ });
});

test.serial('quantize CLI: an OPT folder -> an int8 folder that loads as int8 by default; refuses to overwrite, --force replaces', async (t) => {
  const dir = tempDir(t, 'svae-quantize-opt-');
  const out = join(dir, 'q');
  const r = await cli(['quantize', fixture, out]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /\[quantize\] .*pre-ln \(OPT, [\d,]+ parameters, [\d.]+ MB\) -> .*q \(int8, [\d.]+ MB\)/);
  t.deepEqual(['config.json', 'model.safetensors', 'tokenizer.json'].filter((f) => !existsSync(join(out, f))), []);
  t.deepEqual(readdirSync(dir), ['q'], 'no temporary folder left beside <out>');
  await using q = await OPT.load(out);
  t.is(q.dtype, 'int8');
  await using atLoad = await OPT.load(fixture, { dtype: 'int8' });
  t.deepEqual((await q.forward(ids)).logits, (await atLoad.forward(ids)).logits);

  const again = await cli(['quantize', fixture, out]);
  t.is(again.code, 1);
  t.regex(again.stderr, /Expected a folder that does not exist yet \(--force replaces it\) for <out> but received '.*q' of type string/);
  const forced = await cli(['quantize', fixture, out, '--force']);
  t.is(forced.code, 0, forced.stderr);
  t.deepEqual(readdirSync(dir), ['q'], 'the replaced folder is gone');
  t.is((await cli(['quantize', out, out, '--force'])).code, 1);

  // <out> with a trailing slash is the same folder (the temporary copy is its sibling, not inside it).
  const slash = await cli(['quantize', fixture, `${out}/`, '--force']);
  t.is(slash.code, 0, slash.stderr);
  t.deepEqual(readdirSync(dir), ['q']);
  t.true(existsSync(join(out, 'model.safetensors')));
  t.deepEqual(readdirSync(out).filter((f) => f.includes('.tmp-') || f.includes('.old-')), [], 'nothing written inside <out>');
  // --force never replaces a folder that contains <in>: that would delete the float checkpoint.
  const parent = join(dir, 'models');
  const floatCopy = join(parent, 'opt');
  cpSync(fixture, floatCopy, { recursive: true });
  const swallow = await cli(['quantize', floatCopy, parent, '--force']);
  t.is(swallow.code, 1);
  t.regex(swallow.stderr, /Expected a folder that neither is <in> nor contains it for <out> but received '.*models' of type string/);
  t.true(existsSync(join(floatCopy, 'config.json')), '<in> is untouched');
  t.deepEqual(readdirSync(dir).sort(), ['models', 'q']);

  // The CLI's generate runs the int8 folder by default; an explicit float dtype says why not.
  const gen = await cli(['generate', '--model', out, '--prompt', 'The jury said', '--max-new-tokens', '4']);
  t.is(gen.code, 0, gen.stderr);
  const float = await cli(['generate', '--model', out, '--prompt', 'The jury said', '--dtype', 'float32']);
  t.is(float.code, 1);
  t.regex(float.stderr, /Expected 'auto' or 'int8' for dtype but received 'float32'/);
});

test.serial('quantize CLI: bad arguments are clear errors, and nothing is written', async (t) => {
  const dir = tempDir(t, 'svae-quantize-bad-');
  const one = await cli(['quantize', fixture]);
  t.is(one.code, 1);
  t.regex(one.stderr, /Expected two folders, <in> and <out>, for quantize but received '.*pre-ln'\n\nUsage: sentencevae quantize/);
  const none = await cli(['quantize', join(packageRoot, 'docs'), join(dir, 'x')]);
  t.is(none.code, 1);
  t.regex(none.stderr, /Expected a model folder sentencevae can quantize \(.*\) for <in> but received '.*docs' of type string/);
  t.false(existsSync(join(dir, 'x')));
  const flag = await cli(['quantize', fixture, join(dir, 'y'), '--dtype', 'int8']);
  t.is(flag.code, 1);
  t.regex(flag.stderr, /Unknown flag --dtype/);
  const help = await cli(['quantize', '--help']);
  t.is(help.code, 0);
  t.regex(help.stdout, /^Usage: sentencevae quantize <in> <out> \[--force\]/);
  t.is((await cli(['help', 'quantize'])).stdout, help.stdout);
  t.regex((await cli(['help'])).stdout, /quantize +an int8 copy of an SLLM or OPT folder/);
  await using vae = await SentenceVAE.create({ preset: 'tiny' });
  const svae = join(dir, 'svae');
  await vae.save(svae);
  const refused = await cli(['quantize', svae, join(dir, 'z')]);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /Expected an SLLM folder or a Hugging Face OPT folder \(a SentenceVAE has no int8 form.*\) for <in> but received '.*svae' of type string/);
  t.false(existsSync(join(dir, 'z')));
  await using back = await SentenceVAE.load(svae, { dtype: 'auto' });
  t.is(back.dtype, 'float32');
});

test.serial('SLLM: a float folder loads as float32; quantized by the CLI it loads as int8 by default and generates what an int8 load does', async (t) => {
  const dir = tempDir(t, 'svae-auto-sllm-');
  const floatDir = join(dir, 'sllm');
  {
    await using sllm = await SLLM.create({ svae: { preset: 'tiny', dropout: 0 }, seed: 3 });
    await sllm.save(floatDir);
  }
  await using float = await SLLM.load(floatDir);
  t.is(float.dtype, 'float32');
  const int8Dir = join(dir, 'sllm-int8');
  const r = await cli(['quantize', floatDir, int8Dir]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /\(SLLM, /);
  await using byDefault = await SLLM.load(int8Dir);
  t.is(byDefault.dtype, 'int8');
  await using atLoad = await SLLM.load(floatDir, { dtype: 'int8' });
  t.deepEqual(await sentences(byDefault), await sentences(atLoad));
  // encode reads the int8 folder by default too (its encoder in int8).
  const encoded = await cli(['encode', '--model', int8Dir, '--text', 'The jury said it was fine. It was late.']);
  t.is(encoded.code, 0, encoded.stderr);
  t.is(encoded.stdout.trim().split('\n').length, 2);
  await using viaHubPath = await SLLM.fromPretrained(int8Dir);
  t.is(viaHubPath.dtype, 'int8');
  // Loaded by default, the int8 copy is still not trainable: a DTypeError, from the library and the CLI.
  const setup = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, emaDecay: 0, amp: 'off' as const, lossReduction: 'token' as const };
  await t.throwsAsync(byDefault.configureTraining(setup as Parameters<typeof byDefault.configureTraining>[0], null), { instanceOf: DTypeError, message: /^dtype 'int8' is for inference only/ });
  const train = await cli(['train-sllm', '--model', int8Dir, '--out', join(dir, 'run'), '--max-steps', '1']);
  t.is(train.code, 1);
  t.regex(train.stderr, /Expected a float SLLM folder for --model but received '.*sllm-int8' of type string: it holds int8 weights/);
  t.false(existsSync(join(dir, 'run')));
  const error = await t.throwsAsync(SLLM.load(int8Dir, { dtype: 'float32' }), { instanceOf: DTypeError });
  t.regex(error.message, /^Expected 'auto' or 'int8' for dtype but received 'float32' of type string: .*model\.safetensors holds int8 weights/);
});
