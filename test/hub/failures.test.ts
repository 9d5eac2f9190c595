/**
 * What goes wrong with Hub downloads, each as a typed error that names the repository: an
 * interrupted download (nothing partial is used; a retry succeeds), a missing repository, a
 * missing revision, a gated repository, offline mode without the cache, bad options.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

import test from 'ava';

import {
  HubAuthError, HubDownloadError, HubOfflineError, HubRepoNotFoundError, HubRevisionNotFoundError, InvalidArgumentError, OPT, SLLM,
} from '../../lib/index.js';
import { LocalHub } from './localHub.js';
import { freshCache, makeTinyModels, type TinyModels } from './models.js';

let models: TinyModels;
test.before(async () => {
  models = await makeTinyModels();
});

test('an interrupted download leaves nothing a later load uses, and a retry succeeds', async (t) => {
  const hub = await LocalHub.start();
  t.teardown(() => hub.close());
  const commit = hub.addRepo('tiny/opt', models.opt);
  const cacheDir = freshCache();
  hub.cutOnce('model.safetensors', 1000);
  const error = await t.throwsAsync(OPT.fromPretrained('tiny/opt', { endpoint: hub.url, cacheDir, progress: false }), { instanceOf: HubDownloadError });
  t.is(error?.repo, 'tiny/opt');
  t.is(error?.file, 'model.safetensors');
  t.regex(error!.message, /broke after \d+ of \d+ bytes/);

  const storage = join(cacheDir, 'models--tiny--opt');
  const sha256 = createHash('sha256').update(readFileSync(join(models.opt, 'model.safetensors'))).digest('hex');
  const blobs = readdirSync(join(storage, 'blobs'));
  t.false(blobs.includes(sha256), 'no blob under the final name');
  t.false(blobs.some((b) => b.includes('incomplete')), 'the temporary file is removed');
  t.false(existsSync(join(storage, 'snapshots', commit, 'model.safetensors')));
  t.false(existsSync(join(storage, 'refs', 'main')), 'no ref to a snapshot that cannot load');
  // Offline now: says exactly what is missing.
  const offline = await t.throwsAsync(OPT.fromPretrained('tiny/opt', { cacheDir, offline: true }), { instanceOf: HubOfflineError });
  t.deepEqual(offline?.missing, ['refs/main (the revision was never resolved online into this cache)']);

  await using opt = await OPT.fromPretrained('tiny/opt', { endpoint: hub.url, cacheDir, progress: false });
  t.true(readdirSync(join(storage, 'blobs')).includes(sha256));
  await using local = await OPT.load(models.opt);
  t.deepEqual(await opt.generate(['Hello'], { maxNewTokens: 6 }), await local.generate(['Hello'], { maxNewTokens: 6 }));
});

test('a repository the Hub does not have is a HubRepoNotFoundError naming it', async (t) => {
  const hub = await LocalHub.start();
  t.teardown(() => hub.close());
  const error = await t.throwsAsync(OPT.fromPretrained('nobody/nothing', { endpoint: hub.url, cacheDir: freshCache(), progress: false }), { instanceOf: HubRepoNotFoundError });
  t.is(error?.repo, 'nobody/nothing');
  t.is(error?.code, 'ERR_SVAE_HUB_REPO_NOT_FOUND');
  t.regex(error!.message, /Repository nobody\/nothing not found on http:\/\/127\.0\.0\.1:\d+ \(HTTP 404\)/);
});

test('a revision the repository does not have is a HubRevisionNotFoundError', async (t) => {
  const hub = await LocalHub.start();
  t.teardown(() => hub.close());
  hub.addRepo('tiny/opt', models.opt);
  const error = await t.throwsAsync(OPT.fromPretrained('tiny/opt@v9', { endpoint: hub.url, cacheDir: freshCache(), progress: false }), { instanceOf: HubRevisionNotFoundError });
  t.is(error?.revision, 'v9');
  t.regex(error!.message, /tiny\/opt has no revision 'v9'/);
});

test('a gated repository needs a token: HubAuthError without it, loads with it', async (t) => {
  const hub = await LocalHub.start();
  t.teardown(() => hub.close());
  hub.addRepo('tiny/gated', models.opt);
  hub.gate('tiny/gated', 'hf_secret123');
  const cacheDir = freshCache();
  const error = await t.throwsAsync(OPT.fromPretrained('tiny/gated', { endpoint: hub.url, cacheDir, progress: false }), { instanceOf: HubAuthError });
  t.is(error?.status, 401);
  t.regex(error!.message, /HF_TOKEN/);
  await using opt = await OPT.fromPretrained('tiny/gated', { endpoint: hub.url, cacheDir, token: 'hf_secret123', progress: false });
  t.true(opt.hasTokenizer);
});

test('offline mode without the cache says what is missing; a partial cached snapshot lists the missing files', async (t) => {
  const cacheDir = freshCache();
  const none = await t.throwsAsync(SLLM.fromPretrained('tiny/sllm', { cacheDir, offline: true }), { instanceOf: HubOfflineError });
  t.regex(none!.message, /Offline mode \(offline: true\).*refs\/main/);
  t.is(none?.cacheFolder, join(cacheDir, 'models--tiny--sllm'));

  // A snapshot laid out by hand as Python's huggingface_hub does, lacking the weights.
  const commit = 'a'.repeat(40);
  const storage = join(cacheDir, 'models--tiny--sllm');
  mkdirSync(join(storage, 'refs'), { recursive: true });
  mkdirSync(join(storage, 'blobs'));
  mkdirSync(join(storage, 'snapshots', commit), { recursive: true });
  writeFileSync(join(storage, 'refs', 'main'), commit);
  for (const f of ['config.json', 'tokenizer.json']) {
    writeFileSync(join(storage, 'blobs', f), readFileSync(join(models.sllm, f)));
    symlinkSync(`../../blobs/${f}`, join(storage, 'snapshots', commit, f));
  }
  const partial = await t.throwsAsync(SLLM.fromPretrained('tiny/sllm', { cacheDir, offline: true }), { instanceOf: HubOfflineError });
  t.deepEqual(partial?.missing, [`snapshots/${commit}/model.safetensors`]);

  // Completed by hand (as a Python download would leave it): loads offline.
  for (const f of readdirSync(models.sllm)) {
    if (existsSync(join(storage, 'snapshots', commit, f))) continue;
    writeFileSync(join(storage, 'blobs', f), readFileSync(join(models.sllm, f)));
    symlinkSync(`../../blobs/${f}`, join(storage, 'snapshots', commit, f));
  }
  await using sllm = await SLLM.fromPretrained('tiny/sllm', { cacheDir, offline: true });
  t.is(sllm.config.svae.hidden, (JSON.parse(readFileSync(join(models.sllm, 'config.json'), 'utf8')) as { svae: { hidden: number } }).svae.hidden);
});

test('bad ids and options are InvalidArgumentErrors in the house wording, before any network', async (t) => {
  const bad: [unknown, object, RegExp][] = [
    ['../etc', {}, /Expected Hugging Face model id 'ORG\/NAME' or 'ORG\/NAME@revision' for id but received '..\/etc' of type string/],
    ['a/b/c', {}, /for id but received 'a\/b\/c'/],
    [42, {}, /for id but received 42 of type number/],
    ['org/name@', {}, /for id \(the part after '@'\) but received '' of type string/],
    ['org/name', { revision: '../x' }, /for revision but received '..\/x'/],
    ['org/name@v1', { revision: 'v2' }, /one revision but received 'v1' in the id and 'v2'/],
    ['org/name', { endpoint: 'ftp://x' }, /Expected http\(s\) URL .* for endpoint but received 'ftp:\/\/x'/],
    ['org/name', { token: 'secret-value' }, /Expected Hugging Face access token \(starts with 'hf_'\) for token but received 'a string of 12 characters'/],
    ['org/name', { offline: 'yes' }, /Expected boolean for offline but received 'yes' of type string/],
    ['org/name', { progress: 1 }, /Expected boolean or function for progress but received 1 of type number/],
    ['org/name', { cacheDir: '' }, /Expected non-empty folder path for cacheDir/],
  ];
  for (const [id, options, message] of bad) {
    const error = await t.throwsAsync(OPT.fromPretrained(id as string, { ...options, endpoint: (options as { endpoint?: string }).endpoint ?? 'http://127.0.0.1:9' }), { instanceOf: InvalidArgumentError });
    t.regex(error!.message, message, String(id));
    t.notRegex(error!.message, /secret-value|undefined/);
  }
});
