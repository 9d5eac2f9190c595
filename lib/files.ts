/**
 * The two file-system doors of the package: "open a regular file for reading" and "make an
 * output folder". Every file the library reads and every folder it creates goes through here,
 * so that no path can make a call hang:
 *
 * - A FIFO in place of config.json blocks `open()` until a writer appears (forever), and
 *   /dev/urandom reads without end. Files are stat'ed before they are opened (devices are never
 *   opened), opened with O_NONBLOCK (a FIFO swapped in between cannot block the open) and
 *   fstat'ed after opening: anything but a regular file is a FormatError naming the file.
 * - Text files read whole are capped (a clear error naming the file, the limit and the size).
 * - Node's `mkdir(path, { recursive: true })` never settles on /proc (it retries forever), and on
 *   a read-only file system reports ENOENT. Folders are made one level at a time from the root,
 *   so each failure is the operating system's own answer (EROFS, EACCES, ...) at the level that
 *   failed, as a FileSystemError.
 *
 * This module sits below every floor that touches files (it imports only errors/).
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { access, appendFile, mkdir, open, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join, parse, resolve, sep } from 'node:path';

import { FileSystemError } from './errors/FileSystemError.js';
import { FormatError } from './errors/FormatError.js';
import { InvalidArgumentError } from './errors/InvalidArgumentError.js';

/** Largest JSON metadata file read whole (config.json, *.index.json, tokenizer_config.json, run configs). */
export const maxJsonBytes = 16 * 1024 * 1024;
/** Largest tokenizer file read whole (tokenizer.json, vocab.json, merges.txt): the largest published ones are ~35 MB. */
export const maxTokenizerBytes = 256 * 1024 * 1024;

// O_NONBLOCK: opening a FIFO for reading without a writer returns at once instead of blocking
// (it has no effect on reads of regular files, the only kind we go on to read).
const readFlags = constants.O_RDONLY | constants.O_NONBLOCK;

const codeOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | null)?.code;

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'a special file';
}

function notRegular(path: string, s: Stats): FormatError {
  return new FormatError(`Expected a regular file for ${path} but received ${kindOf(s)}`, { path });
}

function openError(path: string, error: unknown): FormatError {
  const code = codeOf(error);
  if (code === 'ENOENT') return new FormatError(`${path}: no such file`, { path }, { cause: error });
  if (code === 'EACCES' || code === 'EPERM') return new FormatError(`${path}: permission denied (${code})`, { path }, { cause: error });
  if (code === 'ENOTDIR') return new FormatError(`${path}: no such file (a part of the path is not a folder)`, { path }, { cause: error });
  return new FormatError(`${path}: ${(error as Error).message}`, { path }, { cause: error });
}

function tooLarge(path: string, size: number, maxBytes: number, what: string): FormatError {
  return new FormatError(`${path} is ${size} bytes, over the ${maxBytes}-byte limit for ${what}`, { path });
}

export interface ReadLimit {
  /** Refuse files larger than this. @default maxJsonBytes (16 MiB) */
  maxBytes?: number;
  /** What the file is, for the size error ("a JSON file", "a tokenizer file"). @default 'a JSON file' */
  what?: string;
}

/**
 * Opens a regular file for reading; the caller closes the handle. A missing file, a folder, a
 * FIFO, a device or a socket is a FormatError that names the path, and nothing ever blocks.
 * @example
 * ```ts
 * const { handle, size } = await openRegularFile('model/pytorch_model.bin');
 * try { await handle.read(Buffer.alloc(4), 0, 4, 0); } finally { await handle.close(); }
 * ```
 */
