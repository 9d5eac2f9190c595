import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readTextFile } from '../files.js';

import { FormatError } from '../errors/FormatError.js';
import { loadSafetensors, readSafetensorsHeader } from '../io/safetensors.js';
import { loadTorchCheckpoint } from '../io/torchCheckpoint.js';
import type { Tensor } from '../tensor/Tensor.js';
import { expectString } from '../validate.js';

export interface OptWeights {
  /** Tensors under our names (decoder.*). */
  tensors: Map<string, Tensor>;
  /** The file(s) read. */
  files: string[];
  /** Names in the files we ignore on purpose (a tied lm_head.weight). */
  ignored: string[];
}

async function shardFiles(dir: string, index: string): Promise<string[]> {
  const path = join(dir, index);
  try {
    const map = (JSON.parse(await readTextFile(path)) as { weight_map?: Record<string, string> }).weight_map;
    if (!map || typeof map !== 'object') throw new Error('no weight_map');
    return [...new Set(Object.values(map))].map((f) => join(dir, f));
  } catch (error) {
    if (error instanceof FormatError) throw error;
    throw new FormatError(`${path}: ${(error as Error).message}`, { path });
  }
}

/**
 * Finds and reads an OPT folder's weights: model.safetensors (single or sharded with
 * model.safetensors.index.json), else pytorch_model.bin (single or sharded). Accepts
 * "model.decoder.*" and bare "decoder.*" names; lm_head.weight is tied to the token embedding.
 */
export async function readOptWeights(dir: string, options: { skip?: readonly string[] } = {}): Promise<OptWeights> {
  expectString(dir, 'dir');
  const skip = options.skip ?? [];
  // safetensors: tensors the caller drops (SLLM.fromOpt: the 154 MB token embedding of opt-125m)
  // are never read, so never freed on the main thread either.
  const safetensors = async (file: string): Promise<Map<string, Tensor>> => {
    if (skip.length === 0) return loadSafetensors(file);
    const names = (await readSafetensorsHeader(file)).entries.map((e) => e.name).filter((n) => !skip.includes(n.startsWith('model.decoder.') ? n.slice('model.'.length) : n));
    return loadSafetensors(file, { names });
  };
  let files: string[];
  let load: (file: string) => Promise<Map<string, Tensor>>;
  if (existsSync(join(dir, 'model.safetensors.index.json'))) {
    files = await shardFiles(dir, 'model.safetensors.index.json');
    load = safetensors;
  } else if (existsSync(join(dir, 'model.safetensors'))) {
    files = [join(dir, 'model.safetensors')];
    load = safetensors;
  } else if (existsSync(join(dir, 'pytorch_model.bin.index.json'))) {
    files = await shardFiles(dir, 'pytorch_model.bin.index.json');
    load = loadTorchCheckpoint;
  } else if (existsSync(join(dir, 'pytorch_model.bin'))) {
    files = [join(dir, 'pytorch_model.bin')];
    load = loadTorchCheckpoint;
  } else {
    throw new FormatError(`Expected model.safetensors or pytorch_model.bin (or a sharded index) in ${dir} but found none`, { path: dir });
  }
  const tensors = new Map<string, Tensor>();
  const ignored: string[] = [];
  for (const file of files) {
    for (const [raw, t] of await load(file)) {
      if (raw === 'lm_head.weight' || raw === 'model.lm_head.weight') {
        ignored.push(raw);
        t.dispose();
        continue;
      }
      const name = raw.startsWith('model.decoder.') ? raw.slice('model.'.length) : raw;
      if (skip.includes(name)) {
        t.dispose(); // pytorch_model.bin: read with the rest (its storages may be shared)
        continue;
      }
      if (tensors.has(name)) throw new FormatError(`${file}: tensor ${name} appears twice`, { path: file });
      tensors.set(name, t);
    }
  }
  return { tensors, files, ignored };
}
