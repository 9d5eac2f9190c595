import { DTypeError } from '../errors/DTypeError.js';
import type { NativeDType, NativeTypedArray } from '../native/contract.js';

/** Element types a Tensor can hold. float16/bfloat16 travel as raw 16-bit patterns (Uint16Array). */
export type DType = NativeDType;
export type TensorData = NativeTypedArray;

export const dtypes: readonly DType[] = [
  'float32', 'float64', 'float16', 'bfloat16', 'int8', 'int16', 'int32', 'int64', 'uint8', 'bool',
];

/** The TypedArray class that carries each dtype. */
export const arrayTypeOf: Record<DType, string> = {
  float32: 'Float32Array', float64: 'Float64Array', float16: 'Uint16Array', bfloat16: 'Uint16Array',
  int8: 'Int8Array', int16: 'Int16Array', int32: 'Int32Array', int64: 'BigInt64Array', uint8: 'Uint8Array', bool: 'Uint8Array',
};

/** The dtype a TypedArray implies; Uint16Array is ambiguous (float16 or bfloat16) and must be named. */
export function inferDType(data: TensorData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint16Array) {
    throw new DTypeError("A Uint16Array holds raw 16-bit floats: pass dtype 'float16' or 'bfloat16'");
  }
  throw new DTypeError(`Expected a TypedArray (Float32Array, Int32Array, BigInt64Array, ...) but received ${String((data as object)?.constructor?.name)}`);
}
