import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { FormatError } from '../errors/FormatError.js';

/** Reads a JSON file; a missing, unreadable or malformed file is a FormatError that names it. */
export async function readJsonFile(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new FormatError(`${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { path });
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
