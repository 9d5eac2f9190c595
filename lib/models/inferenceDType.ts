import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { DTypeError } from '../errors/DTypeError.js';
import { readSafetensorsHeader } from '../io/safetensors.js';
import type { ModelDType } from './SentenceVAE.js';

/**
 * Weight types a model can run in. 'int8' is inference-only and CPU-only: weight-only int8 in
 * blocks of 32 with one float32 scale each (activations stay float32; see docs/architecture.md,
 * "int8 weights"). The model is built in float32, its weights loaded, then quantized.
 */
export type InferenceDType = ModelDType | 'int8';

export const inferenceDTypes = ['float32', 'bfloat16', 'float16', 'int8'] as const;

/** The dtype the native model is created in (int8 models start as float32 and are quantized). */
export function nativeDType(dtype: InferenceDType): ModelDType {
  return dtype === 'int8' ? 'float32' : dtype;
}

/** int8 weights run on the CPU kernels only. `device` is the resolved device name. */
export function checkInt8Device(dtype: InferenceDType, device: string): void {
  if (dtype === 'int8' && device !== 'cpu') {
    throw new DTypeError(`Expected device 'cpu' for dtype 'int8' but received '${device}' of type string (int8 weights run on the CPU kernels only)`);
  }
}

/** True when saved weights hold int8 tensors with their scales (a quantized model's save()). */
export function holdsInt8(names: Iterable<string>): boolean {
  for (const n of names) if (n.endsWith('.weight_scale')) return true;
  return false;
}

/**
 * The dtype option of the loaders (OPT.load / fromPretrained, SLLM.load / fromPretrained): an
 * InferenceDType, or 'auto' (the default) for the checkpoint's own precision — 'int8' for a
 * folder saved from an int8 model, 'float32' for any float checkpoint. 'auto' never quantizes a
 * float checkpoint: a loaded model may be trained, and int8 weights cannot train.
 */
export type LoadDType = InferenceDType | 'auto';

export const loadDTypes = ['auto', ...inferenceDTypes] as const;

/**
 * True when the folder's model.safetensors holds int8 weights with their scales (the folder was
 * saved from an int8 model). Reads only the header, so a loader can pick its dtype before it
 * reads any weights. Sharded and pytorch_model.bin folders are never int8 (save() writes one
 * model.safetensors).
 */
export async function savedAsInt8(dir: string): Promise<boolean> {
  const file = join(dir, 'model.safetensors');
  if (!existsSync(file)) return false;
  return holdsInt8((await readSafetensorsHeader(file)).entries.map((e) => e.name));
}

/**
 * The dtype a loader builds the model in. `requested` is the checked option; `int8Weights`
 * says whether the checkpoint holds int8 weights; `device` is the resolved device name;
 * `source` names the checkpoint in messages. An int8 checkpoint loads only as int8 (its float
 * weights are gone) and only on the CPU; 'auto' is 'float32' for a float one.
 */
export function resolveLoadDType(requested: LoadDType, int8Weights: boolean, device: string, source: string): InferenceDType {
  if (!int8Weights) {
    const dtype = requested === 'auto' ? 'float32' : requested;
    checkInt8Device(dtype, device);
    return dtype;
  }
  if (requested !== 'auto' && requested !== 'int8') {
    throw new DTypeError(
      `Expected 'auto' or 'int8' for dtype but received '${requested}' of type string: ${source} holds int8 weights (saved from an int8 model), ` +
        'which load only as int8, for inference on the CPU; for another dtype (or training), load the float checkpoint it was quantized from',
    );
  }
  if (device !== 'cpu') {
    throw new DTypeError(
      `Expected device 'cpu' for ${source} but received '${device}' of type string: it holds int8 weights (saved from an int8 model), ` +
        'and int8 weights run on the CPU kernels only; load the float checkpoint it was quantized from to run on this device',
    );
  }
  return 'int8';
}
