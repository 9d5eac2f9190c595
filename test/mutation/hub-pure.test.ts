/**
 * The pure parts of lib/io/hub, for `npm run mutate -- lib/io/hub/repoId.ts` (and select.ts,
 * options.ts): model ids and revisions at their edges, which files a model of each kind needs,
 * shard names, and the options' environment defaults, each error in the house wording.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { checkRevision, resolveHubOptions, splitHubOptions, tokenFilePath } from '../../lib/io/hub/options.js';
import { isHfUri, parseHfUri, parseModelId } from '../../lib/io/hub/repoId.js';
import { selectFiles, shardNames } from '../../lib/io/hub/select.js';
import { InvalidArgumentError } from '../../lib/errors/InvalidArgumentError.js';

const any = (v: unknown) => v as never;
const bad = (message: string | RegExp) => ({ instanceOf: InvalidArgumentError, message });
const idWhat = "Expected Hugging Face model id 'ORG/NAME' or 'ORG/NAME@revision'";

test('parseModelId: ORG/NAME, a bare NAME, @revision; every name rule', (t) => {
  t.deepEqual(parseModelId('facebook/opt-125m'), { repo: 'facebook/opt-125m', revision: undefined });
  t.deepEqual(parseModelId('gpt2'), { repo: 'gpt2', revision: undefined });
  t.deepEqual(parseModelId('a.b_c/D-9@v1.0/rc'), { repo: 'a.b_c/D-9', revision: 'v1.0/rc' });
  t.deepEqual(parseModelId(`${'a'.repeat(96)}/x`), { repo: `${'a'.repeat(96)}/x`, revision: undefined });
  for (const id of ['org/ab--c', 'org/ab..c', 'a/b/c', '-a/b', 'a./b', 'a/.b', 'a/b-', 'a--b/c', 'a/b..c', 'a b/c', '', 'a/', '/b', `${'a'.repeat(97)}/x`, 'a/b!', 'é/b']) {
    t.throws(() => parseModelId(id), bad(`${idWhat} for id but received '${id.length > 60 ? `${id.slice(0, 57)}...` : id}' of type string`), id);
  }
  t.throws(() => parseModelId(5, 'model'), bad(`${idWhat} for model but received 5 of type number`));
  t.throws(() => parseModelId('a/b@'), bad(/for id \(the part after '@'\) but received '' of type string/));
  t.deepEqual(parseModelId('a/b@x@y'), { repo: 'a/b', revision: 'x@y' }, 'the first @ ends the repository');
  t.throws(() => parseModelId('a/b@/x', 'm'), bad(/^Expected branch, tag or commit name .* for m \(the part after '@'\) but received '\/x'/));
  t.deepEqual(parseModelId('a-b.c_d/e'), { repo: 'a-b.c_d/e', revision: undefined });
});

test('hf: URIs', (t) => {
  t.true(isHfUri('hf:a/b'));
  t.false(isHfUri('a/hf:b'));
  t.false(isHfUri('HF:a/b'));
  t.deepEqual(parseHfUri('hf:org/name@main', 'model'), { repo: 'org/name', revision: 'main' });
  t.throws(() => parseHfUri('org/name', 'model'), bad("Expected 'hf:ORG/NAME[@revision]' for model but received 'org/name' of type string"));
  t.throws(() => parseHfUri('hf:a/b/c', '--model'), bad(`${idWhat} for --model but received 'a/b/c' of type string`));
});

test('checkRevision: a path under refs/, nothing that escapes it', (t) => {
  for (const r of ['main', 'v1.0', 'refs/pr/1', 'a'.repeat(256), '27dcfa74d334bc871f3234de431e71c6eeba5dd6', '.x', 'a..b']) t.is(checkRevision(r, 'revision'), r);
  for (const r of ['', 'a'.repeat(257), 'a\0b', 'a\\b', '/main', 'a//b', 'a/', './a', 'a/..', '..', '.', 5, null]) {
    t.throws(() => checkRevision(r, 'rev'), bad(/^Expected branch, tag or commit name \(e\.g\. 'main', 'v1\.0', a 40-hex commit\) for rev but received/), String(r));
  }
});

test('selectFiles: weights by preference, tokenizer.json else vocab + merges, the extras; what is missing, by kind', (t) => {
  const all = new Set(['config.json', 'model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json', 'tokenizer.json', 'vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json', 'README.md']);
  t.deepEqual(selectFiles(all, 'OPT'), { files: ['config.json', 'model.safetensors.index.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'], index: 'model.safetensors.index.json', missing: [] });
  t.deepEqual(selectFiles(all, 'SentenceVAE').files, ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']);
  t.deepEqual(selectFiles(all, 'SLLM'), { files: ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'], index: undefined, missing: [] });
  const bin = new Set(['config.json', 'pytorch_model.bin', 'vocab.json', 'merges.txt']);
  t.deepEqual(selectFiles(bin, 'OPT'), { files: ['config.json', 'pytorch_model.bin', 'vocab.json', 'merges.txt'], index: undefined, missing: [] });
  t.deepEqual(selectFiles(new Set(['pytorch_model.bin.index.json', 'pytorch_model.bin', 'model.safetensors']), 'OPT').files, ['model.safetensors']);
  t.deepEqual(selectFiles(new Set(['pytorch_model.bin.index.json', 'pytorch_model.bin']), 'OPT').index, 'pytorch_model.bin.index.json');
  t.deepEqual(selectFiles(bin, 'SentenceVAE'), { files: ['config.json', 'vocab.json', 'merges.txt'], index: undefined, missing: ['model.safetensors'] });
  t.deepEqual(selectFiles(new Set(['vocab.json']), 'OPT'), { files: [], index: undefined, missing: ['config.json', 'model.safetensors (or pytorch_model.bin, or a sharded index of either)'] });
  t.deepEqual(selectFiles(new Set(['merges.txt', 'model.safetensors']), 'SLLM'), { files: ['model.safetensors'], index: undefined, missing: ['config.json', 'tokenizer.json (or vocab.json + merges.txt)'] });
  t.deepEqual(selectFiles(new Set(['special_tokens_map.json']), 'SentenceVAE').files, ['special_tokens_map.json']);
});

test('shardNames: the distinct plain file names of weight_map, else undefined', (t) => {
  t.deepEqual(shardNames({ weight_map: { a: 'model-00001.safetensors', b: 'model-00002.safetensors', c: 'model-00001.safetensors' } }), ['model-00001.safetensors', 'model-00002.safetensors']);
  t.deepEqual(shardNames({ weight_map: {} }), []);
  for (const index of [null, {}, { weight_map: null }, { weight_map: [] }, { weight_map: 'x' }, { weight_map: { a: '../x' } }, { weight_map: { a: '.hidden' } }, { weight_map: { a: 'dir/x' } }, { weight_map: { a: 5 } }, { weight_map: { a: 'x y' } }]) {
    t.is(shardNames(index), undefined, JSON.stringify(index));
  }
});

test('resolveHubOptions: defaults from the environment, in huggingface_hub\'s order; every check named, tokens never echoed', (t) => {
  const d = resolveHubOptions(undefined, {});
  t.deepEqual({ ...d, cacheDir: typeof d.cacheDir }, { revision: undefined, cacheDir: 'string', endpoint: 'https://huggingface.co', token: undefined, offline: false, progress: 'auto' });
  t.is(resolveHubOptions({ endpoint: 'http://127.0.0.1:9/' }, {}).endpoint, 'http://127.0.0.1:9');
  t.is(resolveHubOptions({ endpoint: 'http://127.0.0.1:9/mirror///' }, {}).endpoint, 'http://127.0.0.1:9/mirror');
  t.is(resolveHubOptions({}, { HF_ENDPOINT: 'https://mirror.example/' }).endpoint, 'https://mirror.example');
  t.is(resolveHubOptions({}, { HF_ENDPOINT: '' }).endpoint, 'https://huggingface.co');
  t.is(resolveHubOptions({ endpoint: 'http://a.example' }, { HF_ENDPOINT: 'https://b.example' }).endpoint, 'http://a.example');
  t.throws(() => resolveHubOptions({}, { HF_ENDPOINT: 'ftp://x' }), bad("Expected http(s) URL (e.g. 'https://huggingface.co') for HF_ENDPOINT but received 'ftp://x' of type string"));
  t.throws(() => resolveHubOptions({ endpoint: 'http://x/?a=1' }, {}), bad(/for endpoint but received 'http:\/\/x\/\?a=1'/));
  t.throws(() => resolveHubOptions({ endpoint: 'https://x/#h' }, {}), bad(/for endpoint but received/));
  t.throws(() => resolveHubOptions({ endpoint: 'not a url' }, {}), bad(/for endpoint but received 'not a url'/));
  t.throws(() => resolveHubOptions({ endpoint: any(5) }, {}), bad("Expected http(s) URL (e.g. 'https://huggingface.co') for endpoint but received 5 of type number"));
  t.is(resolveHubOptions({ token: ' hf_abc ' }, {}).token, 'hf_abc');
  t.is(resolveHubOptions({}, { HF_TOKEN: 'hf_env', HUGGING_FACE_HUB_TOKEN: 'hf_old' }).token, 'hf_env');
  t.is(resolveHubOptions({}, { HF_TOKEN: '', HUGGING_FACE_HUB_TOKEN: 'hf_old' }).token, 'hf_old');
  t.is(resolveHubOptions({ token: 'hf_mine' }, { HF_TOKEN: 'hf_env' }).token, 'hf_mine');
  t.throws(() => resolveHubOptions({ token: 'secret123' }, {}), bad("Expected Hugging Face access token (starts with 'hf_') for token but received 'a string of 9 characters' of type string"));
  t.throws(() => resolveHubOptions({}, { HF_TOKEN: 'nope' }), bad(/for HF_TOKEN but received 'a string of 4 characters'/));
  t.throws(() => resolveHubOptions({}, { HUGGING_FACE_HUB_TOKEN: 'hf_a b' }), bad(/for HUGGING_FACE_HUB_TOKEN but received 'a string of 6 characters'/));
  t.throws(() => resolveHubOptions({ token: any(7) }, {}), bad(/for token but received 7 of type number/));
  t.throws(() => resolveHubOptions({ token: 'hf_' }, {}), bad(/for token but received 'a string of 3 characters'/));
  for (const v of ['1', 'true', 'YES', ' on ']) t.true(resolveHubOptions({}, { HF_HUB_OFFLINE: v }).offline, v);
  for (const v of ['0', 'false', 'no', '', 'offline']) t.false(resolveHubOptions({}, { HF_HUB_OFFLINE: v }).offline, v);
  t.false(resolveHubOptions({ offline: false }, { HF_HUB_OFFLINE: '1' }).offline);
  t.true(resolveHubOptions({ offline: true }, {}).offline);
  t.throws(() => resolveHubOptions({ offline: any('yes') }, {}), bad("Expected boolean for offline but received 'yes' of type string"));
  t.is(resolveHubOptions({}, { HF_HUB_DISABLE_PROGRESS_BARS: 'on' }).progress, false);
  t.is(resolveHubOptions({}, { HF_HUB_DISABLE_PROGRESS_BARS: '0' }).progress, 'auto');
  t.is(resolveHubOptions({ progress: true }, { HF_HUB_DISABLE_PROGRESS_BARS: '1' }).progress, 'auto');
  t.is(resolveHubOptions({ progress: false }, {}).progress, false);
  const f = () => undefined;
  t.is(resolveHubOptions({ progress: f }, {}).progress, f);
  t.throws(() => resolveHubOptions({ progress: any('auto') }, {}), bad("Expected boolean or function for progress but received 'auto' of type string"));
  t.is(resolveHubOptions({ cacheDir: '/tmp/c', revision: 'v2' }, {}).cacheDir, '/tmp/c');
  t.is(resolveHubOptions({ revision: 'v2' }, {}).revision, 'v2');
  t.throws(() => resolveHubOptions({ revision: '..' }, {}), bad(/for revision but received '\.\.'/));
  t.throws(() => resolveHubOptions({ cacheDir: '' }, {}), bad("Expected non-empty folder path for cacheDir but received '' of type string"));
  t.throws(() => resolveHubOptions({ cacheDir: any(1) }, {}), bad(/for cacheDir but received 1/));
  t.throws(() => resolveHubOptions(any(3), {}), bad(/^Expected options object for options but received 3/));
});

test('splitHubOptions and tokenFilePath', (t) => {
  const f = () => undefined;
  const { hub, rest } = splitHubOptions<{ dtype?: string; device?: string }>({ revision: 'r', cacheDir: 'c', endpoint: 'e', token: 't', offline: true, progress: f, dtype: 'float32', device: 'cpu' });
  t.deepEqual(hub, { revision: 'r', cacheDir: 'c', endpoint: 'e', token: 't', offline: true, progress: f });
  t.deepEqual(rest, { dtype: 'float32', device: 'cpu' });
  t.deepEqual(splitHubOptions(undefined), { hub: {}, rest: {} });
  t.throws(() => splitHubOptions(any(2)), bad(/^Expected options object for options but received 2/));
  t.is(tokenFilePath({ HF_TOKEN_PATH: '/x/tok', HF_HOME: '/h' }), '/x/tok');
  t.is(tokenFilePath({ HF_HOME: '/h', XDG_CACHE_HOME: '/c' }), '/h/token');
  t.is(tokenFilePath({ XDG_CACHE_HOME: '/c' }), '/c/huggingface/token');
  t.is(tokenFilePath({}), join(homedir(), '.cache', 'huggingface', 'token'));
  t.is(tokenFilePath({ HF_HOME: 'rel/h' }), join(process.cwd(), 'rel/h', 'token'));
});
