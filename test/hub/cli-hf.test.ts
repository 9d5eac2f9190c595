/**
 * A newcomer's first run: `sentencevae generate --model hf:ORG/NAME --prompt ...` with
 * HF_ENDPOINT pointing at a local Hub-shaped server, then the same offline from the cache.
 */
import { join } from 'node:path';

import test from 'ava';

import { packageRoot } from '../../lib/native/loader.js';
import { run } from '../helpers/run.js';
import { LocalHub } from './localHub.js';
import { freshCache, makeTinyModels } from './models.js';

const bin = join(packageRoot, 'dist', 'lib', 'cli', 'main.js');

test('sentencevae generate --model hf:ORG/NAME downloads with log lines, generates, then runs offline from the cache', async (t) => {
  const models = await makeTinyModels();
  const hub = await LocalHub.start();
  t.teardown(() => hub.close());
  hub.addRepo('tiny/opt', models.opt);
  const cache = freshCache();
  const env = { ...process.env, HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '', HF_TOKEN: '' };
  const args = ['generate', '--model', 'hf:tiny/opt', '--prompt', 'Hello, my dog is', '--max-new-tokens', '5'];

  const first = await run(process.execPath, [bin, ...args], { env });
  t.is(first.code, 0, first.stderr);
  t.true(first.stdout.startsWith('Hello, my dog is'), first.stdout);
  t.regex(first.stderr, /\[hub\] tiny\/opt: downloading model\.safetensors \(0\.67 MB\)/);
  t.regex(first.stderr, /\[hub\] tiny\/opt: model\.safetensors 0\.67 MB in /);
  t.notRegex(first.stdout, /\[hub\]|Downloading/, 'stdout carries only the completion');

  await hub.close();
  const offline = await run(process.execPath, [bin, ...args], { env: { ...env, HF_HUB_OFFLINE: '1' } });
  t.is(offline.code, 0, offline.stderr);
  t.is(offline.stdout, first.stdout);
  t.is(offline.stderr, '');

  const pinned = await run(process.execPath, [bin, 'generate', '--model=hf:tiny/opt@main', '--prompt', 'Hello, my dog is', '--max-new-tokens', '5'], { env: { ...env, HF_HUB_OFFLINE: '1' } });
  t.is(pinned.code, 0, pinned.stderr);
  t.is(pinned.stdout, first.stdout);
});

test('sentencevae generate --model hf:ORG/NAME of a missing repository exits 1 naming it', async (t) => {
  const hub = await LocalHub.start();
  t.teardown(() => hub.close());
  const env = { ...process.env, HF_ENDPOINT: hub.url, HF_HUB_CACHE: freshCache(), HF_HUB_OFFLINE: '', HF_TOKEN: '' };
  const r = await run(process.execPath, [bin, 'generate', '--model', 'hf:nobody/nothing', '--prompt', 'x'], { env });
  t.is(r.code, 1);
  t.regex(r.stderr, /^sentencevae generate: Repository nobody\/nothing not found on http:\/\/127\.0\.0\.1:\d+ \(HTTP 404\)/);
  const bad = await run(process.execPath, [bin, 'generate', '--model', 'hf:not a repo', '--prompt', 'x'], { env });
  t.is(bad.code, 1);
  t.regex(bad.stderr, /Expected Hugging Face model id 'ORG\/NAME' or 'ORG\/NAME@revision' for --model but received 'not a repo' of type string/);
});

test('an hf: model with a bad flag fails in that flag\'s name before anything is downloaded', async (t) => {
  const models = await makeTinyModels();
  const hub = await LocalHub.start();
  t.teardown(() => hub.close());
  hub.addRepo('tiny/opt', models.opt);
  const env = { ...process.env, HF_ENDPOINT: hub.url, HF_HUB_CACHE: freshCache(), HF_HUB_OFFLINE: '', HF_TOKEN: '' };
  const cases: [string[], RegExp][] = [
    [['generate', '--model', 'hf:tiny/opt', '--prompt', 'x', '--max-new-tokens', '0'], /--max-new-tokens/],
    [['serve', '--model', 'hf:tiny/opt', '--port', '70000'], /--port/],
    [['eval', '--model', 'hf:tiny/opt', '--limit', '0'], /--limit/],
    [['graft', '--opt', 'hf:tiny/opt', '--out', '/tmp/x', '--svae-layers', '0'], /--svae-layers/],
  ];
  for (const [args, flag] of cases) {
    const r = await run(process.execPath, [bin, ...args], { env });
    t.not(r.code, 0, args.join(' '));
    t.regex(r.stderr, flag, args.join(' '));
    t.notRegex(r.stderr, /\[hub\]/, `${args.join(' ')}: nothing was downloaded`);
  }
  t.deepEqual(hub.requests, [], 'the Hub server saw no request');
});
