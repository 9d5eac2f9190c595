/**
 * The CLI's surface as a newcomer meets it: --version, no command, --help for every command, and
 * every flag checked in its own name before anything is printed or loaded (the real CLI,
 * spawned; no model is built here).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { packageRoot } from '../../lib/native/loader.js';
import { run } from '../helpers/run.js';

const cli = (args: string[]) => run(process.execPath, [join(packageRoot, 'dist', 'lib', 'cli', 'main.js'), ...args]);
const opt = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln');

test('--version prints the package version', async (t) => {
  const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-v']) {
    const r = await cli([flag]);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout.trim(), version);
  }
});

test('no command prints the help on stderr and exits 2; `help` and --help exit 0', async (t) => {
  const none = await cli([]);
  t.is(none.code, 2);
  t.is(none.stdout, '');
  t.regex(none.stderr, /^Usage: sentencevae <command>/);
  t.regex(none.stderr, /encode .*\n.*reconstruct/);
  for (const args of [['help'], ['--help'], ['-h']]) {
    const r = await cli(args);
    t.is(r.code, 0, args.join(' '));
    t.regex(r.stdout, /^Usage: sentencevae <command>/);
  }
});

const commands = ['info', 'build', 'train-vae', 'graft', 'train-sllm', 'generate', 'eval', 'serve', 'encode', 'reconstruct'];

test('every command answers --help (and `help <command>`) with its own usage, exit 0', async (t) => {
  for (const name of commands) {
    const r = await cli([name, '--help']);
    t.is(r.code, 0, `${name} --help: ${r.stderr}`);
    t.true(r.stdout.startsWith(`Usage: sentencevae ${name}`), `${name} --help printed: ${r.stdout.slice(0, 80)}`);
    const viaHelp = await cli(['help', name]);
    t.is(viaHelp.code, 0);
    t.is(viaHelp.stdout, r.stdout, `help ${name}`);
  }
  const unknown = await cli(['help', 'nope']);
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /unknown command 'nope'/);
});

/** A bad flag: exit 1, nothing on stdout (no prompt echoed, no model loaded), the flag named in the message. */
const badFlags: [string[], RegExp][] = [
  [['generate', '--model', opt, '--prompt', 'Hello', '--max-new-tokens', '0'], /Expected integer >= 1 for --max-new-tokens but received 0 of type number/],
  [['generate', '--model', opt, '--prompt', 'Hello', '--max-sentences', '1.5'], /for --max-sentences but received 1.5/],
  [['generate', '--model', opt, '--prompt', 'Hello', '--temperature', '0'], /Expected number > 0 for --temperature/],
  [['generate', '--model', opt, '--prompt', 'Hello', '--top-p', '2'], /for --top-p but received 2/],
  [['generate', '--model', opt, '--prompt', 'Hello', '--top-k', '-1'], /for --top-k but received -1/],
  [['generate', '--model', opt, '--prompt', 'Hello', '--seed', '-3'], /for --seed but received -3/],
  [['generate', '--model', opt, '--prompt', 'Hello', '--device', 'gpu'], /for --device but received 'gpu'/],
  [['generate', '--model', opt, '--prompt', 'Hello', '--dtype', 'float64'], /for --dtype but received 'float64'/],
  [['eval', '--model', opt, '--data', opt, '--split', 'test'], /for --split but received 'test'/],
  [['eval', '--model', opt, '--limit', '0'], /for --limit but received 0/],
  [['train-sllm', '--model', opt, '--max-steps', '0'], /for --max-steps but received 0/],
  [['train-sllm', '--model', opt, '--lr', '-1'], /Expected number > 0 for --lr/],
  [['train-sllm', '--model', opt, '--warmup', '-1'], /for --warmup but received -1/],
  [['train-sllm', '--model', opt, '--amp', 'fp8'], /for --amp but received 'fp8'/],
  [['train-sllm', '--model', opt, '--max-minutes', '0'], /for --max-minutes but received 0/],
  [['train-sllm', '--model', opt, '--batch-size', '0'], /for --batch-size but received 0/],
  [['train-vae', '--batch-size', '0'], /for --batch-size but received 0/],
  [['train-vae', '--preset', 'huge'], /for --preset but received 'huge'/],
  [['train-vae', '--max-steps', '2', '--eval-every', '-1'], /for --eval-every but received -1/],
  [['graft', '--opt', opt, '--out', join(tmpdir(), 'never-written'), '--svae-layers', '0'], /for --svae-layers but received 0/],
  [['serve', '--model', opt, '--port', '70000'], /for --port but received 70000/],
  [['serve', '--model', opt, '--slots', '0'], /for --slots but received 0/],
  [['encode', '--model', opt, '--text', 'Hi.', '--batch-size', '0'], /for --batch-size but received 0/],
  [['reconstruct', '--model', opt, '--text', 'Hi.', '--top-k', '1.5'], /for --top-k but received 1.5/],
];

for (const [args, message] of badFlags) {
  test(`${args[0]} ${args.slice(-2).join(' ')}: refused before any output, in the flag's own name`, async (t) => {
    const r = await cli(args);
    t.is(r.code, 1, r.stderr);
    t.is(r.stdout, '');
    t.regex(r.stderr, message);
    t.notRegex(r.stderr, /undefined|maxTokens|maxNewTokens|topP|topK|batchSize/);
  });
}

test('train-vae: a bad value in the config file is named as the file\'s key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'svae-cli-usage-'));
  const config = join(dir, 'cfg.json');
  writeFileSync(config, JSON.stringify({ maxSteps: 0 }));
  const r = await cli(['train-vae', '--config', config, '--out', join(dir, 'run')]);
  t.is(r.code, 1);
  t.regex(r.stderr, /Expected integer >= 1 for maxSteps in .*cfg\.json but received 0 of type number/);
  writeFileSync(config, '[1, 2]');
  const notObject = await cli(['train-vae', '--config', config, '--out', join(dir, 'run')]);
  t.is(notObject.code, 1);
  t.regex(notObject.stderr, /cfg\.json: expected a JSON object of settings/);
});
