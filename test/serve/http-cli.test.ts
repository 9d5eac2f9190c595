/**
 * `sentencevae serve` as a child process: it listens, and on SIGTERM stops admitting (503), lets
 * in-flight requests finish within --grace-ms or cuts them, and exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';
import OpenAI from 'openai';

import { packageRoot } from '../../lib/native/loader.js';
import { post, tinySllm } from './http-helpers.js';

let modelDir = '';

test.before(async () => {
  modelDir = mkdtempSync(join(tmpdir(), 'svae-serve-cli-'));
  await using sllm = await tinySllm();
  await sllm.save(modelDir);
});

/** Starts the CLI server; resolves with the child, its URL and a way to wait for a line of its stdout. */
async function start(grace: number) {
  const child = spawn(process.execPath, [join(packageRoot, 'dist', 'lib', 'cli', 'main.js'), 'serve', '--model', modelDir, '--port', '0', '--slots', '2', '--grace-ms', String(grace), '--model-name', 'tiny'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '', err = '';
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters]) {
      const m = out.match(w.pattern);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = (pattern: RegExp) => new Promise<RegExpMatchArray>((resolve, reject) => {
    const m = out.match(pattern);
    if (m) return resolve(m);
    waiters.push({ pattern, resolve });
    void exited.then((code) => reject(new Error(`serve exited (${code}) before printing ${pattern}\nstdout: ${out}\nstderr: ${err}`)));
  });
  const url = (await line(/listening on (http:\/\/[^\s]+)/))[1]!;
  return { child, url, line, exited, output: () => ({ out, err }) };
}

// Many short steps (one-token sentences until the tiny SLLM's 128-sentence context is full): the
// request outlives the late request of the first test however fast or loaded the machine is.
const longRequest = (client: OpenAI) => client.completions.create({
  model: 'tiny', prompt: 'The jury met.', max_tokens: 4000, temperature: 0, ignore_eos: true, sentence_tokens: [1], stream: true,
} as OpenAI.CompletionCreateParamsStreaming);

const killer = (t: { teardown(fn: () => void): void }, child: ChildProcess) => t.teardown(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

test.serial('SIGTERM: new requests get 503, the in-flight request finishes, exit code 0', async (t) => {
  t.timeout(180_000);
  const s = await start(600_000);
  killer(t, s.child);
  const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'none', maxRetries: 0 });
  const stream = await longRequest(client);
  const reader = stream[Symbol.asyncIterator]();
  const first = await reader.next();
  t.false(first.done);
  s.child.kill('SIGTERM');
  await s.line(/draining/);
  const refused = await post(s.url, '/v1/completions', JSON.stringify({ model: 'tiny', prompt: 'Late.', max_tokens: 2 }));
  t.is(refused.status, 503);
  t.is((refused.json as { error: { code: string } }).error.code, 'shutting_down');
  let finish: string | null = null;
  for (let r = await reader.next(); !r.done; r = await reader.next()) finish = r.value.choices[0]!.finish_reason ?? finish;
  t.is(finish, 'length', 'the in-flight request ran to its end');
  t.is(await s.exited, 0, JSON.stringify(s.output()));
  t.regex(s.output().out, /stopped/);
});

test.serial('SIGTERM with no grace: the in-flight stream is cut with an error event, exit code 0', async (t) => {
  t.timeout(180_000);
  const s = await start(0);
  killer(t, s.child);
  const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'none', maxRetries: 0 });
  const stream = await longRequest(client);
  const reader = stream[Symbol.asyncIterator]();
  t.false((await reader.next()).done);
  s.child.kill('SIGTERM');
  const cut = await t.throwsAsync(async () => {
    for (let r = await reader.next(); !r.done; r = await reader.next()) void r;
  });
  t.true(cut instanceof OpenAI.APIError);
  t.regex(cut!.message, /shut down/);
  t.is(await s.exited, 0, JSON.stringify(s.output()));
});
