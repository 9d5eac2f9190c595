import { DTypeError } from '../errors/DTypeError.js';
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
