/**
 * SentenceVAE folders at the command line: `encode` and `reconstruct` give what the library gives
 * in-process, and `generate` / `eval` say what the folder is and what to run instead (the real
 * CLI, spawned, over tiny untrained models saved in a temp folder).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { segment, SentenceVAE, SLLM } from '../../lib/index.js';
import { packageRoot } from '../../lib/native/loader.js';
import { run } from '../helpers/run.js';

const cli = (args: string[]) => run(process.execPath, [join(packageRoot, 'dist', 'lib', 'cli', 'main.js'), ...args]);
const text = 'The jury said it was fine. It was late, and the court was empty!\nNobody came.';

const dir = mkdtempSync(join(tmpdir(), 'svae-cli-vae-'));
const vaeDir = join(dir, 'vae');
const sllmDir = join(dir, 'sllm');

test.before(async () => {
  await using vae = await SentenceVAE.create({ preset: 'tiny', seed: 7 });
  await vae.save(vaeDir);
  await using sllm = await SLLM.create({ svae: { preset: 'tiny' }, llm: { layers: 1 }, seed: 3 });
  await sllm.save(sllmDir);
});

type Line = { index: number; text: string; vector: number[] };
const parse = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l) as Line);

test('encode prints one JSON line per sentence: its text and exactly the vector SentenceVAE.encode gives', async (t) => {
  const r = await cli(['encode', '--model', vaeDir, '--text', text]);
  t.is(r.code, 0, r.stderr);
  const lines = parse(r.stdout);
  await using vae = await SentenceVAE.load(vaeDir);
  const sentences = segment(text);
  t.deepEqual(lines.map((l) => l.text), sentences);
  t.deepEqual(lines.map((l) => l.index), sentences.map((_, i) => i));
  const expected = await vae.encode(sentences);
  t.deepEqual(Float32Array.from(lines.flatMap((l) => l.vector)), expected);
  t.true(lines.every((l) => l.vector.length === vae.config.hidden));
});

test('encode --out writes the same lines to a file (stdout stays empty); --input reads a file', async (t) => {
  const input = join(dir, 'input.txt');
  writeFileSync(input, text);
  const out = join(dir, 'vectors', 'out.jsonl');
  const r = await cli(['encode', '--model', vaeDir, '--input', input, '--out', out]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, '');
  t.regex(r.stderr, /4 sentence vector\(s\) -> /);
  const direct = await cli(['encode', '--model', vaeDir, '--text', text]);
  t.is(readFileSync(out, 'utf8'), direct.stdout);
});

test('encode on an SLLM folder gives its encoder\'s vectors (SLLM.encode: the same kind of value)', async (t) => {
  const r = await cli(['encode', '--model', sllmDir, '--text', text]);
  t.is(r.code, 0, r.stderr);
  await using sllm = await SLLM.load(sllmDir);
  const expected = await sllm.encode(segment(text));
  t.true(expected instanceof Float32Array);
  t.deepEqual(Float32Array.from(parse(r.stdout).flatMap((l) => l.vector)), expected);
});

test('reconstruct: text -> sentences -> encode -> decode, as SentenceVAE.reconstruct does', async (t) => {
  await using vae = await SentenceVAE.load(vaeDir);
  const sentences = segment(text);
  const expected = await vae.reconstruct(sentences, { maxTokens: 6 });
  const plain = await cli(['reconstruct', '--model', vaeDir, '--text', text, '--max-tokens', '6']);
  t.is(plain.code, 0, plain.stderr);
  t.is(plain.stdout, `${expected.join('')}\n`);
  t.regex(plain.stderr, /\d+\/4 sentence\(s\) reconstructed exactly/);
  const json = await cli(['reconstruct', '--model', vaeDir, '--text', text, '--max-tokens', '6', '--jsonl']);
  t.is(json.code, 0, json.stderr);
  const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { input: string; output: string; exact: boolean });
  t.deepEqual(lines.map((l) => l.input), sentences);
  t.deepEqual(lines.map((l) => l.output), expected);
  t.deepEqual(lines.map((l) => l.exact), sentences.map((s, i) => s === expected[i]));
  const tooMany = await cli(['reconstruct', '--model', vaeDir, '--text', text, '--max-tokens', '65']);
  t.is(tooMany.code, 1);
  t.is(tooMany.stdout, '');
  t.regex(tooMany.stderr, /Expected integer between 1 and 64 for --max-tokens but received 65/);
});

test('generate / eval / serve on a SentenceVAE folder say what it is and what to run instead', async (t) => {
  for (const args of [['generate', '--model', vaeDir, '--prompt', 'Hello.'], ['eval', '--model', vaeDir], ['serve', '--model', vaeDir, '--port', '0']]) {
    const r = await cli(args);
    t.is(r.code, 1, args[0]);
    t.is(r.stdout, '');
    t.regex(r.stderr, /is a SentenceVAE: it encodes sentences into vectors and decodes them back/);
    t.regex(r.stderr, /sentencevae reconstruct --model .* --text/);
  }
  const train = await cli(['train-sllm', '--model', vaeDir]);
  t.is(train.code, 1);
  t.regex(train.stderr, /is a SentenceVAE, not an SLLM: graft it onto an OPT first/);
  const recon = await cli(['reconstruct', '--model', sllmDir, '--text', 'Hi.']);
  t.is(recon.code, 1);
  t.regex(recon.stderr, /is an SLLM: it continues text rather than reconstructing it/);
  const missing = await cli(['encode', '--model', vaeDir]);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /Exactly one of --text "..." or --input <file> is required/);
  t.false(existsSync(join(dir, 'never')));
});
