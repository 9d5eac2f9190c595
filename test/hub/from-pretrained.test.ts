/**
 * fromPretrained against a local Hub-shaped server (127.0.0.1): download + load + generate,
 * the cache layout Python's huggingface_hub uses, loads from the cache with the server gone,
 * safetensors preferred over pytorch_model.bin, and SLLM / SentenceVAE repositories.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';

import { OPT, SentenceVAE, SLLM, type HubProgressEvent } from '../../lib/index.js';
import { LocalHub } from './localHub.js';
import { freshCache, makeTinyModels, type TinyModels } from './models.js';

let models: TinyModels;
test.before(async () => {
  models = await makeTinyModels();
});

const greedy = { maxNewTokens: 8 };

test('OPT.fromPretrained downloads into the Hugging Face cache layout, loads and generates like the local folder', async (t) => {
  const hub = await LocalHub.start();
  t.teardown(() => hub.close());
  const commit = hub.addRepo('tiny/opt', models.opt);
  const cacheDir = freshCache();
  const events: HubProgressEvent[] = [];
  await using opt = await OPT.fromPretrained('tiny/opt', { endpoint: hub.url, cacheDir, progress: (e) => events.push(e) });
  await using local = await OPT.load(models.opt);
  t.deepEqual(await opt.generate(['Hello, my dog is'], greedy), await local.generate(['Hello, my dog is'], greedy));

  // Only what loading needs: safetensors preferred, no pytorch_model.bin, no unrelated file.
  const downloaded = hub.requests.filter((r) => r.startsWith('GET /cdn/') || /\/resolve\//.test(r)).join('\n');
  t.regex(downloaded, /resolve\/[0-9a-f]{40}\/model\.safetensors/);
  t.notRegex(downloaded, /pytorch_model\.bin|reference\.safetensors/);

  // models--ORG--NAME/{blobs,snapshots/<commit>,refs/main}, snapshot files linked to blobs, as Python writes it.
  const storage = join(cacheDir, 'models--tiny--opt');
  t.deepEqual(readdirSync(storage).sort(), ['blobs', 'refs', 'snapshots']);
  t.is(readFileSync(join(storage, 'refs', 'main'), 'utf8'), commit);
  const snapshot = join(storage, 'snapshots', commit);
  t.deepEqual(readdirSync(snapshot).sort(), ['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
  for (const f of readdirSync(snapshot)) {
    t.true(lstatSync(join(snapshot, f)).isSymbolicLink(), f);
    t.regex(readlinkSync(join(snapshot, f)), /^\.\.\/\.\.\/blobs\/[0-9a-f]{40,64}$/);
  }
  t.false(readdirSync(join(storage, 'blobs')).some((f) => f.includes('incomplete')));
  // Progress: start and done for every file, bytes adding up to the listed sizes.
  const done = events.filter((e) => e.phase === 'done');
  t.deepEqual(done.map((e) => e.file).sort(), readdirSync(snapshot).sort());
  t.true(done.every((e) => e.loaded === e.total && e.repo === 'tiny/opt'));
});

test('a second fromPretrained is served from the cache, with the server stopped and in offline mode', async (t) => {
  const hub = await LocalHub.start();
  hub.addRepo('tiny/opt', models.opt);
  const cacheDir = freshCache();
  await using first = await OPT.fromPretrained('tiny/opt', { endpoint: hub.url, cacheDir, progress: false });
  const expected = await first.generate(['The jury said'], greedy);
  await hub.close();
  // Online mode, Hub unreachable: the complete cached snapshot of refs/main serves (as huggingface_hub does).
  await using again = await OPT.fromPretrained('tiny/opt', { endpoint: hub.url, cacheDir, progress: false });
  t.deepEqual(await again.generate(['The jury said'], greedy), expected);
  await using offline = await OPT.fromPretrained('tiny/opt', { endpoint: hub.url, cacheDir, offline: true, progress: false });
  t.deepEqual(await offline.generate(['The jury said'], greedy), expected);
});

test('a repository with only pytorch_model.bin loads through the restricted reader', async (t) => {
  const hub = await LocalHub.start();
  t.teardown(() => hub.close());
  hub.addRepo('tiny/opt-bin', models.optBin);
  await using opt = await OPT.fromPretrained('tiny/opt-bin', { endpoint: hub.url, cacheDir: freshCache(), progress: false });
  await using local = await OPT.load(models.opt);
  t.regex(hub.requests.join('\n'), /resolve\/[0-9a-f]{40}\/pytorch_model\.bin/);
  t.deepEqual(await opt.generate(['Hello'], greedy), await local.generate(['Hello'], greedy));
});

test('SLLM.fromPretrained and SentenceVAE.fromPretrained load folders written by save()', async (t) => {
  const hub = await LocalHub.start();
  t.teardown(() => hub.close());
  hub.addRepo('tiny/sllm', models.sllm);
  hub.addRepo('tiny/svae', models.svae);
  const cacheDir = freshCache();
  await using sllm = await SLLM.fromPretrained('tiny/sllm@main', { endpoint: hub.url, cacheDir, progress: false });
  await using localSllm = await SLLM.load(models.sllm);
  const prompt = 'The jury said it was fine. It';
  const run = async (m: SLLM) => {
    let text = '';
    for await (const e of m.generate(prompt, { maxSentences: 2, maxTokens: 12 })) text += e.text;
    return text;
  };
  t.is(await run(sllm), await run(localSllm));

  await using vae = await SentenceVAE.fromPretrained('tiny/svae', { endpoint: hub.url, cacheDir, progress: false });
  await using localVae = await SentenceVAE.load(models.svae);
  t.deepEqual(await vae.encode(['Hello world.']), await localVae.encode(['Hello world.']));
});

test('fromPretrained of an existing local folder loads it without any network', async (t) => {
  await using opt = await OPT.fromPretrained(models.opt, { endpoint: 'http://127.0.0.1:9', progress: false });
  t.true(opt.hasTokenizer);
});
