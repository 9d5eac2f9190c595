#include "model/blocks.h"

#include "core/errors.h"
#include "kernels/linear.h"
#include "model/dropout.h"

#include <cmath>

namespace svae {

namespace {
torch::nn::LayerNorm layer_norm(int64_t hidden) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden}).eps(1e-5));
}
torch::Tensor drop(const torch::Tensor& x, double p, bool training) { return svae::dropout(x, p, training); }
}  // namespace

FeedForwardImpl::FeedForwardImpl(const BlockOptions& o) : gelu(o.activation == "gelu"), dropout(o.dropout) {
  if (o.activation != "relu" && o.activation != "gelu") {
    fail(ErrorCode::InvalidArgument, "Expected activation 'relu' or 'gelu' but received '" + o.activation + "'");
  }
  fc1 = register_module("fc1", torch::nn::Linear(o.hidden, o.ffn));
  fc2 = register_module("fc2", torch::nn::Linear(o.ffn, o.hidden));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = kernels::linear(fc1, x);
  h = gelu ? torch::gelu(h) : torch::relu(h);
  return kernels::linear(fc2, drop(h, dropout, is_training()));
}

EncoderBlockImpl::EncoderBlockImpl(const BlockOptions& o) : pre_norm(o.pre_norm), dropout(o.dropout) {
  self_attn = register_module("self_attn", Attention(o.hidden, o.heads, o.dropout));
  self_attn_layer_norm = register_module("self_attn_layer_norm", layer_norm(o.hidden));
  ffn = register_module("ffn", FeedForward(o));
  final_layer_norm = register_module("final_layer_norm", layer_norm(o.hidden));
}

torch::Tensor EncoderBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  const bool t = is_training();
  if (pre_norm) {
    torch::Tensor n = self_attn_layer_norm(x);
    torch::Tensor h = x + drop(self_attn(n, n, mask), dropout, t);
    return h + drop(ffn(final_layer_norm(h)), dropout, t);
  }
  torch::Tensor h = self_attn_layer_norm(x + drop(self_attn(x, x, mask), dropout, t));
  return final_layer_norm(h + drop(ffn(h), dropout, t));
}

DecoderBlockImpl::DecoderBlockImpl(const BlockOptions& o) : pre_norm(o.pre_norm), dropout(o.dropout) {
  self_attn = register_module("self_attn", Attention(o.hidden, o.heads, o.dropout));
  self_attn_layer_norm = register_module("self_attn_layer_norm", layer_norm(o.hidden));
  encoder_attn = register_module("encoder_attn", Attention(o.hidden, o.heads, o.dropout));
  encoder_attn_layer_norm = register_module("encoder_attn_layer_norm", layer_norm(o.hidden));
  ffn = register_module("ffn", FeedForward(o));
  final_layer_norm = register_module("final_layer_norm", layer_norm(o.hidden));
}

template <class SelfAttention, class Cross>
torch::Tensor DecoderBlockImpl::run(const torch::Tensor& x, SelfAttention&& self, Cross&& cross) {
  const bool t = is_training();
  if (pre_norm) {
    torch::Tensor h = x + drop(self(self_attn_layer_norm(x)), dropout, t);
    h = h + drop(cross(encoder_attn_layer_norm(h)), dropout, t);
    return h + drop(ffn(final_layer_norm(h)), dropout, t);
  }
  torch::Tensor h = self_attn_layer_norm(x + drop(self(x), dropout, t));
  h = encoder_attn_layer_norm(h + drop(cross(h), dropout, t));
  return final_layer_norm(h + drop(ffn(h), dropout, t));
}

torch::Tensor DecoderBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& self_mask, const torch::Tensor& memory) {
  return run(
      x, [&](const torch::Tensor& n) { return self_attn(n, n, self_mask); },
      [&](const torch::Tensor& n) { return encoder_attn(n, memory); });
}

torch::Tensor DecoderBlockImpl::forward_shortcut(const torch::Tensor& x, const torch::Tensor& self_mask, const torch::Tensor& cross) {
  return run(
      x, [&](const torch::Tensor& n) { return self_attn(n, n, self_mask); },
      [&](const torch::Tensor& n) { return cross.expand_as(n); });
}

kernels::LayerSource DecoderBlockImpl::fused_source() {
  auto ref = [](const torch::nn::Linear& m) {
    const at::Tensor& w = m->weight;
    return kernels::LinearRef{w, w.scalar_type() == at::kChar ? kernels::weight_scale(*m) : at::Tensor(), m->bias};
  };
  kernels::LayerSource s;
  s.q = ref(self_attn->q_proj), s.k = ref(self_attn->k_proj), s.v = ref(self_attn->v_proj), s.out = ref(self_attn->out_proj);
  s.fc1 = ref(ffn->fc1), s.fc2 = ref(ffn->fc2);
  s.norm1_w = self_attn_layer_norm->weight, s.norm1_b = self_attn_layer_norm->bias;
  s.norm2_w = final_layer_norm->weight, s.norm2_b = final_layer_norm->bias;
  s.normx_w = encoder_attn_layer_norm->weight, s.normx_b = encoder_attn_layer_norm->bias;
  s.heads = self_attn->heads, s.eps = self_attn_layer_norm->options.eps(), s.pre_norm = pre_norm, s.gelu = ffn->gelu;
  return s;
}

torch::Tensor DecoderBlockImpl::forward_cached(const torch::Tensor& x, KVCache& cache, const torch::Tensor& cross, const torch::Tensor& mask) {
  // A decode step on the CPU in inference: the fused step (dropout is off outside training).
  if (!is_training() && x.dim() == 3 && (!cross.defined() || (cross.numel() == x.size(0) * x.size(2) && cross.scalar_type() == x.scalar_type()))) {
    kernels::LayerSource s = fused_source();
    if (kernels::eligible(s, x, cache.k, cache.v)) {
      kernels::prepare(fused_, s);
      torch::Tensor y = kernels::layer_step(fused_, x, cache.k, cache.v, cache.length, mask, kernels::active_path(), cross);
      cache.length += x.size(1);
      return y;
    }
  }
  return run(
      x, [&](const torch::Tensor& n) { return self_attn->forward_cached(n, cache, mask); },
      [&](const torch::Tensor& n) { return cross.expand_as(n); });
}

torch::Tensor sinusoidal_positions(int64_t length, int64_t hidden) {
  torch::Tensor pos = torch::arange(length, torch::kFloat).unsqueeze(1);                 // [L, 1]
  torch::Tensor i = torch::arange(0, hidden, 2, torch::kFloat);                           // [H/2]
  torch::Tensor freq = torch::exp(i * (-std::log(10000.0) / static_cast<double>(hidden)));  // [H/2]
  torch::Tensor table = torch::zeros({length, hidden});
  table.index_put_({torch::indexing::Slice(), torch::indexing::Slice(0, torch::indexing::None, 2)}, torch::sin(pos * freq));
  table.index_put_({torch::indexing::Slice(), torch::indexing::Slice(1, torch::indexing::None, 2)},
                   torch::cos(pos * freq).narrow(1, 0, hidden / 2));
  return table;
}

}  // namespace svae
