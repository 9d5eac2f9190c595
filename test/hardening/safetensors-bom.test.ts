/**
 * A safetensors header is JSON without a byte-order mark (the reference reader, serde_json,
 * refuses one). The decoder used to drop a leading U+FEFF silently and accept the file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { FormatError } from '../../lib/errors/FormatError.js';
import { readSafetensorsHeader } from '../../lib/io/safetensors.js';

function fileWithHeader(headerText: string): string {
  const header = Buffer.from(headerText, 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  const path = join(mkdtempSync(join(tmpdir(), 'svae-bom-')), 'model.safetensors');
  writeFileSync(path, Buffer.concat([length, header, Buffer.alloc(4)]));
  return path;
}

const json = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';

test('a header without a byte-order mark reads', async (t) => {
  const header = await readSafetensorsHeader(fileWithHeader(json));
  t.deepEqual(header.entries.map((e) => e.name), ['a']);
});

test('a header that starts with a UTF-8 byte-order mark is a FormatError (not valid JSON)', async (t) => {
  const error = await t.throwsAsync(readSafetensorsHeader(fileWithHeader(`\uFEFF${json}`)), { instanceOf: FormatError });
  t.regex(error!.message, /not valid JSON/);
});
