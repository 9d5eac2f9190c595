/**
 * The Hugging Face cache layout, as Python's huggingface_hub writes it (and reads it):
 *
 *   <cacheDir>/models--ORG--NAME/
 *     blobs/<etag>                  file contents; etag = sha256 for LFS files, git blob sha1 otherwise
 *     snapshots/<commit>/<file>     relative symlinks to ../../blobs/<etag>
 *     refs/<revision>               the commit a branch or tag pointed to when last resolved
 *
 * A file appears under blobs/ only once complete and verified (written to a temporary name
 * first), and a snapshot link only once its blob is there: a half-written file is never visible.
 */
import { randomBytes } from 'node:crypto';
import { lstat, readFile, rename, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

import { getRepoFolderName } from '@huggingface/hub';

import { makeOutputDir } from '../../files.js';

export const commitPattern = /^[0-9a-f]{40}$/;

/** models--ORG--NAME under the cache folder. */
export function repoFolder(cacheDir: string, repo: string): string {
  return join(cacheDir, getRepoFolderName({ type: 'model', name: repo }));
}

export const snapshotFolder = (storage: string, commit: string): string => join(storage, 'snapshots', commit);
export const blobPath = (storage: string, etag: string): string => join(storage, 'blobs', etag);

/** The commit refs/<revision> holds, or undefined when the cache has no such ref. */
export async function readRef(storage: string, revision: string): Promise<string | undefined> {
  try {
    const commit = (await readFile(join(storage, 'refs', revision), 'utf8')).trim();
    return commitPattern.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

/** Writes refs/<revision> atomically (temp + rename). */
export async function writeRef(storage: string, revision: string, commit: string): Promise<void> {
  const path = join(storage, 'refs', revision);
  await makeOutputDir(dirname(path));
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, commit);
  await rename(temp, path);
}

/** Size of a regular file (following links), or undefined when absent or not a regular file. */
export async function fileSize(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

/** Points snapshots/<commit>/<file> at the blob (a relative link, replaced atomically). */
export async function linkIntoSnapshot(storage: string, commit: string, file: string, blob: string): Promise<string> {
  const link = join(snapshotFolder(storage, commit), file);
  await makeOutputDir(dirname(link));
  const target = relative(dirname(link), blob);
  const temp = `${link}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await symlink(target, temp);
  try {
    await rename(temp, link);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  return link;
}

/** True when `path` exists as a link or file (even a dangling link). */
export async function present(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
