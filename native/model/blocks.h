// Transformer blocks of the SentenceVAE: encoder (self-attention + FFN) and decoder (causal
// self-attention + cross-attention to the sentence vector + FFN). LayerNorm placement and the
// activation are configurable; names follow OPT/fairseq so checkpoints read naturally.
#pragma once
#include <torch/torch.h>

#include "kernels/decode_step.h"
#include "model/attention.h"

#include <string>

namespace svae {

struct BlockOptions {
  int64_t hidden;
  int64_t heads;
  int64_t ffn;
  double dropout;
  bool pre_norm;           // LayerNorm before each sub-layer (true) or after the residual (false)
  std::string activation;  // "relu" | "gelu"
};

class FeedForwardImpl : public torch::nn::Module {
 public:
  explicit FeedForwardImpl(const BlockOptions& o);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  bool gelu;
  double dropout;
};
TORCH_MODULE(FeedForward);

class EncoderBlockImpl : public torch::nn::Module {
 public:
  explicit EncoderBlockImpl(const BlockOptions& o);
  // x [B, L, H]; mask additive (key padding) [B, 1, 1, L]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);

  Attention self_attn{nullptr};
  torch::nn::LayerNorm self_attn_layer_norm{nullptr}, final_layer_norm{nullptr};
  FeedForward ffn{nullptr};
  bool pre_norm;
  double dropout;
};
TORCH_MODULE(EncoderBlock);

class DecoderBlockImpl : public torch::nn::Module {
 public:
  explicit DecoderBlockImpl(const BlockOptions& o);
  // Training / full recomputation: x [B, L, H], self_mask additive [B|1, 1, L, L], memory [B, 1, H].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& self_mask, const torch::Tensor& memory);
  // The same with the cross-attention replaced by its per-sentence constant `cross` [B, 1, H]
  // (exact: one memory key). Used by decoding and by the test that proves the equality.
  torch::Tensor forward_shortcut(const torch::Tensor& x, const torch::Tensor& self_mask, const torch::Tensor& cross);
  // One cached step (or a chunk): x [B, t, H].
  torch::Tensor forward_cached(const torch::Tensor& x, KVCache& cache, const torch::Tensor& cross, const torch::Tensor& mask = {});

  Attention self_attn{nullptr}, encoder_attn{nullptr};
  torch::nn::LayerNorm self_attn_layer_norm{nullptr}, encoder_attn_layer_norm{nullptr}, final_layer_norm{nullptr};
  FeedForward ffn{nullptr};
  bool pre_norm;
  double dropout;

 private:
  template <class SelfAttention, class Cross>
  torch::Tensor run(const torch::Tensor& x, SelfAttention&& self, Cross&& cross);
  // The fused CPU decode step (kernels/decode_step.h), prepared on the first eligible step.
  kernels::LayerSource fused_source();
  kernels::PreparedLayer fused_;
};
TORCH_MODULE(DecoderBlock);

// Sinusoidal position table [length, hidden]: sin on even features, cos on odd ones.
torch::Tensor sinusoidal_positions(int64_t length, int64_t hidden);

}  // namespace svae
