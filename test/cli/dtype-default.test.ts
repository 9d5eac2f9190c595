/**
 * The inference commands default to `--dtype auto`: int8 on the CPU (the fastest precision within
 * issue 13's accuracy bars), float32 on CUDA. generate's default output is what the library gives
 * for an int8 load, `--dtype float32` what it gives for a float32 load; serve names the precision
 * it runs in; a bad value lists the accepted ones.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

import test from 'ava';

import { OPT } from '../../lib/index.js';
import { packageRoot } from '../../lib/native/loader.js';
import { run } from '../helpers/run.js';

const main = join(packageRoot, 'dist', 'lib', 'cli', 'main.js');
const cli = (args: string[]) => run(process.execPath, [main, ...args]);
const model = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln');
const prompt = 'The jury said';

async function libraryGreedy(dtype: 'int8' | 'float32'): Promise<string> {
  await using opt = await OPT.load(model, { dtype });
  let text = '';
  for await (const e of opt.stream(prompt, { maxNewTokens: 8 })) text += e.text;
  return `${prompt}${text}\n`;
}

test('generate runs int8 by default on the CPU and float32 when asked', async (t) => {
  const byDefault = await cli(['generate', '--model', model, '--prompt', prompt, '--max-new-tokens', '8']);
  t.is(byDefault.code, 0, byDefault.stderr);
  t.is(byDefault.stdout, await libraryGreedy('int8'));
  const auto = await cli(['generate', '--model', model, '--prompt', prompt, '--max-new-tokens', '8', '--dtype', 'auto']);
  t.is(auto.stdout, byDefault.stdout);
  const float = await cli(['generate', '--model', model, '--prompt', prompt, '--max-new-tokens', '8', '--dtype', 'float32']);
  t.is(float.code, 0, float.stderr);
  t.is(float.stdout, await libraryGreedy('float32'));
});

test('a --dtype outside the accepted ones is refused with the list', async (t) => {
  const bad = await cli(['generate', '--model', model, '--prompt', prompt, '--dtype', 'int4']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /Expected one of 'auto', 'float32', 'bfloat16', 'float16', 'int8' for --dtype but received 'int4'/);
});

test('serve says which precision it runs in: int8 on cpu by default', async (t) => {
  const child = spawn(process.execPath, [main, 'serve', '--model', model, '--port', '0', '--slots', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/^.*listening on .*$/m);
      if (m) resolve(m[0]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}) before listening\n${out}\n${err}`)));
  });
  t.regex(line, /\(opt, int8 on cpu, 1 slots, queue \d+\) listening on http:\/\/127\.0\.0\.1:\d+/);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  t.is(await exited, 0);
});
