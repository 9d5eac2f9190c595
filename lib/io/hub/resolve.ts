/**
 * `fromPretrained(id)` and the CLI's `hf:` ids: a model repository on the Hugging Face Hub →
 * a local folder (a snapshot in the standard cache) that the models' `load()` reads.
 *
 * Uses @huggingface/hub for the Hub's API (modelInfo: revision → commit; listFiles: names,
 * sizes, checksums; downloadFile: the resolve URL with auth and redirects) and its cache path
 * rules (getHFHubCachePath, getRepoFolderName). The library's own downloadFileToCacheDir /
 * snapshotDownload are not used: they fetch every file of a repository (both weight formats),
 * print to stdout (console.debug), report no progress and check neither size nor checksum
 * before a file becomes visible; cache.ts/download.ts write the same layout with those checks.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { listFiles, modelInfo } from '@huggingface/hub';

import { FormatError } from '../../errors/FormatError.js';
import { HubDownloadError } from '../../errors/HubDownloadError.js';
import { HubOfflineError } from '../../errors/HubOfflineError.js';
import { InvalidArgumentError } from '../../errors/InvalidArgumentError.js';
import { readJsonFile } from '../json.js';
import { commitPattern, fileSize, readRef, repoFolder, snapshotFolder, writeRef } from './cache.js';
import { ensureFile, type RemoteFile } from './download.js';
import { hubError, isNetworkError, networkReason, recordingFetch } from './hubFetch.js';
import { type HubOptions, resolveHubOptions, tokenFilePath } from './options.js';
import { progressSink } from './progress.js';
import { parseModelId } from './repoId.js';
import { type ModelKind, selectFiles, shardNames } from './select.js';

/** What a cached snapshot lacks for `kind` (empty when it can be loaded as is). */
async function missingInSnapshot(dir: string, kind: ModelKind): Promise<string[]> {
  const candidates = ['config.json', 'model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json',
    'tokenizer.json', 'vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json'];
  const names = new Set<string>();
  // fileSize follows the links: a link whose blob is gone counts as missing.
  for (const name of candidates) if ((await fileSize(join(dir, name))) !== undefined) names.add(name);
  const { missing, index } = selectFiles(names, kind);
  if (index) {
    let shards: string[] | undefined;
    try {
      shards = shardNames(await readJsonFile(join(dir, index)));
    } catch {
      shards = undefined;
    }
    if (!shards) missing.push(`${index} (unreadable)`);
    else for (const s of shards) if ((await fileSize(join(dir, s))) === undefined) missing.push(s);
  }
  return missing;
}

