/**
 * Tests of lib/io/torchCheckpoint.ts written for mutation testing (`npm run mutate --
 * lib/io/torchCheckpoint.ts`): torch.save archives rebuilt from the OPT fixture's entries
 * (test/mutation/zipBuilder.ts) with one thing changed each.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { FormatError } from '../../lib/errors/FormatError.js';
import { loadTorchCheckpoint } from '../../lib/io/torchCheckpoint.js';
import { crc32, readZipDirectory } from '../../lib/io/zip.js';
import { packageRoot } from '../../lib/native/loader.js';
import { buildZip, type BuildEntry } from './zipBuilder.js';

const dir = mkdtempSync(join(tmpdir(), 'svae-mut-io-'));
let n = 0;
const file = (bytes: Uint8Array | string) => {
  const path = join(dir, `f${n++}`);
  writeFileSync(path, bytes);
  return path;
};

// The OPT fixture's pytorch_model.bin, taken apart into entries to rebuild variants of it.
const fixture = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln', 'pytorch_model.bin');
async function fixtureEntries(): Promise<BuildEntry[]> {
  const raw = readFileSync(fixture);
  return (await readZipDirectory(fixture)).map((e) => ({ name: e.name, data: raw.subarray(e.dataOffset, e.dataOffset + e.size) }));
}

test('loadTorchCheckpoint: a rebuilt archive, another prefix, and data.pkl at the root load the same tensors', async (t) => {
  const reference = await loadTorchCheckpoint(fixture);
  const values = async (m: Map<string, import('../../lib/tensor/Tensor.js').Tensor>) => {
    const out: Record<string, number[]> = {};
    for (const [k, v] of m) out[k] = Array.from((await v.toArray()) as ArrayLike<number>).slice(0, 8);
    return out;
  };
  const expected = await values(reference);
  const entries = await fixtureEntries();
  const prefix = entries[0]!.name.slice(0, entries[0]!.name.indexOf('/') + 1);
  for (const rename of [(s: string) => s, (s: string) => `other/${s.slice(prefix.length)}`, (s: string) => s.slice(prefix.length)]) {
    const path = file(buildZip(entries.map((e) => ({ ...e, name: rename(e.name) }))));
    const loaded = await loadTorchCheckpoint(path);
    t.deepEqual([...loaded.keys()], [...reference.keys()]);
    t.deepEqual(await values(loaded), expected);
    for (const v of loaded.values()) v.dispose();
  }
  for (const v of reference.values()) v.dispose();
});

test('loadTorchCheckpoint: no data.pkl, a missing, compressed or wrongly sized storage, an unreadable storage', async (t) => {
  const entries = await fixtureEntries();
  const pkl = entries.find((e) => e.name.endsWith('/data.pkl'))!;
  const storage = entries.find((e) => /\/data\/\d+$/.test(e.name) && e.data.length > 64)!;
  const key = storage.name.slice(storage.name.lastIndexOf('/') + 1);
  const refuse = async (variant: BuildEntry[], message: RegExp) => {
    const path = file(buildZip(variant));
    const error = await t.throwsAsync(loadTorchCheckpoint(path), { instanceOf: FormatError, message });
    t.is((error as FormatError).path, path);
    t.true(error!.message.startsWith(`${path}: `));
  };
  await refuse(entries.filter((e) => e !== pkl), /no data\.pkl inside: not a torch\.save zip checkpoint/);
  await refuse(entries.map((e) => (e === pkl ? { ...e, name: `${e.name}x` } : e)), /no data\.pkl inside/);
  await refuse(entries.filter((e) => e !== storage), new RegExp(`refers to storage ${key}, which the archive lacks`));
  await refuse(entries.map((e) => (e === storage ? { ...e, compression: 8 } : e)), new RegExp(`storage ${key} is compressed; only stored entries are supported`));
  await refuse(entries.map((e) => (e === storage ? { ...e, data: e.data.subarray(0, e.data.length - 4) } : e)), new RegExp(`storage ${key} has ${storage.data.length - 4} bytes but the pickle says ${storage.data.length}`));
  // A storage whose CRC-32 does not match: the native reader's refusal becomes a FormatError naming the file.
  await refuse(entries.map((e) => (e === storage ? { ...e, crc: (crc32(e.data) ^ 1) >>> 0 } : e)), /CRC|crc|corrupt/);
});
