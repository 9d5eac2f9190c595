/**
 * A hashed sparse logistic regression for the data-only analyses in examples/ (not library API):
 * named features are hashed into a fixed number of buckets (FNV-1a), the weights are fitted on
 * the log loss in a seeded shuffle order, so the same data and options give bitwise the same
 * model (weights fitted by FTRL-Proximal: AdaGrad steps with L1/L2 applied per
 * weight in closed form). Used by examples/stop-signal-brown.ts to bound what a bag-of-words
 * classifier can read from the text about where a paragraph ends.
 *
 * @example
 * ```ts
 * const rows = [hashFeatures(['w:yes'], 1 << 10), hashFeatures(['w:no'], 1 << 10)];
 * const model = trainLogistic(rows, [1, 0], { buckets: 1 << 10 });
 * model.probability(rows[0]!); // close to 1
 * ```
 */
import { expectArray, expectInteger, expectNumber, expectOptions, invalid } from '../../lib/validate.js';

/** A sparse feature vector: parallel bucket indices and values (repeated indices add up). */
export interface SparseVector {
  indices: Int32Array;
  values: Float32Array;
}

/** A feature: a name (value 1) or a name with a real value. */
export type Feature = string | readonly [name: string, value: number];

export interface LogisticOptions {
  /** Number of hash buckets; a power of two keeps the modulo a mask. @default 262144 (2^18) */
  buckets?: number;
  /** Passes over the data. @default 5 */
  epochs?: number;
  /** FTRL's α: the per-coordinate AdaGrad step is α / (1 + sqrt(sum of squared gradients)). @default 0.1 */
  learningRate?: number;
  /** FTRL's L1 strength (drives weights of rare, uninformative features to exactly 0). @default 0 */
  l1?: number;
  /** FTRL's L2 strength (per weight, independent of how often its feature occurs). @default 1 */
  l2?: number;
  /** Seed of the shuffle order. @default 0 */
  seed?: number;
}

/** 32-bit FNV-1a of a string's UTF-16 code units: stable across runs and machines. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Hashes named features into `buckets` buckets (collisions share a weight, as in Vowpal Wabbit). */
export function hashFeatures(features: readonly Feature[], buckets: number): SparseVector {
  expectInteger(buckets, 'buckets', 1);
  const indices = new Int32Array(features.length);
  const values = new Float32Array(features.length);
  features.forEach((f, i) => {
    const [name, value] = typeof f === 'string' ? [f, 1] : f;
    indices[i] = fnv1a(name) % buckets;
    values[i] = value;
  });
  return { indices, values };
}

/** Mulberry32: a small seeded PRNG, enough for a deterministic shuffle. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fitted model: P(label 1 | x). */
export class LogisticModel {
  constructor(readonly weights: Float64Array, readonly bias: number) {}

  /** The logit w·x + b. */
  score(x: SparseVector): number {
    let z = this.bias;
    for (let k = 0; k < x.indices.length; k++) z += this.weights[x.indices[k]!]! * x.values[k]!;
    return z;
  }

  probability(x: SparseVector): number {
    return 1 / (1 + Math.exp(-this.score(x)));
  }
}

/**
 * Fits P(label = 1 | x) on the log loss by FTRL-Proximal (McMahan et al. 2013, "Ad click prediction:
 * a view from the trenches"): AdaGrad's per-coordinate steps, with L1 and L2 applied in closed form
 * to each weight — so a feature seen once is pulled to 0 as hard as one seen 10,000 times, unlike
 * an L2 step applied only when a feature occurs (which shrinks the frequent, informative features
 * and leaves the rare ones free to memorize). The bias has AdaGrad steps and no penalty.
 */
