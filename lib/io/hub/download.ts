/**
 * One file of a repository into the cache: downloaded to a temporary name next to the blobs,
 * its size and checksum checked (sha256 for LFS files, the git blob sha1 otherwise: the same
 * etags Python's huggingface_hub names blobs by), then renamed into place and linked from the
 * snapshot. A broken connection or a mismatch removes the temporary file; nothing partial is
 * ever under a name a load would read.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

import { downloadFile } from '@huggingface/hub';

import { HubDownloadError } from '../../errors/HubDownloadError.js';
import { makeOutputDir } from '../../files.js';
import { blobPath, fileSize, linkIntoSnapshot } from './cache.js';
import { hubError, networkReason } from './hubFetch.js';
import type { ProgressSink } from './progress.js';

/** A file as the Hub's tree listing describes it. */
export interface RemoteFile {
  path: string;
  size: number;
  /** Git blob sha1 (regular files). */
  oid?: string | undefined;
  /** LFS pointer: sha256 and size of the real content. */
  lfs?: { oid: string; size: number } | undefined;
}

export interface DownloadContext {
  repo: string;
  revision: string;
  storage: string;
  endpoint: string;
  token: string | undefined;
  fetch: typeof fetch;
  codes: Map<string, string>;
  sink: ProgressSink;
}

const etagPattern = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/** The etag the blob is named by, and how to check the content against it. */
function checksumOf(ctx: DownloadContext, file: RemoteFile): { etag: string; algorithm: 'sha256' | 'git-sha1'; size: number } {
  const where = { repo: ctx.repo, revision: ctx.revision, file: file.path };
  if (file.lfs) {
    if (!/^[0-9a-f]{64}$/.test(file.lfs.oid)) throw new HubDownloadError(`${ctx.repo}: ${file.path} is listed with an invalid LFS sha256 '${file.lfs.oid}'`, where);
    return { etag: file.lfs.oid, algorithm: 'sha256', size: file.lfs.size };
  }
  if (!file.oid || !etagPattern.test(file.oid)) throw new HubDownloadError(`${ctx.repo}: ${file.path} is listed without a valid checksum (oid)`, where);
  return { etag: file.oid, algorithm: 'git-sha1', size: file.size };
}

/** Puts `file` of `commit` in the cache (unless its blob is already there) and returns its snapshot path. */
export async function ensureFile(ctx: DownloadContext, commit: string, file: RemoteFile): Promise<string> {
  const { etag, algorithm, size } = checksumOf(ctx, file);
  const blob = blobPath(ctx.storage, etag);
  // A blob with the listed size is complete: it was renamed into place only after its checksum
  // was checked (by us or by Python's huggingface_hub, which uses the same names).
  if ((await fileSize(blob)) === size) return linkIntoSnapshot(ctx.storage, commit, file.path, blob);

  const where = { repo: ctx.repo, revision: ctx.revision, file: file.path };
  const ctxFile = { repo: ctx.repo, revision: ctx.revision, endpoint: ctx.endpoint, file: file.path };
  let remote: Blob | null;
  try {
    remote = await downloadFile({
      repo: { type: 'model', name: ctx.repo }, path: file.path, revision: commit, hubUrl: ctx.endpoint,
      fetch: ctx.fetch, xet: false, ...(ctx.token ? { accessToken: ctx.token } : {}),
    });
  } catch (error) {
    throw hubError(error, ctxFile, ctx.codes);
  }
  if (!remote) throw new HubDownloadError(`${ctx.repo}@${commit}: ${file.path} is listed but the server has no such file`, where);

  await makeOutputDir(`${ctx.storage}/blobs`);
  const temp = `${blob}.${process.pid}.${randomBytes(4).toString('hex')}.incomplete`;
  const hash = createHash(algorithm === 'sha256' ? 'sha256' : 'sha1');
  if (algorithm === 'git-sha1') hash.update(`blob ${size}\0`);
  let loaded = 0;
  ctx.sink({ repo: ctx.repo, file: file.path, phase: 'start', loaded: 0, total: size });
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      loaded += chunk.length;
      hash.update(chunk);
      ctx.sink({ repo: ctx.repo, file: file.path, phase: 'progress', loaded, total: size });
      done(null, chunk);
    },
  });
  try {
    try {
      await pipeline(Readable.fromWeb(remote.stream() as WebReadableStream<Uint8Array>), meter, createWriteStream(temp, { flags: 'wx' }));
    } catch (error) {
      const reason = typeof error === 'string' ? error : networkReason(error);
      throw new HubDownloadError(
        `Downloading ${file.path} of ${ctx.repo} from ${ctx.endpoint} broke after ${loaded} of ${size} bytes (${reason}); nothing was kept: try again`,
        where, { cause: error },
      );
    }
    if (loaded !== size) {
      throw new HubDownloadError(`Downloading ${file.path} of ${ctx.repo}: received ${loaded} bytes but the Hub lists ${size}; nothing was kept: try again`, where);
    }
    const digest = hash.digest('hex');
    if (digest !== etag) {
      throw new HubDownloadError(`Downloading ${file.path} of ${ctx.repo}: the content's ${algorithm} is ${digest} but the Hub lists ${etag}; nothing was kept: try again`, where);
    }
    await rename(temp, blob);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  ctx.sink({ repo: ctx.repo, file: file.path, phase: 'done', loaded, total: size });
  return linkIntoSnapshot(ctx.storage, commit, file.path, blob);
}
