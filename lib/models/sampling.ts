import { expectInteger, expectNumber } from '../validate.js';

/** How each next token is chosen (SentenceVAE, OPT and SLLM generation share these). */
export interface SamplingOptions {
  /** Sample instead of taking the most likely token. @default false */
  sample?: boolean;
  /** Sampling temperature. @default 1 */
  temperature?: number;
  /** Keep only the k most likely tokens (0: all). @default 0 */
  topK?: number;
  /** Keep the smallest set of tokens whose probability reaches p (1: all). @default 1 */
  topP?: number;
  /** Seed of the sampling. @default 0 */
  seed?: number;
}

/** Checked sampling options in the native decoders' terms. */
export function nativeSampling(o: SamplingOptions): { greedy: boolean; temperature: number; topK: number; topP: number; seed: number } {
  return {
    greedy: !(o.sample ?? false),
    temperature: expectNumber(o.temperature ?? 1, 'temperature', 1e-6),
    topK: expectInteger(o.topK ?? 0, 'topK', 0),
    topP: expectNumber(o.topP ?? 1, 'topP', 0, 1),
    seed: expectInteger(o.seed ?? 0, 'seed', 0, Number.MAX_SAFE_INTEGER),
  };
}
