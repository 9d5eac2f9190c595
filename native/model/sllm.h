// The SLLM (DESIGN.md §2 "SLLM"): a SentenceVAE's encoder turns each sentence into one vector,
// an OPT decoder stack without its token embedding (learned positions by sentence index, a
// causal mask over sentences) predicts the next sentence's vector h_i, a termination head
// Linear(H, 2) says whether a next sentence exists, and the SentenceVAE's decoder expands h_i
// into the next sentence's tokens. Module names: encoder.* and decoder.* (a SentenceVAE's),
// llm.* (OPT's decoder.* without embed_tokens / project_in / project_out), stop_head.*.
#pragma once
#include <torch/torch.h>

#include "model/opt.h"
#include "model/sampling.h"
#include "model/sentence_vae.h"

#include <vector>

namespace svae {

struct SllmConfig {
  SvaeConfig svae;
  OptConfig llm;  // token_embedding = false; llm.hidden == svae.hidden
  void validate() const;
};

// Stop-head classes.
constexpr int64_t kContinue = 0;
constexpr int64_t kStop = 1;

// How the stop flags weigh in the training loss (docs/sllm.md, "The stop head"). Each flag's
// focal term is weighted, and the weighted mean is multiplied by `weight`. `balanced`: a flag of
// class c weighs n / (2 n_c) within the batch (both classes count as much in all), the usual
// class-balanced weighting; else every flag weighs 1 (the paper's plain mean).
struct StopLossOptions {
  double weight = 1.0;
  bool balanced = false;
};

struct SllmLoss {
  torch::Tensor loss;  // stop focal loss + decode focal loss (what training minimizes)
  LossResult decode;   // next-sentence tokens (+ eos), teacher-forced
  LossResult stop;     // one flag per real sentence
  // Evaluation sums (natural log): NLL of the next sentences' content tokens, of their eos, and
  // of every stop flag; counts of content tokens and target sentences.
  double content_nll = 0, eos_nll = 0, stop_nll = 0;
  int64_t content_tokens = 0, target_sentences = 0;
  // Stop-head confusion counts over real sentences (positive = "stop"; argmax decisions).
  int64_t stop_tp = 0, stop_fp = 0, stop_fn = 0, stop_tn = 0;
};

class SllmImpl : public torch::nn::Module {
 public:
  explicit SllmImpl(const SllmConfig& c);

  // Paragraphs: ids [B, S, L] long (bos first in each sentence), lengths [B, S] long (0: no
  // sentence; real sentences come first). Decode targets of h_i are sentence i+1 with ITS OWN
  // lengths; stop label of sentence i: continue iff sentence i+1 exists.
  SllmLoss loss(const torch::Tensor& ids, const torch::Tensor& lengths, double gamma, bool sums = false, const StopLossOptions& stop = {});
  // Sentence vectors of paragraphs [B, S, H] (zeros where there is no sentence).
  torch::Tensor sentence_vectors(const torch::Tensor& ids, const torch::Tensor& lengths);
  // h [B, T, H] for sentence vectors x [B, T, H] over a 0/1 mask [B, past + T] (see OptDecoder::run_layers).
  torch::Tensor hidden(const torch::Tensor& x, const torch::Tensor& mask, std::vector<KVCache>* caches);

  SentenceEncoder encoder{nullptr};
  SentenceDecoder decoder{nullptr};
  OptDecoder llm{nullptr};
  torch::nn::Linear stop_head{nullptr};
  SllmConfig config;
};
TORCH_MODULE(Sllm);

// One batched generation in progress (sentence-level KV cache, sampler, per-row stop flags).
struct SllmGenerationState {
  std::vector<KVCache> caches;
  torch::Tensor mask;      // [B, capacity] long; a column per sentence, 1 once it exists
  int64_t length = 0;      // columns in use
  torch::Tensor h;         // [B, H] LLM output of each row's last sentence
  torch::Tensor finished;  // [B] bool
  int64_t steps = 0;
  int64_t max_sentences = 0;
  DecodeOptions decode;
  at::Generator generator;
  bool ignore_stop = false;
  // Benchmarks: sentence k has exactly forced_lengths[k % n] tokens (eos ignored); empty: off.
  std::vector<int64_t> forced_lengths;
  // Per row: the text so far as tokens and its sentences (prompt's, then generated), for the
  // generation controls in decode.controls; empty when they are off.
  std::vector<TokenHistory> histories;
};

// A row's history from its prompt pieces: ids [N, L] (bos first), lengths [N] (bos included),
// the pieces `index` (-1: none) in order.
TokenHistory history_of_pieces(const torch::Tensor& ids, const torch::Tensor& lengths, const std::vector<int64_t>& index);

struct SllmStep {
  torch::Tensor tokens;   // [B, T] generated ids (eos included where reached)
  torch::Tensor lengths;  // [B] content tokens
  torch::Tensor stopped;  // [B] bool: the stop head ended this row now (no sentence this step)
  torch::Tensor vectors;  // [B, H] the re-encoded sentences
  bool done = false;
};

// Eq. 5 reduction of the training loss: stop loss (one flag per sentence: its mean is already
// per sentence) + decode focal terms summed per target sentence, averaged over them.
torch::Tensor per_sentence_loss(const SllmLoss& r);

// Bytes of the KV caches a generation holds (allocated capacity).
int64_t cache_bytes(const std::vector<KVCache>& caches);

// Prefill: prompt pieces [N, L] (+ lengths [N]) placed at rows [B, S] (index into the pieces,
// -1 = none; rows left-padded so each row's last sentence is in column S - 1). A forced prefix
// in `decode` (a prompt ending mid-sentence) applies to the first step only: rows with one
// skip the stop head there (their sentence is unfinished) and decode after the prefix.
// Prefill and steps run in eval mode whatever mode the model was left in.
SllmGenerationState sllm_prefill(Sllm& model, const torch::Tensor& ids, const torch::Tensor& lengths, const torch::Tensor& rows,
                                 int64_t max_sentences, const DecodeOptions& decode, bool ignore_stop);
// One sentence step: stop head -> decode -> re-encode [bos, tokens] -> one LLM step.
SllmStep sllm_step(Sllm& model, SllmGenerationState& g);

}  // namespace svae
