import { DisposedError } from '../errors/DisposedError.js';
import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { callAsync, callSync } from '../native/call.js';
import type { NativeTensor } from '../native/contract.js';
import { addon } from '../native/loader.js';
import { expectOneOf, expectOptions, expectShape, invalid } from '../validate.js';
import { type DType, dtypes, inferDType, type TensorData } from './dtypes.js';

/** Where a tensor lives: 'cpu', 'cuda' (= 'cuda:0'), 'cuda:N', or 'auto' (CUDA when available). */
export type Device = 'cpu' | 'cuda' | `cuda:${number}` | 'auto';

export interface TensorOptions {
  /** Dimensions; their product must equal the data's length. @default [data.length] */
  shape?: readonly number[];
  /** Element type. @default inferred from the TypedArray (required for Uint16Array: 'float16' or 'bfloat16') */
  dtype?: DType;
}

export interface TensorFromOptions extends TensorOptions {
  /** Device to copy the data to. @default 'cpu' */
  device?: Device;
}

const checkData = (data: unknown): TensorData => {
  if (!ArrayBuffer.isView(data) || data instanceof DataView) invalid('TypedArray', 'data', data);
  // Node-API cannot reach a SharedArrayBuffer's memory (it reports only "Invalid argument").
  if (typeof SharedArrayBuffer !== 'undefined' && data.buffer instanceof SharedArrayBuffer) {
    throw new InvalidArgumentError(`Expected a TypedArray over an ArrayBuffer for data but received a ${data.constructor.name} over a SharedArrayBuffer: copy it first (data.slice())`);
  }
  return data as TensorData;
};

/**
 * An n-dimensional LibTorch tensor owned by native code.
 *
 * Memory sharing, precisely:
 * - `Tensor.from(data)` copies `data` (to any device); later writes to `data` are not seen.
 * - `Tensor.borrow(data)` wraps `data`'s own memory (CPU, no copy): writes on either side are
 *   seen on the other. The tensor keeps the ArrayBuffer alive. If the ArrayBuffer is transferred
 *   (postMessage / structuredClone with `transfer`) or otherwise detached, every later use of the
 *   tensor (toArray, view, to, ops, models) throws DisposedError instead of reading freed memory.
 *   Do not transfer it while a call on the tensor is in flight: Node-API cannot pin the memory
 *   against a transfer, only detect one.
 * - `tensor.toArray()` returns a fresh copy; `tensor.view()` returns a TypedArray over the
 *   tensor's own memory (CPU, contiguous; no copy) that stays valid after `dispose()`.
 *
 * @example
 * ```ts
 * await using x = await Tensor.from(new Float32Array([1, 2, 3, 4]), { shape: [2, 2] });
 * const y = await matmul(x, x);
 * console.log(y.shape, await y.toArray()); // [2, 2] Float32Array [7, 10, 15, 22]
 * ```
 */
export class Tensor implements AsyncDisposable {
  /** @internal */
  readonly #native: NativeTensor;

  /** @internal Use Tensor.from / Tensor.borrow. */
  constructor(native: NativeTensor) {
    this.#native = native;
  }

  /** Copies `data` into a new tensor on `options.device` (off the event loop). */
  static async from(data: TensorData, options: TensorFromOptions = {}): Promise<Tensor> {
    const array = checkData(data);
    options = expectOptions(options);
    const dtype = options.dtype === undefined ? inferDType(array) : expectOneOf(options.dtype, 'dtype', dtypes);
    const shape = options.shape === undefined ? [array.length] : expectShape(options.shape, 'shape');
    const device = options.device ?? 'cpu';
    const native = await callAsync(() => addon().NativeTensor.fromArray(array, shape, dtype, device));
    return new Tensor(native);
  }

  /** Wraps `data`'s memory in a CPU tensor without copying (see the class notes). */
  static borrow(data: TensorData, options: TensorOptions = {}): Tensor {
    const array = checkData(data);
    options = expectOptions(options);
    const dtype = options.dtype === undefined ? inferDType(array) : expectOneOf(options.dtype, 'dtype', dtypes);
    const shape = options.shape === undefined ? [array.length] : expectShape(options.shape, 'shape');
    return new Tensor(callSync(() => addon().NativeTensor.borrow(array, shape, dtype)));
  }

  get shape(): number[] {
    return callSync(() => this.#native.shape);
  }

  get dtype(): DType {
    return callSync(() => this.#native.dtype);
  }

  get device(): string {
    return callSync(() => this.#native.device);
  }

  get disposed(): boolean {
    return this.#native.disposed;
  }

  /** Number of elements. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** A copy of the elements, row-major, as the dtype's TypedArray. */
  toArray(): Promise<TensorData> {
    return callAsync(() => this.#native.toArray());
  }

  /** The tensor's own memory as a TypedArray (CPU, contiguous; no copy). */
  view(): TensorData {
    return callSync(() => this.#native.view());
  }

  /** A copy on `device`, optionally converted to `dtype`. */
  async to(device: Device, dtype?: DType): Promise<Tensor> {
    const d = dtype === undefined ? null : expectOneOf(dtype, 'dtype', dtypes);
    return new Tensor(await callAsync(() => this.#native.to(device, d)));
  }

  /** Releases the native memory now (calls in flight finish first). Safe to call twice. */
  dispose(): void {
    this.#native.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }

  /** @internal The native handle, for other lib/ modules. Throws DisposedError after dispose(). */
  get native(): NativeTensor {
    if (this.#native.disposed) throw new DisposedError('This Tensor has been disposed');
    return this.#native;
  }
}
