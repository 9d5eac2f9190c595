// The SentenceVAE: a sentence encoder (tokens -> one vector Ω) and a sentence decoder
// (Ω -> tokens), DESIGN.md §2. Pure LibTorch: no Node-API here.
#pragma once
#include <torch/torch.h>

#include "model/sampling.h"

#include "model/attention.h"
#include "model/blocks.h"

#include <string>
#include <vector>

namespace svae {

struct SvaeConfig {
  int64_t vocab_size = 0;      // rows of the embeddings / logits (>= tokenizer_size)
  int64_t tokenizer_size = 0;  // ids >= this are never predicted
  int64_t hidden = 0;
  int64_t layers = 1;
  int64_t heads = 1;
  int64_t ffn = 0;
  int64_t max_tokens = 64;  // longest sentence, bos included
  double dropout = 0.1;
  bool pre_norm = true;
  std::string activation = "relu";
  int64_t pad_id = 1;
  int64_t bos_id = 2;
  int64_t eos_id = 2;

  BlockOptions block() const { return {hidden, heads, ffn, dropout, pre_norm, activation}; }
  void validate() const;
};

class SentenceEncoderImpl : public torch::nn::Module {
 public:
  explicit SentenceEncoderImpl(const SvaeConfig& c);
  // ids [B, L] (long), valid [B, L] (bool) -> Ω [B, H]
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& valid);

  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  torch::nn::LayerNorm layer_norm{nullptr};
  torch::Tensor positions;  // buffer [max_tokens, H]
  double dropout;
};
TORCH_MODULE(SentenceEncoder);

struct DecodeOptions {
  int64_t max_new_tokens = 64;
  bool greedy = true;
  double temperature = 1.0;
  int64_t top_k = 0;    // 0: off
  double top_p = 1.0;   // 1: off
  uint64_t seed = 0;
  bool return_logits = false;
  bool ignore_eos = false;  // benchmarks: always max_new_tokens tokens
  // Forced prefix (a prompt that ends mid-sentence): row b's first prefix_lengths[b] tokens are
  // prefix[b, :] instead of decoded ones; the rest is decoded after them as usual. prefix
  // [B, P] long, prefix_lengths [B] long (0: none); undefined: no prefix.
  torch::Tensor prefix;
  torch::Tensor prefix_lengths;
  // Repetition penalty, n-gram / sentence bans, minimum sentence length (see sampling.h); they
  // need token histories (generate's `histories`), else they are off.
  GenerationControls controls;
};

struct DecodeResult {
  torch::Tensor tokens;   // [B, T] long: generated ids (eos included when reached), pad after
  torch::Tensor lengths;  // [B] long: tokens before eos (or all, when eos never came)
  torch::Tensor ended;    // [B] bool: eos was generated
  torch::Tensor logits;   // [B, T, V] float (only with return_logits)
};

struct LossResult {
  torch::Tensor loss;     // focal loss (what training minimizes), scalar
  torch::Tensor ce;       // mean token cross-entropy, scalar
  int64_t tokens = 0;     // target tokens counted
  int64_t correct = 0;    // argmax == target
  int64_t rows_exact = 0; // rows whose every target is predicted
  torch::Tensor right;    // [N] bool: valid position predicted right, or not valid (for rows_exact)
  torch::Tensor focal_sum;  // sum of the focal terms (not averaged), scalar
  int64_t rows = 0;         // sentences (sequences) the targets belong to; 0: unknown
};

// The paper's Eq. 5 reduction: focal terms summed over each sentence's tokens, averaged over
// sentences (falls back to the per-token mean when the sentence count is unknown).
torch::Tensor per_sentence_loss(const LossResult& r);

class SentenceDecoderImpl : public torch::nn::Module {
 public:
  explicit SentenceDecoderImpl(const SvaeConfig& c);
  // Teacher forcing: ids [B, L] (input [bos, t1..]), valid [B, L], memory Ω [B, H] -> logits [B, L, V].
  // shortcut=true replaces each cross-attention by its single-key constant (exactly equal).
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& valid, const torch::Tensor& memory, bool shortcut = false);
  // The same before the output head: [B, L, H] (training scores only the valid positions).
  torch::Tensor states(const torch::Tensor& ids, const torch::Tensor& valid, const torch::Tensor& memory, bool shortcut = false);
  // Focal loss of teacher-forced targets: the head runs on valid positions only.
  LossResult loss(const torch::Tensor& ids, const torch::Tensor& lengths, const torch::Tensor& memory, double gamma);
  // Generation from Ω [B, H] with a token KV cache and one cross-attention constant per layer.
  // `generator`: a sampling stream that lives across calls (the SLLM's); else one from options.seed.
  // `histories` (one per row, or null): what options.controls look at; every token a row
  // produces before its eos (forced prefix included) is appended to its history.
  DecodeResult generate(const torch::Tensor& memory, const DecodeOptions& options, at::Generator* generator = nullptr,
                        std::vector<TokenHistory>* histories = nullptr);

  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  torch::nn::LayerNorm layer_norm{nullptr};  // final, pre-LN only
  torch::nn::Linear lm_head{nullptr};
  torch::Tensor positions;
  SvaeConfig config;

  torch::Tensor mask_unused_logits(const torch::Tensor& logits) const;
  std::vector<torch::Tensor> cross_constants(const torch::Tensor& memory);  // per layer, [B, 1, H]
  torch::Tensor embed(const torch::Tensor& ids, int64_t start);
  torch::Tensor head(const torch::Tensor& h);
};
TORCH_MODULE(SentenceDecoder);


class SentenceVAEImpl : public torch::nn::Module {
 public:
  explicit SentenceVAEImpl(const SvaeConfig& c);
  // ids [B, L] long, lengths [B] long. Targets: [t1..tn, eos] aligned with inputs [bos, t1..tn].
  LossResult loss(const torch::Tensor& ids, const torch::Tensor& lengths, double gamma);

  SentenceEncoder encoder{nullptr};
  SentenceDecoder decoder{nullptr};
  SvaeConfig config;
};
TORCH_MODULE(SentenceVAE);

// valid [B, L] from lengths [B].
torch::Tensor valid_from_lengths(const torch::Tensor& lengths, int64_t length);
// Targets [B, L]: ids shifted left with eos at each row's last valid position (pad elsewhere).
torch::Tensor shifted_targets(const torch::Tensor& ids, const torch::Tensor& lengths, int64_t eos, int64_t pad);
// Focal loss (γ) and cross-entropy over `valid` positions of log-probabilities [N, V].
LossResult focal_loss(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& valid, double gamma);
// The same over logits already taken at positions `idx` of `total` ([n, V], targets [n]).
LossResult focal_loss_selected(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& idx, int64_t total, double gamma);

}  // namespace svae
