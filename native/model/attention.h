// Multi-head attention with an external, preallocated KV cache (OPT naming: q/k/v/out_proj).
#pragma once
#include <torch/torch.h>

namespace svae {

// Keys and values of past positions: [B, heads, capacity, head_dim]; positions < length are valid.
struct KVCache {
  torch::Tensor k;
  torch::Tensor v;
  int64_t length = 0;
};

// A large negative number instead of -inf: a fully masked row then gives a uniform softmax, not NaN.
constexpr float kMaskValue = -1e9f;

class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(int64_t hidden, int64_t heads, double dropout);

  // Full attention of `query` [B, T, H] over `key_value` [B, S, H]. `mask`: additive float,
  // broadcastable to [B, heads, T, S], or undefined.
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& key_value, const torch::Tensor& mask = {});

  // Appends the keys/values of `x` [B, t, H] to `cache` and attends over everything cached.
  // `mask` (additive, broadcastable to [B, heads, t, length + t]) may be undefined when no
  // position needs hiding (e.g. one new token over unpadded rows).
  torch::Tensor forward_cached(const torch::Tensor& x, KVCache& cache, const torch::Tensor& mask = {});

  // Cross-attention over ONE memory vector per row: softmax over a single key is 1, so the
  // output is out_proj(v_proj(memory)) whatever the query. memory [B, H] -> [B, H].
  torch::Tensor single_key(const torch::Tensor& memory);

  KVCache make_cache(int64_t batch, int64_t capacity, const torch::TensorOptions& options) const;

  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};
  int64_t heads;
  int64_t head_dim;
  double dropout;

 private:
  torch::Tensor split_heads(const torch::Tensor& x) const;  // [B, T, H] -> [B, heads, T, hd]
  torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& mask);
};
TORCH_MODULE(Attention);

// Additive causal mask [1, 1, t, past + t]: new position i sees cached positions and new ones <= i.
torch::Tensor causal_mask(int64_t t, int64_t past, const torch::Device& device);
// Additive key-padding mask [B, 1, 1, S] from a boolean "valid" mask [B, S].
torch::Tensor padding_mask(const torch::Tensor& valid);

}  // namespace svae
