/**
 * Which files of a repository a model needs: config.json, the weights (model.safetensors,
 * sharded or not, preferred; pytorch_model.bin, sharded or not, for OPT when there is no
 * safetensors) and the tokenizer (tokenizer.json, else vocab.json + merges.txt, with
 * tokenizer_config.json and special_tokens_map.json). Nothing else is downloaded (a repository
 * with both weight formats costs one download, not two).
 */
export type ModelKind = 'OPT' | 'SLLM' | 'SentenceVAE';

const weightChoices: Record<ModelKind, readonly string[]> = {
  OPT: ['model.safetensors.index.json', 'model.safetensors', 'pytorch_model.bin.index.json', 'pytorch_model.bin'],
  SLLM: ['model.safetensors'],
  SentenceVAE: ['model.safetensors'],
};

/** OPT loads without tokenizer files (id-level APIs); SLLM and SentenceVAE need them. */
const needsTokenizer = (kind: ModelKind): boolean => kind !== 'OPT';

export interface Selection {
  /** Files to fetch, in order (an index before its shards are known). */
  files: string[];
  /** The weight index whose shards must be fetched too, if the weights are sharded. */
  index: string | undefined;
  /** What the repository lacks, in words ("config.json", "tokenizer.json (or vocab.json + merges.txt)"). */
  missing: string[];
}

/** The files to fetch among `names` (what the repository or a cached snapshot holds). */
export function selectFiles(names: ReadonlySet<string>, kind: ModelKind): Selection {
  const files: string[] = [];
  const missing: string[] = [];
  if (names.has('config.json')) files.push('config.json');
  else missing.push('config.json');
  const weights = weightChoices[kind].find((f) => names.has(f));
  if (weights) files.push(weights);
  else missing.push(kind === 'OPT' ? 'model.safetensors (or pytorch_model.bin, or a sharded index of either)' : 'model.safetensors');
  if (names.has('tokenizer.json')) files.push('tokenizer.json');
  else if (names.has('vocab.json') && names.has('merges.txt')) files.push('vocab.json', 'merges.txt');
  else if (needsTokenizer(kind)) missing.push('tokenizer.json (or vocab.json + merges.txt)');
  for (const extra of ['tokenizer_config.json', 'special_tokens_map.json']) if (names.has(extra)) files.push(extra);
  return { files, index: weights?.endsWith('.index.json') ? weights : undefined, missing };
}

/** The shard file names of a weight index's `weight_map` (plain names in the repository's root). */
export function shardNames(index: unknown): string[] | undefined {
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) return undefined;
  const names = [...new Set(Object.values(map as Record<string, unknown>))];
  return names.every((n) => typeof n === 'string' && /^[\w.-]+$/.test(n) && !n.startsWith('.')) ? (names as string[]) : undefined;
}
