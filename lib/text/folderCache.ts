/**
 * One shared, immutable object per folder of files, while anything still holds it: Tokenizer
 * .fromPretrained loads a folder once and hands the same Tokenizer to every later load of the
 * same unchanged files (OPT.load, SLLM.load and the user's own call all load the model folder's
 * tokenizer). Why share: the `tokenizers` binding frees a 50k-id BPE tokenizer in its garbage
 * collection finalizer, on the main thread, 6-8 ms each (perf, 2-core VM) — several collected
 * together held the event loop 30-45 ms — and each copy holds 7-22 MB.
 *
 * An entry is reused only when the folder's real path and every named file's identity (inode,
 * size, modification time; absent files included) are what they were at load: an edited or
 * replaced file loads afresh. Entries hold their object weakly: once nothing else holds it, it
 * is collected as before and a later call loads again.
 */
import { realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';

interface Entry<T extends object> {
  fingerprint: string;
  /** While the first load runs: concurrent calls wait for the same object. */
  pending?: Promise<T>;
  ref?: WeakRef<T>;
}

export class FolderCache<T extends object> {
  readonly #files: readonly string[];
  readonly #entries = new Map<string, Entry<T>>();
  readonly #registry = new FinalizationRegistry<{ dir: string; entry: Entry<T> }>(({ dir, entry }) => {
    if (this.#entries.get(dir) === entry) this.#entries.delete(dir);
  });

  /** @param files the file names inside a folder whose identity decides whether it changed. */
  constructor(files: readonly string[]) {
    this.#files = files;
  }

  /** The object loaded from `dir` earlier if its files are unchanged and it is still alive, else `load()`'s. */
  async get(dir: string, load: () => Promise<T>): Promise<T> {
    const real = await realpath(dir).catch(() => undefined);
    if (real === undefined) return load(); // let the loader report the missing folder in its own words
    const fingerprint = await this.#fingerprint(real);
    const known = this.#entries.get(real);
    if (known && known.fingerprint === fingerprint) {
      if (known.pending) return known.pending;
      const alive = known.ref?.deref();
      if (alive) return alive;
    }
    const entry: Entry<T> = { fingerprint };
    entry.pending = load();
    this.#entries.set(real, entry);
    try {
      const value = await entry.pending;
      entry.ref = new WeakRef(value);
      this.#registry.register(value, { dir: real, entry });
      return value;
    } catch (error) {
      if (this.#entries.get(real) === entry) this.#entries.delete(real);
      throw error;
    } finally {
      delete entry.pending;
    }
  }

  async #fingerprint(dir: string): Promise<string> {
    const parts = await Promise.all(this.#files.map(async (name) => {
      const s = await stat(join(dir, name), { bigint: true }).catch(() => undefined);
      return s ? `${name}:${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}` : `${name}:-`;
    }));
    return parts.join('|');
  }
}
