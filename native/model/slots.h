// Continuous batching (the serving engine's native half): generation sessions whose rows join
// and leave between steps. Pure LibTorch, no Node-API.
//
// Layout: every row owns its KV caches ([1, heads, capacity_r, head_dim] per layer, capacity_r =
// its prompt + its own limit), allocated when it joins and freed the moment it leaves. The
// position-wise work of a step (projections, FFN, LayerNorms, output heads) runs batched over
// the busy rows ([n, 1, H]); attention runs per row over exactly that row's own cached
// positions. So a row's attention never sees a neighbour's width or padding, a row's prefill is
// its own [1, T] forward, and adding or removing a row touches no other row's cache. Sampling is
// per row (own options, own generator, drawn from only while the row is live), so a row's
// output does not depend on which rows share its steps. What can still differ with the batch is
// the last bits of the batched matmuls (BLAS picks kernels by the row count); see
// docs/architecture.md.
#pragma once
#include <torch/torch.h>

#include "model/attention.h"
#include "model/opt.h"
#include "model/sampling.h"
#include "model/sllm.h"

#include <cstdint>
#include <vector>

namespace svae {

// One row's way of choosing tokens: its own options and its own random stream.
struct RowSampler {
  SamplingOptions options;
  at::Generator generator;
};

// logits [n, V] float -> ids [n] long. Rows with skip[r] get `fill` and draw nothing (their
// generator does not advance). `skip` may be empty. With `histories` (one per row, or empty),
// a row whose options carry generation controls has them applied first (eos: `eos_id`).
torch::Tensor pick_rows(const torch::Tensor& logits, const std::vector<RowSampler*>& samplers, const std::vector<bool>& skip, int64_t fill,
                        const std::vector<TokenHistory*>& histories = {}, int64_t eos_id = -1);

// One new position per row through an OPT decoder stack: x [n, 1, H] (already embedded,
// without positions), row r at position positions[r] (0-based) with its caches *caches[r]
// (one KVCache per layer; the new keys/values are appended to them). Returns [n, 1, H] after
// the final LayerNorm (if any), before project_out.
torch::Tensor opt_rows_step(OptDecoderImpl& llm, const torch::Tensor& x, const std::vector<int64_t>& positions,
                            const std::vector<std::vector<KVCache>*>& caches);

// ---------------------------------------------------------------- OPT (one token per step)

struct OptSlotRow {
  int64_t id = 0;
  std::vector<KVCache> caches;  // per layer; caches[0].length = positions so far
  int64_t last = 0;             // the token to feed next
  RowSampler sampler;
  TokenHistory history;         // prompt + generated tokens, for the generation controls
};

struct OptSlotAdd {
  int64_t id = 0;
  torch::Tensor ids;  // [T] long (bos first), CPU
  int64_t max_new = 1;
  SamplingOptions sampling;
  uint64_t seed = 0;
};

struct OptSlotStep {
  std::vector<int64_t> ids;     // rows of this step, in order (rows that joined now last)
  std::vector<int64_t> tokens;  // the token each produced
};

class OptSlots {
 public:
  OptSlots(int64_t slots, torch::Device device, at::ScalarType dtype) : slots_(slots), device_(device), dtype_(dtype) {}
  // Removes rows (unknown ids are ignored), then prefills new rows (each emits its first token),
  // then one token step for the rows that were already there.
  OptSlotStep step(Opt& model, const std::vector<int64_t>& remove, std::vector<OptSlotAdd>& add);
  int64_t busy() const { return static_cast<int64_t>(rows_.size()); }
  int64_t cache_bytes() const;

 private:
  int64_t slots_;
  torch::Device device_;
  at::ScalarType dtype_;
  std::vector<OptSlotRow> rows_;
};

// ---------------------------------------------------------------- SLLM (one sentence per step)

struct SllmSlotRow {
  int64_t id = 0;
  std::vector<KVCache> caches;  // sentence-level, per layer
  torch::Tensor h;              // [1, H] LLM output of the row's last sentence
  int64_t sentences = 0;        // generated so far
  int64_t max_sentence_tokens = 1;
  bool ignore_stop = false;
  std::vector<int64_t> forced_lengths;  // benchmarks: sentence k has forced[k % n] tokens, eos ignored
  RowSampler sampler;
  TokenHistory history;                 // the row's text and sentences, for the generation controls
};

struct SllmSlotAdd {
  int64_t id = 0;
  torch::Tensor ids;      // [N, L] long pieces (bos first), CPU
  torch::Tensor lengths;  // [N] long
  int64_t max_sentences = 1;
  int64_t max_sentence_tokens = 1;
  bool ignore_stop = false;
  std::vector<int64_t> forced_lengths;
  SamplingOptions sampling;
  uint64_t seed = 0;
};

struct SllmSlotStep {
  std::vector<int64_t> ids;      // rows of this step, in order
  std::vector<uint8_t> stopped;  // 1: the stop head ended the row (no sentence from it)
  std::vector<int64_t> lengths;  // content tokens of each row's sentence (0 when stopped)
  torch::Tensor tokens;          // [n, T] long, CPU: the sentences (content first; eos/pad after)
};

class SllmSlots {
 public:
  SllmSlots(int64_t slots, torch::Device device, at::ScalarType dtype) : slots_(slots), device_(device), dtype_(dtype) {}
  // Removes rows, prefills new ones (prompt -> sentence vectors -> LLM over them), then one
  // sentence step for every row (the new ones included): stop head -> decode -> re-encode -> LLM.
  SllmSlotStep step(Sllm& model, const std::vector<int64_t>& remove, std::vector<SllmSlotAdd>& add);
  int64_t busy() const { return static_cast<int64_t>(rows_.size()); }
  int64_t cache_bytes() const;

 private:
  int64_t slots_;
  torch::Device device_;
  at::ScalarType dtype_;
  std::vector<SllmSlotRow> rows_;
};

}  // namespace svae