export async function openRegularFile(path: string): Promise<{ handle: FileHandle; size: number }> {
  let before: Stats;
  try {
    before = await stat(path);
  } catch (error) {
    throw openError(path, error);
  }
  if (!before.isFile()) throw notRegular(path, before); // devices are never even opened
  let handle: FileHandle;
  try {
    handle = await open(path, readFlags);
  } catch (error) {
    throw openError(path, error);
  }
  try {
    const after = await handle.stat(); // the path may have been replaced between stat and open
    if (!after.isFile()) throw notRegular(path, after);
    return { handle, size: after.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Reads a whole regular file, refusing one over `limit.maxBytes`.
 * @example
 * ```ts
 * const bytes = await readRegularFile('vocab.json', { maxBytes: maxTokenizerBytes, what: 'a tokenizer file' });
 * ```
 */
export async function readRegularFile(path: string, limit: ReadLimit = {}): Promise<Buffer> {
  const maxBytes = limit.maxBytes ?? maxJsonBytes;
  const { handle, size } = await openRegularFile(path);
  try {
    if (size > maxBytes) throw tooLarge(path, size, maxBytes, limit.what ?? 'a JSON file');
    const buf = Buffer.alloc(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await handle.read(buf, done, size - done, done);
      if (bytesRead === 0) break; // the file shrank while we read it
      done += bytesRead;
    }
    return done === size ? buf : buf.subarray(0, done);
  } catch (error) {
    if (error instanceof FormatError) throw error;
    throw openError(path, error);
  } finally {
    await handle.close();
  }
}

/**
 * Reads a whole regular file as UTF-8 text (invalid sequences become U+FFFD, as `readFile` does),
 * refusing one over `limit.maxBytes` (default 16 MiB).
 * @example
 * ```ts
 * const config = JSON.parse(await readTextFile('model/config.json'));
 * ```
 */
export async function readTextFile(path: string, limit: ReadLimit = {}): Promise<string> {
  return (await readRegularFile(path, limit)).toString('utf8');
}

/**
 * `readTextFile` for the few synchronous checks (e.g. "is this folder an SLLM?"); same rules.
 * @example
 * ```ts
 * const raw = readTextFileSync('model/config.json');
 * ```
 */
export function readTextFileSync(path: string, limit: ReadLimit = {}): string {
  const maxBytes = limit.maxBytes ?? maxJsonBytes;
  let before: Stats;
  try {
    before = statSync(path);
  } catch (error) {
    throw openError(path, error);
  }
  if (!before.isFile()) throw notRegular(path, before);
  let fd: number;
  try {
    fd = openSync(path, readFlags);
  } catch (error) {
    throw openError(path, error);
  }
  try {
    const after = fstatSync(fd);
    if (!after.isFile()) throw notRegular(path, after);
    if (after.size > maxBytes) throw tooLarge(path, after.size, maxBytes, limit.what ?? 'a JSON file');
    const buf = Buffer.alloc(after.size);
    let done = 0;
    while (done < buf.length) {
      const n = readSync(fd, buf, done, buf.length - done, done);
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * True when `path` is a regular file (following links). For optional files that are copied
 * rather than read (a FIFO among them would block the copy forever).
 * @example
 * ```ts
 * if (isRegularFile('model/vocab.json')) await copyFile('model/vocab.json', 'out/vocab.json');
 * ```
 */
export function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function folderError(target: string, at: string, error: unknown, verb: 'create' | 'write into'): FileSystemError {
  const code = codeOf(error);
  const head = `Cannot ${verb} the folder ${target}`;
  let why: string;
  switch (code) {
    case 'EROFS': why = `${at} is on a read-only file system (EROFS)`; break;
    case 'EACCES': case 'EPERM': why = `permission denied at ${at} (${code})`; break;
    case 'ENOSPC': why = `no space left on the device of ${at} (ENOSPC)`; break;
    case 'EDQUOT': why = `disk quota exceeded at ${at} (EDQUOT)`; break;
    // mkdir answers ENOENT when its parent exists: a virtual file system (/proc, /sys) that
    // does not take new entries, or a parent removed meanwhile.
    case 'ENOENT': why = `${dirname(at)} does not accept new folders (mkdir ${at}: ENOENT)`; break;
    default: why = `${at}: ${(error as Error).message}`;
  }
  return new FileSystemError(`${head}: ${why}`, { path: at, ...(code ? { errno: code } : {}) }, { cause: error });
}

/**
 * Makes an output folder (and its missing parents), failing fast with the operating system's
 * own reason: walks the path from the root, creating one level at a time (never a recursive
 * mkdir, which never settles on /proc), then checks the folder is writable (so a read-only file
 * system says EROFS before any work is done). Errors are FileSystemError with `errno`.
 * @example
 * ```ts
 * await makeOutputDir('runs/svae/best.tmp');
 * ```
 */
export async function makeOutputDir(path: string): Promise<void> {
  const full = resolve(path);
  const { root } = parse(full);
  let at = root;
  for (const part of full.slice(root.length).split(sep).filter((p) => p !== '')) {
    at = join(at, part);
    let existing: Stats | undefined;
    try {
      existing = await stat(at);
    } catch (error) {
      if (codeOf(error) !== 'ENOENT') throw folderError(path, at, error, 'create');
    }
    if (existing === undefined) {
      try {
        await mkdir(at);
        continue;
      } catch (error) {
        if (codeOf(error) !== 'EEXIST') throw folderError(path, at, error, 'create');
        existing = await stat(at).catch((e: unknown) => {
          throw folderError(path, at, e, 'create');
        }); // made meanwhile by someone else
      }
    }
    if (!existing.isDirectory()) {
      throw new FileSystemError(`Cannot create the folder ${path}: ${at} exists and is not a folder`, { path: at, errno: 'ENOTDIR' });
    }
  }
  try {
    await access(full, constants.W_OK);
  } catch (error) {
    throw folderError(path, full, error, 'write into');
  }
}

/**
 * Writes (or, with `append`, appends) a small text file: a path with a NUL character is an
 * InvalidArgumentError, and every failure of the write (no such folder, a folder in the way,
 * a name too long, EIO on /proc/self/mem, ...) a FileSystemError naming the file and errno,
 * never Node's raw error.
 * @example
 * ```ts
 * await writeTextFile('runs/svae/curves.svg', svg);
 * ```
 */
export async function writeTextFile(path: string, text: string, options: { append?: boolean } = {}): Promise<void> {
  if (path.includes('\0')) throw new InvalidArgumentError(`Expected a path without NUL characters for path but received '${path.replace(/\0/g, '\\0').slice(0, 60)}' of type string`);
  try {
    await (options.append ? appendFile(path, text) : writeFile(path, text));
  } catch (error) {
    const code = codeOf(error);
    throw new FileSystemError(`Cannot write the file ${path === '' ? "''" : path}: ${(error as Error).message}`, { path, ...(code ? { errno: code } : {}) }, { cause: error });
  }
}
