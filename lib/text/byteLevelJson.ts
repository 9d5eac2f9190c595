/** The tokenizer.json of a GPT-2 style folder (vocab.json + merges.txt), for the `tokenizers` binding. */
/** A tokenizer.json (ByteLevel BPE) built in memory from GPT-2 style vocab.json + merges.txt. */
export function byteLevelJson(vocab: Record<string, number>, merges: string[], specials: string[]): string {
  return JSON.stringify({
    version: '1.0', truncation: null, padding: null,
    added_tokens: specials.filter((s) => s in vocab).map((content) => ({
      id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges,
    },
  });
}

