import { join } from 'node:path';

import { FormatError } from '../errors/FormatError.js';
import { readJsonFile } from '../io/json.js';
import type { NativeOptConfig } from '../native/contract.js';
import { expectString } from '../validate.js';

/**
 * OPT's shape, read from a Hugging Face config.json (model_type "opt"), and its training-mode
 * dropout (`dropout`, `attention_dropout`, `activation_dropout`; applied only while training,
 * where Hugging Face's modeling_opt.py applies them).
 */
export type OptConfig = Omit<NativeOptConfig, 'tokenizerSize'>;

/** Reads and checks config.json of a Hugging Face OPT folder. */
export async function readOptConfig(dir: string): Promise<OptConfig> {
  expectString(dir, 'dir');
  const path = join(dir, 'config.json');
  const json = await readJsonFile(path);
  if (json === null || typeof json !== 'object') throw new FormatError(`${path}: expected a JSON object`, { path });
  const raw = json as Record<string, unknown>;
  const int = (key: string, fallback?: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new FormatError(`${path}: expected a non-negative integer '${key}' but found ${raw[key] === undefined ? 'none' : JSON.stringify(raw[key])}`, { path });
    return v;
  };
  // Dropout probabilities, with OPTConfig's defaults when absent (dropout 0.1, the others 0).
  const probability = (key: string, fallback: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new FormatError(`${path}: expected '${key}' in [0, 1) but found ${JSON.stringify(raw[key])}`, { path });
    return v;
  };
  if (raw.model_type !== undefined && raw.model_type !== 'opt') throw new FormatError(`${path}: model_type is ${JSON.stringify(raw.model_type)}, not "opt"`, { path });
  if ((raw.activation_function ?? 'relu') !== 'relu') throw new FormatError(`${path}: activation_function ${JSON.stringify(raw.activation_function)} is not supported (relu only)`, { path });
  if (raw.enable_bias === false || raw.layer_norm_elementwise_affine === false) throw new FormatError(`${path}: OPT variants without biases or LayerNorm affine parameters are not supported`, { path });
  const hidden = int('hidden_size');
  const preNorm = raw.do_layer_norm_before !== false;
  return {
    vocabSize: int('vocab_size'),
    hidden,
    ffn: int('ffn_dim'),
    layers: int('num_hidden_layers'),
    heads: int('num_attention_heads'),
    maxPositions: int('max_position_embeddings', 2048),
    wordEmbedProjDim: int('word_embed_proj_dim', hidden),
    preNorm,
    finalNorm: preNorm && raw._remove_final_layer_norm !== true,
    padId: int('pad_token_id', 1),
    bosId: int('bos_token_id', 2),
    eosId: int('eos_token_id', 2),
    dropout: probability('dropout', 0.1),
    attentionDropout: probability('attention_dropout', 0),
    activationDropout: probability('activation_dropout', 0),
  };
}
