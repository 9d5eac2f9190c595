/**
 * Mutated model files: a copy of a valid model folder with one file damaged (truncated, bytes
 * flipped, header edited, or replaced by a FIFO, a folder, a symlink to a device, an empty
 * file), then loaded. A load that succeeds is used once (a forward pass / generation), so a
 * corrupt file that loads cannot crash later unnoticed.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Edits a safetensors header (JSON) and writes the file back (maybe with a wrong length). */
function editSafetensorsHeader(path, r) {
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const name = r.pick(names);
  const e = header[name];
  const edits = [
    () => { e.dtype = r.pick(['F16', 'I64', 'BOOL', 'F8_E4M3', 'Q4', 7, null]); return `${name}.dtype = ${JSON.stringify(e.dtype)}`; },
    () => { e.shape = r.pick([[], [0], [-1], [1e9, 1e9], [2 ** 53], 'x', null, [...e.shape, 2]]); return `${name}.shape = ${JSON.stringify(e.shape)}`; },
    () => { e.data_offsets = r.pick([[0, 0], [-8, 0], [e.data_offsets[1], e.data_offsets[0]], [0, 2 ** 60], [e.data_offsets[0] + 4, e.data_offsets[1] + 4], null, [0]]); return `${name}.data_offsets = ${JSON.stringify(e.data_offsets)}`; },
    () => { delete header[name]; return `deleted ${name}`; },
    () => { header[`${name}.copy`] = { ...e }; return `duplicated ${name}`; },
    () => { header.__metadata__ = r.pick([null, 5, { a: 1 }, [], { format: 'pt' }]); return `__metadata__ = ${JSON.stringify(header.__metadata__)}`; },
    () => { header[r.pick(['', '__proto__', 'constructor', 'x'.repeat(300)])] = e; return 'an odd tensor name'; },
  ];
  const what = r.pick(edits)();
  let json = JSON.stringify(header);
  if (r.chance(0.2)) json = json.slice(0, r.int(json.length)); // broken JSON
  const body = Buffer.from(json);
  const prefix = Buffer.alloc(8);
  const lengths = [body.length, body.length, body.length, body.length + 1, body.length - 1, 0, 2 ** 40];
  const declared = r.pick(lengths);
  prefix.writeBigUInt64LE(BigInt(Math.max(0, declared)));
  writeFileSync(path, Buffer.concat([prefix, body, bytes.subarray(8 + n)]));
  return `header edit: ${what}, declared length ${declared} for ${body.length}`;
}

/** Edits a JSON file (config.json, tokenizer files). */
function editJson(path, r) {
  const text = readFileSync(path, 'utf8');
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = {};
  }
  const keys = Object.keys(json);
  const key = keys.length > 0 ? r.pick(keys) : 'x';
  const value = r.pick([null, -1, 0, 1e9, 2 ** 53, 1.5, '', 'opt', true, [], {}, 'a'.repeat(1000)]);
  if (r.chance(0.2)) delete json[key];
  else json[key] = value;
  let out = JSON.stringify(json);
  if (r.chance(0.15)) out = out.slice(0, r.int(out.length));
  writeFileSync(path, out);
  return `json edit: ${key} = ${JSON.stringify(value)}`;
}

