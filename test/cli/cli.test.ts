import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { brownSentences, Tokenizer } from '../../lib/index.js';
import { packageRoot } from '../../lib/native/loader.js';
import { run } from '../helpers/run.js';

const cli = (args: string[]) => run(process.execPath, [join(packageRoot, 'dist', 'lib', 'cli', 'main.js'), ...args]);

test('info prints the runtime as JSON; unknown commands and flags are errors', async (t) => {
  const info = await cli(['info']);
  t.is(info.code, 0, info.stderr);
  t.regex((JSON.parse(info.stdout) as { libtorchVersion: string }).libtorchVersion, /^\d+\.\d+\.\d+$/);
  const unknown = await cli(['nope']);
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /unknown command 'nope'/);
  const badFlag = await cli(['train-vae', '--steps', '3']);
  t.is(badFlag.code, 1);
  t.regex(badFlag.stderr, /Unknown flag --steps; known: --config, --data/);
});

test('train-vae trains from a text file, writes its outputs, and resumes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'svae-cli-'));
  const corpus = join(dir, 'corpus.txt');
  const sentences = await brownSentences(await Tokenizer.builtin('gpt2-opt-4k'), 200, 24);
  writeFileSync(corpus, sentences.map((s) => s.trim()).join('\n\n'));
  const out = join(dir, 'run');
  const config = join(dir, 'cfg.json');
  writeFileSync(config, JSON.stringify({ preset: 'tiny', batchSize: 16, warmup: 2, validationFraction: 0.1 }));
  const first = await cli(['train-vae', '--config', config, '--data', corpus, '--out', out, '--max-steps', '6', '--eval-every', '3']);
  t.is(first.code, 0, first.stderr);
  for (const f of ['checkpoint.safetensors', 'metrics.jsonl', 'curves.svg', 'run-config.json', join('final', 'model.safetensors'), join('best', 'config.json')]) {
    t.true(existsSync(join(out, f)), f);
  }
  const again = await cli(['train-vae', '--out', out, '--max-steps', '9', '--eval-every', '3', '--resume']);
  t.is(again.code, 0, again.stderr);
  t.regex(again.stderr, /resumed from .*checkpoint\.safetensors at step 6/);
  const evals = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step: number }).filter((r) => r.type === 'eval');
  t.deepEqual(evals.map((e) => e.step), [3, 6, 9]);
});

test('generate streams a completion from an OPT folder', async (t) => {
  const model = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln');
  const r = await cli(['generate', '--model', model, '--prompt', 'The jury said', '--max-new-tokens', '5']);
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.startsWith('The jury said'));
  const missing = await cli(['generate', '--model', join(packageRoot, 'docs'), '--prompt', 'x']);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /is not a model folder sentencevae can generate with/);
});

test('graft -> train-sllm -> generate -> eval (an SLLM from an OPT folder, end to end)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'svae-cli-sllm-'));
  const opt = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln');
  const sllm = join(dir, 'sllm');
  const grafted = await cli(['graft', '--opt', opt, '--out', sllm, '--svae-layers', '1']);
  t.is(grafted.code, 0, grafted.stderr);
  t.true(existsSync(join(sllm, 'model.safetensors')));
  // Paragraphs of real Brown sentences, one per blank-line-separated block.
  const sentences = (await brownSentences(await Tokenizer.builtin('gpt2-opt-4k'), 120, 20)).map((s) => s.trim());
  const paragraphs = Array.from({ length: 30 }, (_, p) => sentences.slice(4 * p, 4 * p + 4).join(' '));
  const corpus = join(dir, 'paragraphs.txt');
  writeFileSync(corpus, paragraphs.join('\n\n'));
  const out = join(dir, 'run');
  const trained = await cli(['train-sllm', '--model', sllm, '--data', corpus, '--out', out, '--max-steps', '3', '--eval-every', '3', '--batch-size', '2', '--warmup', '1']);
  t.is(trained.code, 0, trained.stderr);
  t.true(existsSync(join(out, 'final', 'config.json')));
  const generated = await cli(['generate', '--model', join(out, 'final'), '--prompt', 'The jury met.', '--max-sentences', '2', '--max-new-tokens', '12']);
  t.is(generated.code, 0, generated.stderr);
  t.true(generated.stdout.startsWith('The jury met.'));
  const evaluated = await cli(['eval', '--model', join(out, 'final'), '--baseline', opt, '--data', corpus, '--split', 'all', '--limit', '10']);
  t.is(evaluated.code, 0, evaluated.stderr);
  const lines = evaluated.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; tokens: number; ppl: number });
  t.deepEqual(lines.map((l) => l.kind), ['SLLM', 'OPT']);
  t.is(lines[0]!.tokens, lines[1]!.tokens, 'the same tokens for both');
  const notOpt = await cli(['graft', '--opt', join(packageRoot, 'docs'), '--out', join(dir, 'x')]);
  t.is(notOpt.code, 1);
  t.regex(notOpt.stderr, /not a Hugging Face OPT folder/);
});
