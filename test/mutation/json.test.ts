/**
 * Tests of lib/io/json.ts written for mutation testing (`npm run mutate -- lib/io/json.ts`):
 * parsed values, the size cap, and FormatErrors that name the file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { FormatError } from '../../lib/errors/FormatError.js';
import { readJsonFile, readModelConfig } from '../../lib/io/json.js';

const dir = mkdtempSync(join(tmpdir(), 'svae-mut-io-'));
let n = 0;
const file = (bytes: Uint8Array | string) => {
  const path = join(dir, `f${n++}`);
  writeFileSync(path, bytes);
  return path;
};

test('readJsonFile / readModelConfig: parsed values, size cap, malformed JSON and architecture checks name the file', async (t) => {
  t.deepEqual(await readJsonFile(file('{"a": [1, 2]}')), { a: [1, 2] });
  const big = file(`{"pad": "${'x'.repeat(40)}"}`);
  t.deepEqual(await readJsonFile(big, 1000), { pad: 'x'.repeat(40) });
  await t.throwsAsync(readJsonFile(big, 20), { instanceOf: FormatError, message: /over the 20-byte limit for a JSON file/ });
  const bad = file('{"a": ');
  const error = await t.throwsAsync(readJsonFile(bad), { instanceOf: FormatError });
  t.true(error!.message.startsWith(`${bad}: `));
  t.is((error as FormatError).path, bad);

  for (const [content, ok] of [['{"architecture": "opt", "x": 1}', true], ['null', false], ['5', false], ['"opt"', false], ['{"architecture": "svae"}', false], ['{}', false]] as const) {
    const folder = mkdtempSync(join(dir, 'model-'));
    writeFileSync(join(folder, 'config.json'), content);
    if (ok) {
      t.deepEqual(await readModelConfig(folder, 'opt'), { path: join(folder, 'config.json'), raw: { architecture: 'opt', x: 1 } });
    } else {
      const e = await t.throwsAsync(readModelConfig(folder, 'opt'), { instanceOf: FormatError, message: `${join(folder, 'config.json')}: expected "architecture": "opt"` });
      t.is((e as FormatError).path, join(folder, 'config.json'), content);
    }
  }
});