export function trainLogistic(rows: readonly SparseVector[], labels: readonly number[], options: LogisticOptions = {}): LogisticModel {
  options = expectOptions(options);
  expectArray(rows, 'rows', 'array of sparse vectors');
  expectArray(labels, 'labels', 'array of 0/1 labels');
  if (labels.length !== rows.length) invalid(`${rows.length} labels (one per row)`, 'labels.length', labels.length);
  labels.forEach((y, i) => { if (y !== 0 && y !== 1) invalid('0 or 1', `labels[${i}]`, y); });
  const buckets = expectInteger(options.buckets ?? 1 << 18, 'buckets', 1);
  const epochs = expectInteger(options.epochs ?? 5, 'epochs', 1);
  const alpha = expectNumber(options.learningRate ?? 0.1, 'learningRate', Number.MIN_VALUE);
  const beta = 1; // FTRL's smoothing of the first steps (the paper's value)
  const l1 = expectNumber(options.l1 ?? 0, 'l1', 0);
  const l2 = expectNumber(options.l2 ?? 1, 'l2', 0);
  const random = mulberry32(expectInteger(options.seed ?? 0, 'seed'));
  rows.forEach((x, i) => {
    for (const j of x.indices) if (j < 0 || j >= buckets) invalid(`bucket indices in [0, ${buckets})`, `rows[${i}].indices`, j);
  });

  const z = new Float64Array(buckets); // FTRL's accumulated (shifted) gradients
  const n = new Float64Array(buckets); // sum of squared gradients (AdaGrad)
  const weight = (j: number) => {
    const zj = z[j]!;
    if (Math.abs(zj) <= l1) return 0;
    return -(zj - Math.sign(zj) * l1) / ((beta + Math.sqrt(n[j]!)) / alpha + l2);
  };
  let b = 0, nb = 0;
  const order = Array.from(rows.keys());
  const w: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) { // Fisher–Yates with the seeded PRNG
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const r of order) {
      const x = rows[r]!;
      let s = b;
      for (let k = 0; k < x.indices.length; k++) s += (w[k] = weight(x.indices[k]!)) * x.values[k]!;
      const err = 1 / (1 + Math.exp(-s)) - labels[r]!; // d(log loss)/d(logit)
      for (let k = 0; k < x.indices.length; k++) {
        const j = x.indices[k]!;
        const g = err * x.values[k]!;
        const sigma = (Math.sqrt(n[j]! + g * g) - Math.sqrt(n[j]!)) / alpha;
        z[j] = z[j]! + g - sigma * w[k]!;
        n[j] = n[j]! + g * g;
      }
      nb += err * err;
      b -= (alpha * err) / (beta + Math.sqrt(nb));
    }
  }
  const weights = new Float64Array(buckets);
  for (let j = 0; j < buckets; j++) weights[j] = weight(j);
  return new LogisticModel(weights, b);
}

/** Accuracy, precision and recall of "label 1" when predicting 1 iff p ≥ threshold. */
export interface BinaryMetrics {
  accuracy: number;
  /** NaN when the rule never predicts 1. */
  precision: number;
  /** NaN when there is no positive label. */
  recall: number;
  predictedPositive: number;
}

export function binaryMetrics(probabilities: readonly number[], labels: readonly number[], threshold: number): BinaryMetrics {
  if (probabilities.length !== labels.length) invalid(`${probabilities.length} labels`, 'labels.length', labels.length);
  let right = 0, tp = 0, fp = 0, positives = 0;
  probabilities.forEach((p, i) => {
    const say = p >= threshold ? 1 : 0;
    const y = labels[i]!;
    if (say === y) right++;
    if (y === 1) positives++;
    if (say === 1 && y === 1) tp++;
    if (say === 1 && y === 0) fp++;
  });
  return {
    accuracy: right / labels.length,
    precision: tp + fp > 0 ? tp / (tp + fp) : NaN,
    recall: positives > 0 ? tp / positives : NaN,
    predictedPositive: tp + fp,
  };
}

/**
 * The threshold with the highest accuracy on (probabilities, labels): one sort, then a sweep of
 * every cut between distinct probabilities (plus "never 1"). Ties keep the highest threshold
 * (the fewest positive predictions).
 */
export function bestThreshold(probabilities: readonly number[], labels: readonly number[]): { threshold: number; accuracy: number } {
  if (probabilities.length !== labels.length) invalid(`${probabilities.length} labels`, 'labels.length', labels.length);
  const order = Array.from(probabilities.keys()).sort((a, b) => probabilities[b]! - probabilities[a]!);
  const negatives = labels.filter((y) => y === 0).length;
  // Start with "predict 1 for nobody" (threshold above every p); lower the cut one distinct value at a time.
  let right = negatives, bestRight = negatives, best = Infinity;
  for (let k = 0; k < order.length;) {
    const p = probabilities[order[k]!]!;
    for (; k < order.length && probabilities[order[k]!] === p; k++) right += labels[order[k]!] === 1 ? 1 : -1;
    if (right > bestRight) { bestRight = right; best = p; }
  }
  return { threshold: best, accuracy: labels.length > 0 ? bestRight / labels.length : NaN };
}
