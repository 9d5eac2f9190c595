/**
 * Issue 15, item 8: every zip entry of a pytorch_model.bin that is read is checked against the
 * CRC-32 of the zip directory. Before, 126 of 150 random byte flips loaded silently.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';

import test from 'ava';

import { FormatError, loadTorchCheckpoint } from '../../lib/index.js';
import { readZipDirectory } from '../../lib/internal.js';
import { addon } from '../../lib/native/loader.js';
import { packageRoot } from '../../lib/native/loader.js';
import { Tensor } from '../../lib/tensor/Tensor.js';

const fixture = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln', 'pytorch_model.bin');
const crc32 = (b: Uint8Array) => (zlib as unknown as { crc32(b: Uint8Array): number }).crc32(b) >>> 0;

test('the intact fixture loads; a flipped byte in any entry read (data.pkl or a storage) is a FormatError naming the entry', async (t) => {
  const intact = await loadTorchCheckpoint(fixture);
  t.true(intact.size > 10);
  for (const tensor of intact.values()) tensor.dispose();

  const entries = (await readZipDirectory(fixture)).filter((e) => e.name.endsWith('/data.pkl') || /\/data\/\d+$/.test(e.name));
  t.true(entries.length > 30, `${entries.length} entries`);
  const dir = mkdtempSync(join(tmpdir(), 'svae-crc-'));
  const original = readFileSync(fixture);
  for (const entry of entries) {
    const bytes = Buffer.from(original);
    bytes[entry.dataOffset + (entry.size >> 1)]! ^= 0x10; // one bit in the middle of the entry
    const path = join(dir, 'pytorch_model.bin');
    writeFileSync(path, bytes);
    const error = await t.throwsAsync(loadTorchCheckpoint(path), { instanceOf: FormatError }, entry.name);
    t.regex(error?.message ?? '', new RegExp(`entry ${entry.name} is corrupt: its CRC-32 is 0x[0-9a-f]{8} but the zip directory says 0x[0-9a-f]{8}`), entry.name);
    t.is((error as FormatError | undefined)?.path, path);
  }
  copyFileSync(fixture, join(dir, 'again.bin'));
  const again = await loadTorchCheckpoint(join(dir, 'again.bin'));
  t.is(again.size, intact.size, 'an intact copy still loads');
  for (const tensor of again.values()) tensor.dispose();
});

test('the native reader checks the CRC-32 across its read chunks (a 3.5 MB storage at an odd offset)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'svae-crc-'));
  const path = join(dir, 'blob.bin');
  const data = randomBytes(3.5 * 1024 * 1024 + 13);
  writeFileSync(path, data);
  const offset = 7;
  const nbytes = data.length - offset - 3;
  const crc = crc32(data.subarray(offset, offset + nbytes));
  const read = (expected: number) => addon().io.readStridedViews(path, [{ dtype: 'uint8', offset, nbytes, crc32: expected, name: 'blob/data/0' }], [{ storage: 0, offset: 0, shape: [nbytes], stride: [1] }]);
  const [native] = await read(crc);
  const tensor = new Tensor(native!);
  t.deepEqual(Buffer.from((await tensor.toArray()) as Uint8Array), data.subarray(offset, offset + nbytes));
  tensor.dispose();
  await t.throwsAsync(read((crc ^ 1) >>> 0), { message: /entry blob\/data\/0 is corrupt: its CRC-32 is 0x[0-9a-f]{8} but the zip directory says/ });
});
