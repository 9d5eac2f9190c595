// Choosing the next token from logits: generation controls (repetition penalty, n-gram and
// sentence bans, minimum lengths, OpenAI's presence/frequency penalties), then greedy, or
// sampled with temperature / top-k / top-p.
#pragma once
#include <torch/torch.h>

#include <vector>

namespace svae {

// Logit processors with Hugging Face generate's semantics (and OpenAI's penalties). They run
// before temperature / top-k / top-p, in this order: repetition penalty, presence/frequency
// penalties, n-gram ban, minimum length, sentence ban. Every default leaves logits unchanged.
struct GenerationControls {
  double repetition_penalty = 1.0;     // HF RepetitionPenaltyLogitsProcessor: over the context's tokens
  int64_t no_repeat_ngram_size = 0;    // HF NoRepeatNGramLogitsProcessor: 0 = off
  int64_t min_tokens = 0;              // eos is banned while the current unit has fewer tokens
  bool no_repeat_sentences = false;    // SLLM: eos is banned when the sentence so far equals a context sentence
  double presence_penalty = 0;         // OpenAI: minus this once for each token generated at least once
  double frequency_penalty = 0;        // OpenAI: minus this times how often it was generated
  bool active() const {
    return repetition_penalty != 1.0 || no_repeat_ngram_size > 0 || min_tokens > 0 || no_repeat_sentences || presence_penalty != 0 ||
           frequency_penalty != 0;
  }
};

// What the controls look at for one row. `tokens` is the row's text as token ids (the prompt's,
// then every generated one; never bos/eos/pad), so penalties and bans run across sentences.
struct TokenHistory {
  std::vector<int64_t> tokens;
  int64_t prompt = 0;      // tokens[0, prompt) came from the prompt (OpenAI's penalties skip them)
  int64_t unit_start = 0;  // where the current unit starts (OPT: the completion; SLLM: the sentence)
  std::vector<std::vector<int64_t>> sentences;  // SLLM: the context's sentences (content ids)
};

struct SamplingOptions {
  bool greedy = true;
  double temperature = 1.0;
  int64_t top_k = 0;
  double top_p = 1.0;
  GenerationControls controls;
};

// Applies `c` to one row of logits [V] (float) given its history; returns the new row (the input
// when nothing applies). When the bans would leave no token at all, only the penalties apply
// (a row always has something to choose).
torch::Tensor apply_controls(const torch::Tensor& row, const GenerationControls& c, const TokenHistory& h, int64_t eos_id);

// The same over logits [B, V], row r with histories[r] (histories empty: no controls).
torch::Tensor apply_controls(const torch::Tensor& logits, const GenerationControls& c, const std::vector<TokenHistory>& histories, int64_t eos_id);

// logits [B, V] (float) -> ids [B] (long). `generator` is a CPU generator (reproducible for a seed).
// Controls are not applied here (the caller owns the histories): see apply_controls.
torch::Tensor next_tokens(const torch::Tensor& logits, const SamplingOptions& o, at::Generator& generator);

}  // namespace svae