/** Damages `file` (a path inside a copied folder). Returns what was done. */
export function damage(file, r) {
  const size = readFileSync(file).length;
  const json = file.endsWith('.json');
  const kinds = ['truncate', 'flip', 'flip', 'fifo', 'directory', 'urandom', 'zero', 'empty', 'garbage'];
  if (file.endsWith('.safetensors')) kinds.push('header', 'header', 'header');
  if (json) kinds.push('json', 'json', 'json');
  const kind = r.pick(kinds);
  switch (kind) {
    case 'truncate': {
      const to = r.int(size);
      truncateSync(file, to);
      return `truncated to ${to} of ${size} bytes`;
    }
    case 'flip': {
      const bytes = readFileSync(file);
      const n = 1 + r.int(16);
      for (let i = 0; i < n; i++) bytes[r.int(bytes.length)] ^= 1 << r.int(8);
      writeFileSync(file, bytes);
      return `${n} bit flips`;
    }
    case 'fifo':
      rmSync(file);
      execFileSync('mkfifo', [file]);
      return 'a FIFO';
    case 'directory':
      rmSync(file);
      mkdirSync(file);
      return 'a directory';
    case 'urandom':
      rmSync(file);
      symlinkSync('/dev/urandom', file);
      return 'a symlink to /dev/urandom';
    case 'zero':
      rmSync(file);
      symlinkSync('/dev/zero', file);
      return 'a symlink to /dev/zero';
    case 'empty':
      writeFileSync(file, '');
      return 'empty';
    case 'garbage': {
      const bytes = Buffer.alloc(1 + r.int(4096));
      for (let i = 0; i < bytes.length; i++) bytes[i] = r.int(256);
      writeFileSync(file, bytes);
      return `${bytes.length} random bytes`;
    }
    case 'header':
      return editSafetensorsHeader(file, r);
    case 'json':
      return editJson(file, r);
    default:
      throw new Error(kind);
  }
}

/** Loaders of model folders and files: [name, source folder key, file filter, load + use]. */
export function fileTargets(ctx) {
  const L = ctx.lib;
  const use = async (model, run) => {
    try {
      return await run(model);
    } finally {
      model.dispose?.();
    }
  };
  return [
    { name: 'files:OPT.load', source: ctx.optDir, load: (dir) => L.OPT.load(dir).then((m) => use(m, (o) => o.forward({ inputIds: [[2, 100, 200]] }))) },
    { name: 'files:OPT.load(.bin only)', source: ctx.optBinDir, load: (dir) => L.OPT.load(dir).then((m) => use(m, (o) => o.generate('Hello', { maxNewTokens: 2 }))) },
    { name: 'files:SLLM.fromOpt', source: ctx.optDir, load: (dir) => L.SLLM.fromOpt(dir, { svae: { layers: 1 } }).then((m) => use(m, (s) => s.generateText('Hi there.', { maxSentences: 1, maxSentenceTokens: 3 }))) },
    { name: 'files:SentenceVAE.load', source: ctx.svaeDir, load: (dir) => L.SentenceVAE.load(dir).then((m) => use(m, (v) => v.reconstruct(['Hello.'], { maxTokens: 3 }))) },
    { name: 'files:SLLM.load', source: ctx.sllmDir, load: (dir) => L.SLLM.load(dir).then((m) => use(m, (s) => s.generateText('Hi there.', { maxSentences: 1, maxSentenceTokens: 3 }))) },
    { name: 'files:Tokenizer.fromPretrained', source: ctx.optDir, load: (dir) => L.Tokenizer.fromPretrained(dir).then((t) => t.encode('Hello there')) },
    { name: 'files:loadSafetensors', source: ctx.optDir, only: 'model.safetensors', load: (dir) => L.loadSafetensors(join(dir, 'model.safetensors')).then((m) => { for (const x of m.values()) x.dispose(); }) },
    { name: 'files:loadTorchCheckpoint', source: ctx.optBinDir, only: 'pytorch_model.bin', load: (dir) => L.loadTorchCheckpoint(join(dir, 'pytorch_model.bin')).then((m) => { for (const x of m.values()) x.dispose(); }) },
    { name: 'files:readCheckpoint', source: ctx.checkpointDir, load: (dir) => L.readCheckpoint(dir).then((c) => { for (const x of [...(c?.model.values() ?? []), ...(c?.snapshot.tensors.values() ?? [])]) x.dispose(); }) },
  ];
}

/** Copies `source` into `dir`, damages one of its files, returns the description. */
export function prepareDamaged(target, dir, r) {
  cpSync(target.source, dir, { recursive: true });
  const files = target.only ? [target.only] : readdirSync(dir).filter((f) => f !== 'reference.safetensors');
  const file = r.pick(files);
  return `${file}: ${damage(join(dir, file), r)}`;
}
