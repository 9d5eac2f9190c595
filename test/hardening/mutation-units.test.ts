/**
 * Model-free tests for bugs a mutation audit planted and the suite did not notice (issue 15,
 * item 15); the model-dependent ones are in mutation-survivors.test.ts. Each test names the
 * mutation it kills; each was checked by planting that mutation by hand, seeing the test fail,
 * and reverting. These run in a second, so `npm run mutate` (Stryker) runs them for every mutant.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { FormatError, InvalidArgumentError, loadSafetensors, segment } from '../../lib/index.js';
import { parseStateDictPickle } from '../../lib/internal.js';
import { nativeSampling } from '../../lib/models/sampling.js';

// ---------------------------------------------------------------------------------------------
// Mutation: a mark dropped from the default cut marks (e.g. ';').
// The marks are spelled out here, not read from defaultCutMarks: a test that iterates over the
// library's own constant cannot notice that the constant lost a mark.

const expectedDefaultMarks = [',', '.', '!', '?', ';', ':', '，', '。', '！', '？', '；', '：', '…'];

for (const mark of expectedDefaultMarks) {
  test(`default cut mark ${JSON.stringify(mark)} ends a segment`, (t) => {
    t.deepEqual(segment(`alpha${mark} beta`), [`alpha${mark}`, ' beta']);
    t.deepEqual(segment(`alpha${mark}beta`), [`alpha${mark}`, 'beta']);
  });
}

test('characters that are not default cut marks do not cut', (t) => {
  for (const c of ['-', "'", '/', '(', '#', '、', '·']) t.deepEqual(segment(`alpha${c} beta`), [`alpha${c} beta`], c);
});

// ---------------------------------------------------------------------------------------------
// Mutation: default temperature 1 -> 0.7 (or any other default drifting from its documented value).

const explicitDefaults = { sample: false, temperature: 1, topK: 0, topP: 1, seed: 0 } as const;

test('sampling defaults equal their documented explicit values', (t) => {
  t.deepEqual(nativeSampling({}), nativeSampling(explicitDefaults));
  t.deepEqual(nativeSampling({}), { greedy: true, temperature: 1, topK: 0, topP: 1, seed: 0 });
  t.deepEqual(nativeSampling({ sample: true }), { greedy: false, temperature: 1, topK: 0, topP: 1, seed: 0 });
});

test('sampling: each option is checked against its range, bounds included, and named when refused', (t) => {
  t.is(nativeSampling({ temperature: 1e-6 }).temperature, 1e-6);
  t.is(nativeSampling({ topP: 0 }).topP, 0);
  t.is(nativeSampling({ topK: 7, seed: Number.MAX_SAFE_INTEGER }).seed, Number.MAX_SAFE_INTEGER);
  t.false(nativeSampling({ sample: true }).greedy);
  const refused = (o: object, message: string) => t.is(t.throws(() => nativeSampling(o), { instanceOf: InvalidArgumentError })?.message, message);
  refused({ temperature: 0 }, 'Expected number between 0.000001 and Infinity for temperature but received 0 of type number');
  refused({ topK: -1 }, 'Expected integer >= 0 for topK but received -1 of type number');
  refused({ topK: 1.5 }, 'Expected integer >= 0 for topK but received 1.5 of type number');
  refused({ topP: 1.5 }, 'Expected number between 0 and 1 for topP but received 1.5 of type number');
  refused({ seed: -1 }, 'Expected integer between 0 and 9007199254740991 for seed but received -1 of type number');
});

// ---------------------------------------------------------------------------------------------
// Mutation: safetensors entries checked in header order instead of data order.

function safetensorsBytes(header: Record<string, unknown>, data: Buffer): Buffer {
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((json.length + 8) % 8)) % 8);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, Buffer.from(json), data]);
}

test('safetensors: a file whose header lists tensors in another order than their data loads', async (t) => {
  const a = new Float32Array([1, 2, 3]);
  const b = new Int32Array([-7, 8]);
  const c = new Float32Array([0.5]);
  // Data order: c, b, a. Header order: a, c, b.
  const data = Buffer.concat([Buffer.from(c.buffer), Buffer.from(b.buffer), Buffer.from(a.buffer)]);
  const file = join(mkdtempSync(join(tmpdir(), 'svae-mut-')), 'reordered.safetensors');
  writeFileSync(file, safetensorsBytes({
    a: { dtype: 'F32', shape: [3], data_offsets: [12, 24] },
    __metadata__: { format: 'pt' },
    c: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
    b: { dtype: 'I32', shape: [2], data_offsets: [4, 12] },
  }, data));
  const tensors = await loadSafetensors(file);
  t.deepEqual([...tensors.keys()].sort(), ['a', 'b', 'c']);
  t.deepEqual(await tensors.get('a')!.toArray(), a);
  t.deepEqual(await tensors.get('b')!.toArray(), b);
  t.deepEqual(await tensors.get('c')!.toArray(), c);
  for (const x of tensors.values()) x.dispose();
  // The checks still hold in any order: an overlap listed first is refused.
  writeFileSync(file, safetensorsBytes({
    a: { dtype: 'F32', shape: [3], data_offsets: [8, 20] },
    c: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
    b: { dtype: 'I32', shape: [2], data_offsets: [4, 12] },
  }, data.subarray(0, 20)));
  await t.throwsAsync(loadSafetensors(file), { instanceOf: FormatError, message: /overlaps/ });
});

// ---------------------------------------------------------------------------------------------
// Mutation: the pickle reader's protocol-4 STACK_GLOBAL path skipping the allow-list.

const op = { PROTO: 0x80, FRAME: 0x95, SHORT_BINUNICODE: 0x8c, STACK_GLOBAL: 0x93, MEMOIZE: 0x94, TUPLE1: 0x85, REDUCE: 0x52, EMPTY_DICT: 0x7d, BUILD: 0x62, STOP: 0x2e, BINPUT: 0x71 };
const ustr = (s: string) => [op.SHORT_BINUNICODE, Buffer.byteLength(s), ...Buffer.from(s)];
/** A protocol-4 pickle: PROTO 4, one FRAME around `body`. */
function protocol4(body: number[]): Buffer {
  const frame = Buffer.alloc(8);
  frame.writeBigUInt64LE(BigInt(body.length));
  return Buffer.from([op.PROTO, 4, op.FRAME, ...frame, ...body]);
}

