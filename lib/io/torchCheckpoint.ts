/**
 * `pytorch_model.bin` (torch.save's zip format): the pickle is parsed by the restricted reader
 * (io/torchPickle.ts), the storages are read natively straight from the zip (never through JS
 * buffers), each storage once even when tensors share it (a tied lm_head).
 */
import { FormatError } from '../errors/FormatError.js';
import { callAsync } from '../native/call.js';
import { addon } from '../native/loader.js';
import { Tensor } from '../tensor/Tensor.js';
import { parseStateDictPickle } from './torchPickle.js';
import { readZipDirectory, readZipEntry } from './zip.js';
import { expectString } from '../validate.js';

const itemSize: Record<string, number> = { float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1 };

/**
 * Loads every tensor of a torch.save'd state dict onto the CPU. Every entry read is checked
 * against the CRC-32 of the zip directory (a flipped byte is a FormatError naming the entry).
 */
export async function loadTorchCheckpoint(path: string): Promise<Map<string, Tensor>> {
  expectString(path, 'path');
  const entries = await readZipDirectory(path);
  const pkl = entries.find((e) => e.name.endsWith('/data.pkl') || e.name === 'data.pkl');
  if (!pkl) throw new FormatError(`${path}: no data.pkl inside: not a torch.save zip checkpoint`, { path });
  const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
  const refs = parseStateDictPickle(await readZipEntry(path, pkl), path);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const storageIndex = new Map<string, number>();
  const storages: { dtype: string; offset: number; nbytes: number; crc32: number; name: string }[] = [];
  const views: { storage: number; offset: number; shape: number[]; stride: number[] }[] = [];
  for (const [name, ref] of refs) {
    let index = storageIndex.get(ref.storage.key);
    if (index === undefined) {
      const entry = byName.get(`${prefix}data/${ref.storage.key}`);
      if (!entry) throw new FormatError(`${path}: tensor '${name}' refers to storage ${ref.storage.key}, which the archive lacks`, { path });
      if (entry.compression !== 0) throw new FormatError(`${path}: storage ${ref.storage.key} is compressed; only stored entries are supported`, { path });
      const nbytes = ref.storage.numel * itemSize[ref.storage.dtype]!;
      if (entry.size !== nbytes) throw new FormatError(`${path}: storage ${ref.storage.key} has ${entry.size} bytes but the pickle says ${nbytes}`, { path });
      index = storages.length;
      storageIndex.set(ref.storage.key, index);
      // The native reader computes each storage's CRC-32 while it reads it and refuses a mismatch.
      storages.push({ dtype: ref.storage.dtype, offset: entry.dataOffset, nbytes, crc32: entry.crc32, name: entry.name });
    }
    views.push({ storage: index, offset: ref.offset, shape: ref.shape, stride: ref.stride });
  }
  const natives = await callAsync(() => addon().io.readStridedViews(path, storages, views)).catch((error: Error) => {
    throw new FormatError(`${path}: ${error.message}`, { path });
  });
  return new Map([...refs.keys()].map((name, i) => [name, new Tensor(natives[i]!)]));
}
