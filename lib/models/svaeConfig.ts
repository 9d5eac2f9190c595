import { FormatError } from '../errors/FormatError.js';
import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import type { NativeSvaeConfig } from '../native/contract.js';
import { paperRecipe, type RecipeName, recipeNames } from '../train/recipe.js';
import type { BuiltinTokenizer } from '../text/Tokenizer.js';
import { expectInteger, expectNumber, expectOneOf, invalid } from '../validate.js';

/**
 * The shape of a SentenceVAE (saved as config.json). Defaults, and why:
 * - `norm: 'pre'` — LayerNorm before each sub-layer (plus a final one in the decoder). The
 *   paper's "classic Transformer" (and its reference code: PyTorch's default layers) is post-LN;
 *   pre-LN trains more stably without a careful warm-up. 'post' is available, and is what
 *   `recipe: 'paper'` selects (see recipeShape).
 * - `activation: 'relu'`, `ffn: 2 × hidden`, `dropout: 0.1` — as the reference code.
 * - `heads` — OPT's head count for the hidden size (head size 64).
 */
export type SentenceVAEConfig = NativeSvaeConfig;

/** The shape-defining part a preset gives (the tokenizer fills in the vocabulary and ids). */
export type SentenceVAEShape = Pick<SentenceVAEConfig, 'hidden' | 'layers' | 'heads' | 'ffn' | 'maxTokens' | 'dropout' | 'norm' | 'activation'>;

export type PresetName =
  | 'tiny' | 'small'
  | 'SVAE-768-H1' | 'SVAE-768-H2' | 'SVAE-768-H4'
  | 'SVAE-1024-H1' | 'SVAE-1024-H2' | 'SVAE-1024-H4'
  | 'SVAE-2048-H1' | 'SVAE-2048-H2' | 'SVAE-2048-H4';

export interface Preset {
  shape: SentenceVAEShape;
  /** The tokenizer a preset uses unless one is given. */
  tokenizer: BuiltinTokenizer;
}

const base = { maxTokens: 64, dropout: 0.1, norm: 'pre', activation: 'relu' } as const;
const paper = (hidden: number, heads: number, layers: number): Preset => ({
  shape: { ...base, hidden, heads, layers, ffn: 2 * hidden },
  tokenizer: 'gpt2-opt',
});

/** The paper's SentenceVAEs (hidden = OPT-125m/350m/1.3b's, 1/2/4 blocks) and small CPU ones. */
export const presets: Readonly<Record<PresetName, Preset>> = {
  tiny: { shape: { ...base, hidden: 128, heads: 4, layers: 1, ffn: 256 }, tokenizer: 'gpt2-opt-4k' },
  small: { shape: { ...base, hidden: 256, heads: 4, layers: 2, ffn: 512 }, tokenizer: 'gpt2-opt-4k' },
  'SVAE-768-H1': paper(768, 12, 1),
  'SVAE-768-H2': paper(768, 12, 2),
  'SVAE-768-H4': paper(768, 12, 4),
  'SVAE-1024-H1': paper(1024, 16, 1),
  'SVAE-1024-H2': paper(1024, 16, 2),
  'SVAE-1024-H4': paper(1024, 16, 4),
  'SVAE-2048-H1': paper(2048, 32, 1),
  'SVAE-2048-H2': paper(2048, 32, 2),
  'SVAE-2048-H4': paper(2048, 32, 4),
};

export const presetNames = Object.keys(presets) as PresetName[];

/**
 * The shape overrides a training recipe implies for a SentenceVAE, applied on top of a preset
 * (and under explicit `config` overrides): 'paper' → post-LN blocks, as the paper's classic
 * Transformer; 'default' → none.
 * @example
 * ```ts
 * recipeShape('paper'); // { norm: 'post' }
 * ```
 */
export function recipeShape(recipe: RecipeName = 'default'): Partial<SentenceVAEShape> {
  return expectOneOf(recipe, 'recipe', recipeNames) === 'paper' ? { norm: paperRecipe.norm } : {};
}

export const roundUp = (n: number, multiple: number) => Math.ceil(n / multiple) * multiple;

/** Checks a full config (e.g. read from config.json); `where` names its source in errors. */
export function checkConfig(value: unknown, where = 'config'): SentenceVAEConfig {
  if (value === null || typeof value !== 'object') invalid('object', where, value);
  const c = value as Record<string, unknown>;
  try {
    const config: SentenceVAEConfig = {
      hidden: expectInteger(c.hidden, `${where}.hidden`, 2),
      layers: expectInteger(c.layers, `${where}.layers`, 1, 256),
      heads: expectInteger(c.heads, `${where}.heads`, 1),
      ffn: expectInteger(c.ffn, `${where}.ffn`, 1),
      maxTokens: expectInteger(c.maxTokens, `${where}.maxTokens`, 2, 4096),
      dropout: expectNumber(c.dropout, `${where}.dropout`, 0, 0.999),
      norm: expectOneOf(c.norm, `${where}.norm`, ['pre', 'post'] as const),
      activation: expectOneOf(c.activation, `${where}.activation`, ['relu', 'gelu'] as const),
      vocabSize: expectInteger(c.vocabSize, `${where}.vocabSize`, 1),
      tokenizerSize: expectInteger(c.tokenizerSize, `${where}.tokenizerSize`, 1),
      padId: expectInteger(c.padId, `${where}.padId`, 0),
      bosId: expectInteger(c.bosId, `${where}.bosId`, 0),
      eosId: expectInteger(c.eosId, `${where}.eosId`, 0),
    };
    if (config.hidden % 2 !== 0 || config.hidden % config.heads !== 0) {
      throw new InvalidArgumentError(`${where}: hidden (${config.hidden}) must be even and divisible by heads (${config.heads})`);
    }
    if (config.vocabSize < config.tokenizerSize) {
      throw new InvalidArgumentError(`${where}: vocabSize (${config.vocabSize}) is smaller than tokenizerSize (${config.tokenizerSize})`);
    }
    return config;
  } catch (error) {
    if (where !== 'config' && error instanceof InvalidArgumentError) throw new FormatError(error.message, { path: where });
    throw error;
  }
}
