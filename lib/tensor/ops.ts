import { callAsync } from '../native/call.js';
import { addon } from '../native/loader.js';
import { expectInteger, expectNumber, expectOneOf, expectOptions, expectShape, invalid } from '../validate.js';
import { type DType, dtypes } from './dtypes.js';
import { type Device, Tensor } from './Tensor.js';

const unwrap = (t: unknown, name: string) => {
  if (!(t instanceof Tensor)) invalid('Tensor', name, t);
  return t.native;
};

/** Matrix product with broadcasting (torch.matmul). */
export async function matmul(a: Tensor, b: Tensor): Promise<Tensor> {
  const [na, nb] = [unwrap(a, 'a'), unwrap(b, 'b')];
  return new Tensor(await callAsync(() => addon().ops.matmul(na, nb)));
}

/** y = x Wᵀ + b (torch.nn.functional.linear). */
export async function linear(x: Tensor, weight: Tensor, bias?: Tensor): Promise<Tensor> {
  const [nx, nw] = [unwrap(x, 'x'), unwrap(weight, 'weight')];
  const nbias = bias === undefined ? null : unwrap(bias, 'bias');
  return new Tensor(await callAsync(() => addon().ops.linear(nx, nw, nbias)));
}

export async function relu(x: Tensor): Promise<Tensor> {
  const nx = unwrap(x, 'x');
  return new Tensor(await callAsync(() => addon().ops.relu(nx)));
}

/** Softmax along `dim`, computed in float32. */
export async function softmax(x: Tensor, dim = -1): Promise<Tensor> {
  const nx = unwrap(x, 'x');
  expectInteger(dim, 'dim');
  return new Tensor(await callAsync(() => addon().ops.softmax(nx, dim)));
}

/** Same elements, new shape (may share memory with `x`). */
export async function reshape(x: Tensor, shape: readonly number[]): Promise<Tensor> {
  const nx = unwrap(x, 'x');
  const s = expectShape(shape, 'shape');
  return new Tensor(await callAsync(() => addon().ops.reshape(nx, s)));
}

export interface RandnOptions {
  /** @default 'float32' */
  dtype?: DType;
  /** @default 'cpu' */
  device?: Device;
  /** Seed of a private generator: the same seed gives the same numbers. @default 0 */
  seed?: number;
}

/** Standard normal samples of the given shape. */
export async function randn(shape: readonly number[], options: RandnOptions = {}): Promise<Tensor> {
  const s = expectShape(shape, 'shape');
  options = expectOptions(options);
  const dtype = expectOneOf(options.dtype ?? 'float32', 'dtype', dtypes);
  const seed = expectInteger(options.seed ?? 0, 'seed', 0, Number.MAX_SAFE_INTEGER);
  return new Tensor(await callAsync(() => addon().ops.randn(s, dtype, options.device ?? 'cpu', seed)));
}

/**
 * Focal loss over the `valid` rows of `logits` [N, V] with integer `targets` [N]:
 * mean of -(1 - p)^γ · log p, p the target's softmax probability. `ce` is the mean
 * cross-entropy (focal loss at γ = 0). At least one entry of `valid` must be true (a mean over
 * no position is an InvalidArgumentError, not NaN).
 */
export async function focalLoss(logits: Tensor, targets: Tensor, valid: Tensor, gamma = 2): Promise<{ loss: number; ce: number; tokens: number; correct: number }> {
  const [l, t, v] = [unwrap(logits, 'logits'), unwrap(targets, 'targets'), unwrap(valid, 'valid')];
  const g = expectNumber(gamma, 'gamma', 0);
  return callAsync(() => addon().ops.focalLoss(l, t, v, g));
}