test('pickle: protocol-4 STACK_GLOBAL of a global outside the allow-list is refused by name', (t) => {
  const calls: [string, string, string][] = [['os', 'system', 'echo pwned'], ['builtins', 'eval', '1+1'], ['subprocess', 'check_output', 'id'], ['posix', 'system', 'id']];
  for (const [module, name, arg] of calls) {
    const pickle = protocol4([...ustr(module), op.MEMOIZE, ...ustr(name), op.MEMOIZE, op.STACK_GLOBAL, op.MEMOIZE, ...ustr(arg), op.TUPLE1, op.REDUCE, op.STOP]);
    t.throws(() => parseStateDictPickle(pickle, 'evil.bin'), { instanceOf: FormatError, message: new RegExp(`unexpected global '${module}\\.${name}'`) }, `${module}.${name}`);
  }
  // Merely naming a forbidden global is enough to be refused, even when it is never called:
  // this pickle would otherwise be a valid (empty) state dict.
  const named = protocol4([op.EMPTY_DICT, op.MEMOIZE, ...ustr('builtins'), ...ustr('eval'), op.STACK_GLOBAL, op.BUILD, op.STOP]);
  t.throws(() => parseStateDictPickle(named, 'evil.bin'), { instanceOf: FormatError, message: /unexpected global 'builtins\.eval'/ });
  // Control: the same pickle naming an allowed global parses.
  const allowed = protocol4([op.EMPTY_DICT, op.MEMOIZE, ...ustr('collections'), ...ustr('OrderedDict'), op.STACK_GLOBAL, op.BUILD, op.STOP]);
  t.is(parseStateDictPickle(allowed, 'ok.bin').size, 0);
});