async function defaultToken(): Promise<string | undefined> {
  try {
    const token = (await readFile(tokenFilePath(), 'utf8')).trim();
    return /^hf_\S+$/.test(token) ? token : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Downloads (or finds in the cache) what a model of `kind` needs from the Hub repository `id`
 * (`ORG/NAME` or `ORG/NAME@revision`) and returns the snapshot folder.
 * @example
 * ```ts
 * const dir = await resolvePretrained('facebook/opt-125m', 'OPT', { progress: false });
 * ```
 */
export async function resolvePretrained(id: string, kind: ModelKind, options: HubOptions = {}): Promise<string> {
  const parsed = parseModelId(id, 'id');
  const o = resolveHubOptions(options);
  if (parsed.revision !== undefined && o.revision !== undefined && parsed.revision !== o.revision) {
    throw new InvalidArgumentError(`Expected one revision but received '${parsed.revision}' in the id and '${o.revision}' in options.revision`);
  }
  const repo = parsed.repo;
  const revision = parsed.revision ?? o.revision ?? 'main';
  const storage = repoFolder(o.cacheDir, repo);
  const where = { repo, revision, cacheFolder: storage };

  /** The cached snapshot of `revision`, or why there is none usable. */
  const cached = async (): Promise<{ dir: string } | { missing: string[] }> => {
    const commit = commitPattern.test(revision) ? revision : await readRef(storage, revision);
    if (!commit) return { missing: [`refs/${revision} (the revision was never resolved online into this cache)`] };
    const dir = snapshotFolder(storage, commit);
    const missing = await missingInSnapshot(dir, kind);
    return missing.length === 0 ? { dir } : { missing: missing.map((m) => `snapshots/${commit}/${m}`) };
  };
  const offlineError = (why: string, missing: string[]) =>
    new HubOfflineError(`${why}, and the cache (${storage}) lacks what ${repo}@${revision} needs as a ${kind}: ${missing.join('; ')}`, { ...where, missing });

  if (o.offline) {
    const hit = await cached();
    if ('dir' in hit) return hit.dir;
    throw offlineError(`Offline mode (${options.offline === true ? 'offline: true' : 'HF_HUB_OFFLINE'})`, hit.missing);
  }
  if (commitPattern.test(revision)) {
    const hit = await cached(); // a commit never changes: no need to ask the Hub
    if ('dir' in hit) return hit.dir;
  }

  const token = o.token ?? (await defaultToken());
  const auth = token ? { accessToken: token } : {};
  const { fetch, codes } = recordingFetch();
  const ctx = { repo, revision, endpoint: o.endpoint };
  const sink = progressSink(o.progress);

  let commit: string;
  try {
    const info = await modelInfo({ name: repo, revision, hubUrl: o.endpoint, fetch, additionalFields: ['sha'], ...auth });
    commit = String((info as { sha?: unknown }).sha);
  } catch (error) {
    if (!isNetworkError(error)) throw hubError(error, ctx, codes);
    // Like Python's huggingface_hub: the Hub unreachable, a complete cached snapshot serves.
    const hit = await cached();
    if ('dir' in hit) {
      if (o.progress === 'auto') process.stderr.write(`[hub] ${o.endpoint} unreachable (${networkReason(error)}); using the cached ${repo}@${revision}\n`);
      return hit.dir;
    }
    throw offlineError(`Could not reach ${o.endpoint} (${networkReason(error)})`, hit.missing);
  }
  if (!commitPattern.test(commit)) throw new HubDownloadError(`${o.endpoint} gave no commit for ${repo}@${revision} (sha ${commit})`, { repo, revision });

  const listing = new Map<string, RemoteFile>();
  try {
    for await (const entry of listFiles({ repo: { type: 'model', name: repo }, revision: commit, hubUrl: o.endpoint, fetch, ...auth })) {
      if (entry.type === 'file') listing.set(entry.path, { path: entry.path, size: entry.size, oid: entry.oid, lfs: entry.lfs });
    }
  } catch (error) {
    throw hubError(error, ctx, codes);
  }
  const selection = selectFiles(new Set(listing.keys()), kind);
  if (selection.missing.length > 0) {
    throw new FormatError(`${repo}@${revision} is not a ${kind} repository sentencevae can load: it has no ${selection.missing.join(', no ')}`, { path: `hf:${repo}@${revision}` });
  }
  const dctx = { repo, revision, storage, endpoint: o.endpoint, token, fetch, codes, sink };
  const get = (name: string): Promise<string> => {
    const file = listing.get(name);
    if (!file) throw new FormatError(`${repo}@${revision}: the weight index names ${name}, which the repository lacks`, { path: `hf:${repo}@${revision}` });
    return ensureFile(dctx, commit, file);
  };
  for (const name of selection.files) await get(name);
  if (selection.index) {
    const indexPath = join(snapshotFolder(storage, commit), selection.index);
    const shards = shardNames(await readJsonFile(indexPath));
    if (!shards) throw new FormatError(`${indexPath}: no usable weight_map`, { path: indexPath });
    for (const name of shards) await get(name);
  }
  if (revision !== commit) await writeRef(storage, revision, commit);
  return snapshotFolder(storage, commit);
}

/**
 * `fromPretrained`'s argument: an existing local folder is used as is (as transformers does);
 * anything else is a Hub id.
 */
export async function localOrHub(id: unknown, kind: ModelKind, options: HubOptions): Promise<string> {
  if (typeof id === 'string') {
    const s = await stat(id).catch(() => undefined);
    if (s?.isDirectory()) return id;
  }
  if (typeof id !== 'string') parseModelId(id, 'id'); // throws the house-worded InvalidArgumentError
  return resolvePretrained(id as string, kind, options);
}
