import { join } from 'node:path';

import { FormatError } from '../errors/FormatError.js';
import { maxJsonBytes, readTextFile } from '../files.js';

/**
 * Reads a JSON file (a regular file of at most `maxBytes`, default 16 MiB); a missing,
 * special, oversized, unreadable or malformed file is a FormatError that names it.
 */
export async function readJsonFile(path: string, maxBytes = maxJsonBytes): Promise<unknown> {
  const text = await readTextFile(path, { maxBytes, what: 'a JSON file' });
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FormatError(`${path}: ${(error as Error).message}`, { path });
  }
}

/** A model folder's config.json, checked to be an object with `"architecture": architecture`. */
export async function readModelConfig(dir: string, architecture: string): Promise<{ path: string; raw: Record<string, unknown> }> {
  const path = join(dir, 'config.json');
  const raw = await readJsonFile(path);
  if (raw === null || typeof raw !== 'object' || (raw as { architecture?: unknown }).architecture !== architecture) {
    throw new FormatError(`${path}: expected "architecture": "${architecture}"`, { path });
  }
  return { path, raw: raw as Record<string, unknown> };
}
