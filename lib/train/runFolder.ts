/**
 * A run folder has one writer at a time. Two runs writing checkpoints into one folder would
 * overwrite each other (and used to fail with a rename error mid-run); a run killed with -9 or
 * stopped by a full disk leaves temporary files and folders that nothing else removes.
 *
 * `lockRunFolder` creates `run.lock` with O_EXCL, holding this process's pid (and, on Linux, the
 * process's start time, so a pid reused by another process is not mistaken for the holder). A
 * lock whose process is gone is stale and taken over; a live one is a RunLockedError naming
 * the pid. Once the lock is held, `cleanStaleFiles` removes the temporaries of our own naming.
 */
import { placementFromEnvironment } from '../distributed/environment.js';
import { readFileSync } from 'node:fs';
import { open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { FileSystemError } from '../errors/FileSystemError.js';
import { RunLockedError } from '../errors/RunLockedError.js';
import { makeOutputDir, readTextFile } from '../files.js';

/** The lock file's name inside a run folder. */
export const lockFileName = 'run.lock';

interface LockRecord {
  pid: number;
  host: string;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat field 22); '' elsewhere. */
  processStart: string;
  started: string;
  token: string;
}

/** A held run-folder lock; `release()` removes it (idempotent; only our own lock is removed). */
export interface RunFolderLock {
  readonly path: string;
  release(): Promise<void>;
}

function processStart(pid: number): string {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so
    // count fields after the last ')': starttime is field 22, the 20th after it.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

function isAlive(record: LockRecord): boolean {
  if (record.host !== hostname()) return true; // another machine (shared folder): cannot check, assume live
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: the process exists but belongs to another user
  }
  const now = processStart(record.pid);
  return record.processStart === '' || now === '' || now === record.processStart;
}

async function readRecord(path: string): Promise<LockRecord | undefined> {
  try {
    const r = JSON.parse(await readTextFile(path, { maxBytes: 4096, what: 'a lock file' })) as Partial<LockRecord>;
    if (!Number.isSafeInteger(r.pid) || typeof r.host !== 'string' || typeof r.token !== 'string') return undefined;
    return { pid: r.pid!, host: r.host, processStart: typeof r.processStart === 'string' ? r.processStart : '', started: typeof r.started === 'string' ? r.started : 'an unknown time', token: r.token };
  } catch {
    // Vanished meanwhile, damaged, or its writer was killed between creating and filling it (a
    // live writer fills it within microseconds of creating it: that window is not guarded).
    return undefined;
  }
}

/**
 * Takes the run folder `out` (creating it) for this process.
 * @throws RunLockedError when a live process holds it; FileSystemError when it cannot be made.
 * @example
 * ```ts
 * const lock = await lockRunFolder('runs/svae');
 * try { ... } finally { await lock.release(); }
 * ```
 */
export async function lockRunFolder(out: string): Promise<RunFolderLock> {
  await makeOutputDir(out);
  const path = join(out, lockFileName);
  const record: LockRecord = {
    pid: process.pid, host: hostname(), processStart: processStart(process.pid), started: new Date().toISOString(),
    token: `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(path, 'wx'); // O_CREAT | O_EXCL: exactly one creator wins
      try {
        await handle.writeFile(`${JSON.stringify(record)}\n`);
      } finally {
        await handle.close();
      }
      return {
        path,
        release: async () => {
          const now = await readRecord(path);
          if (now?.token === record.token) await unlink(path).catch(() => undefined);
        },
      };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        throw new FileSystemError(`Cannot create the lock file ${path}: ${(error as Error).message}`, { path, ...(code ? { errno: code } : {}) }, { cause: error });
      }
    }
    const holder = await readRecord(path);
    if (holder && isAlive(holder)) throw lockedError(out, path, holder);
    // Stale (its process is gone) or unreadable: take it over, unless it changed meanwhile.
    const again = await readRecord(path);
    if (again?.token === holder?.token) await unlink(path).catch(() => undefined);
  }
  throw new FileSystemError(`Cannot take the lock file ${path}: other processes keep creating it`, { path });
}

/**
 * Throws RunLockedError when a live process holds `out`'s lock (a check for command lines, so
 * that a second writer stops before it builds a model or writes anything; the Trainer takes the
 * lock itself when it runs).
 * @example
 * ```ts
 * await checkRunFolderFree('runs/svae');
 * ```
 */
export async function checkRunFolderFree(out: string): Promise<void> {
  // In a distributed run the folder is rank 0's (it takes the lock): the other ranks would race
  // rank 0's own lock here (docs/distributed.md).
  if (isSecondaryRank()) return;
  const path = join(out, lockFileName);
  const holder = await readRecord(path);
  if (holder && isAlive(holder)) throw lockedError(out, path, holder);
}

function isSecondaryRank(): boolean {
  try {
    const p = placementFromEnvironment();
    return p !== undefined && p.worldSize > 1 && p.rank > 0;
  } catch {
    return false; // a malformed environment is reported when the Trainer joins the group
  }
}

function lockedError(out: string, path: string, holder: LockRecord): RunLockedError {
  const where = holder.host === hostname() ? `process ${holder.pid}` : `process ${holder.pid} on ${holder.host}`;
  return new RunLockedError(
    `The run folder ${out} is in use by ${where} (since ${holder.started}; lock file ${path}). ` +
      'Wait for that run to end, stop it, or use another output folder.',
    { path: out, pid: holder.pid },
  );
}

// Names of our own temporaries: the native atomic writer's `<file>.tmp-<pid>-<random>`, and the
// `<name>.tmp` / `<name>.old` folders of the export swap (best/, final/).
const tmpFile = /\.safetensors\.tmp-\d+-\d+$/;
const exportDirs = ['best', 'final'];

/**
 * Removes what an interrupted run (kill -9, full disk) left in `out`: half-written checkpoint
 * files and export folders. An export interrupted between its two renames left the previous
 * folder as `<name>.old` and no `<name>`: that one is put back. Call only while holding the lock.
 * Returns the names removed or restored.
 */
export async function cleanStaleFiles(out: string): Promise<string[]> {
  const done: string[] = [];
  let names: string[];
  try {
    names = await readdir(out);
  } catch {
    return done;
  }
  for (const name of names) {
    if (!tmpFile.test(name)) continue;
    await rm(join(out, name), { force: true });
    done.push(name);
  }
  for (const dir of exportDirs) {
    if (names.includes(`${dir}.tmp`)) {
      await rm(join(out, `${dir}.tmp`), { recursive: true, force: true });
      done.push(`${dir}.tmp`);
    }
    if (names.includes(`${dir}.old`)) {
      const live = await stat(join(out, dir)).then(() => true, () => false);
      if (live) {
        await rm(join(out, `${dir}.old`), { recursive: true, force: true });
        done.push(`${dir}.old`);
      } else {
        await rename(join(out, `${dir}.old`), join(out, dir));
        done.push(`${dir}.old -> ${dir}`);
      }
    }
  }
  return done;
}
