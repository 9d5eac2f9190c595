#include "model/attention.h"

#include "core/errors.h"
#include "kernels/linear.h"
#include "model/dropout.h"

#include <cmath>

namespace svae {

AttentionImpl::AttentionImpl(int64_t hidden, int64_t heads_, double dropout_)
    : heads(heads_), head_dim(hidden / heads_), dropout(dropout_) {
  if (hidden % heads_ != 0) {
    fail(ErrorCode::InvalidArgument, "hidden size " + std::to_string(hidden) + " is not divisible by " + std::to_string(heads_) + " heads");
  }
  q_proj = register_module("q_proj", torch::nn::Linear(torch::nn::LinearOptions(hidden, hidden).bias(true)));
  k_proj = register_module("k_proj", torch::nn::Linear(torch::nn::LinearOptions(hidden, hidden).bias(true)));
  v_proj = register_module("v_proj", torch::nn::Linear(torch::nn::LinearOptions(hidden, hidden).bias(true)));
  out_proj = register_module("out_proj", torch::nn::Linear(torch::nn::LinearOptions(hidden, hidden).bias(true)));
}

torch::Tensor AttentionImpl::split_heads(const torch::Tensor& x) const {
  return x.view({x.size(0), x.size(1), heads, head_dim}).transpose(1, 2);
}

torch::Tensor AttentionImpl::attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& mask) {
  // q is already scaled. Scores and softmax in float32 (as OPT does), whatever the model dtype.
  torch::Tensor scores = torch::matmul(q, k.transpose(-1, -2));
  if (mask.defined()) scores = scores.to(torch::kFloat) + mask;
  torch::Tensor probs = torch::softmax(scores, -1, torch::kFloat).to(v.scalar_type());
  probs = svae::dropout(probs, dropout, is_training());
  torch::Tensor out = torch::matmul(probs, v);  // [B, heads, T, hd]
  return out.transpose(1, 2).reshape({out.size(0), out.size(2), heads * head_dim});
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& key_value, const torch::Tensor& mask) {
  const double scaling = 1.0 / std::sqrt(static_cast<double>(head_dim));
  torch::Tensor q = split_heads(kernels::linear(q_proj, query) * scaling);
  torch::Tensor k = split_heads(kernels::linear(k_proj, key_value));
  torch::Tensor v = split_heads(kernels::linear(v_proj, key_value));
  return kernels::linear(out_proj, attend(q, k, v, mask));
}

torch::Tensor AttentionImpl::forward_cached(const torch::Tensor& x, KVCache& cache, const torch::Tensor& mask) {
  const int64_t t = x.size(1);
  const int64_t end = cache.length + t;
  if (end > cache.k.size(2)) {
    fail(ErrorCode::InvalidArgument, "KV cache full: capacity " + std::to_string(cache.k.size(2)) + ", needed " + std::to_string(end));
  }
  const double scaling = 1.0 / std::sqrt(static_cast<double>(head_dim));
  torch::Tensor q = split_heads(kernels::linear(q_proj, x) * scaling);
  cache.k.narrow(2, cache.length, t).copy_(split_heads(kernels::linear(k_proj, x)));
  cache.v.narrow(2, cache.length, t).copy_(split_heads(kernels::linear(v_proj, x)));
  cache.length = end;
  return kernels::linear(out_proj, attend(q, cache.k.narrow(2, 0, end), cache.v.narrow(2, 0, end), mask));
}

torch::Tensor AttentionImpl::single_key(const torch::Tensor& memory) { return kernels::linear(out_proj, kernels::linear(v_proj, memory)); }

KVCache AttentionImpl::make_cache(int64_t batch, int64_t capacity, const torch::TensorOptions& options) const {
  return {torch::zeros({batch, heads, capacity, head_dim}, options), torch::zeros({batch, heads, capacity, head_dim}, options), 0};
}

torch::Tensor causal_mask(int64_t t, int64_t past, const torch::Device& device) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat).device(device);
  // Column j is hidden from row i when j > past + i.
  torch::Tensor rows = torch::arange(t, opts.dtype(torch::kLong)).unsqueeze(1) + past;
  torch::Tensor cols = torch::arange(past + t, opts.dtype(torch::kLong)).unsqueeze(0);
  return torch::where(cols > rows, torch::full({}, kMaskValue, opts), torch::zeros({}, opts)).view({1, 1, t, past + t});
}

torch::Tensor padding_mask(const torch::Tensor& valid) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat).device(valid.device());
  return torch::where(valid, torch::zeros({}, opts), torch::full({}, kMaskValue, opts)).view({valid.size(0), 1, 1, valid.size(1)});
}

}  // namespace svae
