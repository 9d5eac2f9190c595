#include "model/opt.h"

#include "core/errors.h"
#include "kernels/linear.h"
#include "model/dropout.h"
#include "model/mode_scope.h"

namespace svae {

void OptConfig::validate() const {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) fail(ErrorCode::InvalidArgument, "Invalid OPT config: " + what);
  };
  require(hidden > 0 && heads > 0 && hidden % heads == 0, "hidden must be divisible by heads");
  require(layers >= 1 && ffn >= 1 && vocab_size >= 1 && max_positions >= 1, "sizes must be positive");
  require(word_embed_proj_dim >= 1, "word_embed_proj_dim must be positive");
  require(tokenizer_size >= 1 && tokenizer_size <= vocab_size, "tokenizer size must be in [1, vocab_size]");
  for (double p : {dropout, attention_dropout, activation_dropout}) require(p >= 0 && p < 1, "dropout probabilities must be in [0, 1)");
}

OptLayerImpl::OptLayerImpl(const OptConfig& c) : pre_norm(c.pre_norm), dropout(c.dropout), activation_dropout(c.activation_dropout) {
  self_attn = register_module("self_attn", Attention(c.hidden, c.heads, c.attention_dropout));
  self_attn_layer_norm = register_module("self_attn_layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden}).eps(1e-5)));
  fc1 = register_module("fc1", torch::nn::Linear(c.hidden, c.ffn));
  fc2 = register_module("fc2", torch::nn::Linear(c.ffn, c.hidden));
  final_layer_norm = register_module("final_layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden}).eps(1e-5)));
}

kernels::LayerSource OptLayerImpl::fused_source() {
  auto ref = [](const torch::nn::Linear& m) {
    const at::Tensor& w = m->weight;
    return kernels::LinearRef{w, w.scalar_type() == at::kChar ? kernels::weight_scale(*m) : at::Tensor(), m->bias};
  };
  kernels::LayerSource s;
  s.q = ref(self_attn->q_proj), s.k = ref(self_attn->k_proj), s.v = ref(self_attn->v_proj), s.out = ref(self_attn->out_proj);
  s.fc1 = ref(fc1), s.fc2 = ref(fc2);
  s.norm1_w = self_attn_layer_norm->weight, s.norm1_b = self_attn_layer_norm->bias;
  s.norm2_w = final_layer_norm->weight, s.norm2_b = final_layer_norm->bias;
  s.heads = self_attn->heads, s.eps = self_attn_layer_norm->options.eps(), s.pre_norm = pre_norm, s.gelu = false;
  return s;
}

torch::Tensor OptLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& mask, KVCache* cache) {
  const bool t = is_training();
  // A decode step (few new rows, inference, CPU): the fused kernel step instead of ~15 LibTorch
  // ops. Dropout is off outside training, so the two paths compute the same function.
  if (cache && !t) {
    kernels::LayerSource s = fused_source();
    if (kernels::eligible(s, x, cache->k, cache->v)) {
      kernels::prepare(fused_, s);
      torch::Tensor y = kernels::layer_step(fused_, x, cache->k, cache->v, cache->length, mask, kernels::active_path());
      cache->length += x.size(1);
      return y;
    }
  }
  auto attend = [&](const torch::Tensor& h) {
    return svae::dropout(cache ? self_attn->forward_cached(h, *cache, mask) : self_attn(h, h, mask), dropout, t);
  };
  auto ffn = [&](const torch::Tensor& h) {
    return svae::dropout(kernels::linear(fc2, svae::dropout(torch::relu(kernels::linear(fc1, h)), activation_dropout, t)), dropout, t);
  };
  torch::Tensor h = pre_norm ? x + attend(self_attn_layer_norm(x)) : self_attn_layer_norm(x + attend(x));
  if (pre_norm) return h + ffn(final_layer_norm(h));
  return final_layer_norm(h + ffn(h));
}

torch::Tensor OptLayerImpl::fused_rows_step(const torch::Tensor& x, const std::vector<KVCache*>& caches) {
  if (is_training()) return {};
  kernels::LayerSource s = fused_source();
  std::vector<kernels::RowCache> rows;
  rows.reserve(caches.size());
  for (KVCache* c : caches) rows.push_back({c->k, c->v, c->length});
  if (!kernels::eligible_rows(s, x, rows)) return {};
  kernels::prepare(fused_, s);
  torch::Tensor y = kernels::layer_step_rows(fused_, x, rows, kernels::active_path());
  for (KVCache* c : caches) c->length += 1;
  return y;
}

OptDecoderImpl::OptDecoderImpl(const OptConfig& c) : config(c) {
  c.validate();
  if (c.token_embedding) {
    embed_tokens = register_module("embed_tokens", torch::nn::Embedding(torch::nn::EmbeddingOptions(c.vocab_size, c.word_embed_proj_dim).padding_idx(c.pad_id)));
  }
  embed_positions = register_module("embed_positions", torch::nn::Embedding(c.max_positions + 2, c.hidden));
  if (c.token_embedding && c.word_embed_proj_dim != c.hidden) {
    project_in = register_module("project_in", torch::nn::Linear(torch::nn::LinearOptions(c.word_embed_proj_dim, c.hidden).bias(false)));
    project_out = register_module("project_out", torch::nn::Linear(torch::nn::LinearOptions(c.hidden, c.word_embed_proj_dim).bias(false)));
  }
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.layers; i++) layers->push_back(OptLayer(c));
  if (c.pre_norm && c.final_norm) {
    final_layer_norm = register_module("final_layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden}).eps(1e-5)));
  }
  // OPT's initialization (init_std 0.02, zero biases): LibTorch's default N(0, 1) embeddings
  // would make a from-scratch OPT with a tied output head start from enormous logits.
  torch::NoGradGuard no_grad;
  for (auto& item : named_parameters()) {
    if (item.value().dim() >= 2) item.value().normal_(0, 0.02);
    else if (item.key().find("layer_norm") == std::string::npos) item.value().zero_();
  }
  if (embed_tokens) embed_tokens->weight[c.pad_id].zero_();
}

torch::Tensor OptDecoderImpl::positions(const torch::Tensor& mask, int64_t new_tokens) {
  // OPT: position = (cumsum(mask) * mask - 1) over all positions, the new ones taken, + 2.
  torch::Tensor m = mask.to(torch::kLong);
  torch::Tensor pos = (m.cumsum(1) * m - 1).narrow(1, mask.size(1) - new_tokens, new_tokens);
  return pos + 2;
}

std::vector<KVCache> OptDecoderImpl::make_caches(int64_t batch, int64_t capacity, const torch::TensorOptions& options) {
  std::vector<KVCache> caches;
  for (const auto& layer : *layers) caches.push_back(layer->as<OptLayer>()->self_attn->make_cache(batch, capacity, options));
  return caches;
}

torch::Tensor opt_attention_mask(const torch::Tensor& mask, int64_t new_tokens) {
  const int64_t total = mask.size(1);
  torch::Tensor causal = causal_mask(new_tokens, total - new_tokens, mask.device());  // [1, 1, T, S]
  return causal + padding_mask(mask.to(torch::kBool));                                   // + [B, 1, 1, S]
}

torch::Tensor OptDecoderImpl::run_layers(const torch::Tensor& x, const torch::Tensor& mask, std::vector<KVCache>* caches) {
  const int64_t t = x.size(1);
  if (mask.size(1) > config.max_positions) {
    fail(ErrorCode::InvalidArgument, "sequence of " + std::to_string(mask.size(1)) + " positions exceeds max_position_embeddings " + std::to_string(config.max_positions));
  }
  torch::Tensor h = x + embed_positions(positions(mask, t));
  torch::Tensor additive = opt_attention_mask(mask, t);
  size_t i = 0;
  for (const auto& layer : *layers) {
    h = layer->as<OptLayer>()->forward(h, additive, caches ? &(*caches)[i] : nullptr);
    i++;
  }
  return final_layer_norm ? final_layer_norm(h) : h;
}

torch::Tensor OptDecoderImpl::forward(const torch::Tensor& ids, const torch::Tensor& mask, std::vector<KVCache>* caches) {
  if (!embed_tokens) fail(ErrorCode::InvalidArgument, "this OPT stack has no token embedding (it reads sentence vectors)");
  torch::Tensor x = kernels::embedding(embed_tokens, ids);
  if (project_in) x = kernels::linear(project_in, x);
  torch::Tensor h = run_layers(x, mask, caches);
  return project_out ? kernels::linear(project_out, h) : h;
}

OptImpl::OptImpl(const OptConfig& c) : config(c) { decoder = register_module("decoder", OptDecoder(c)); }

torch::Tensor OptImpl::logits(const torch::Tensor& ids, const torch::Tensor& mask, std::vector<KVCache>* caches) {
  ModeScope eval(*this, false);
  return head(decoder(ids, mask, caches));
}

LossResult OptImpl::loss(const torch::Tensor& ids, const torch::Tensor& mask, const torch::Tensor& score, double gamma) {
  const int64_t t = ids.size(1);
  if (t < 2) fail(ErrorCode::Shape, "Expected rows of at least 2 tokens to predict a next token");
  torch::Tensor valid = mask.narrow(1, 0, t - 1) * mask.narrow(1, 1, t - 1);
  if (score.defined()) valid = valid * score.narrow(1, 1, t - 1);
  torch::Tensor idx = valid.reshape({-1}).to(torch::kBool).nonzero().squeeze(1);
  // The tied output head (the largest matmul) runs on the scored positions only.
  torch::Tensor h = decoder(ids, mask, nullptr).narrow(1, 0, t - 1);
  torch::Tensor chosen = h.reshape({-1, h.size(-1)}).index_select(0, idx);
  torch::Tensor target = ids.narrow(1, 1, t - 1).reshape({-1}).index_select(0, idx);
  LossResult r = focal_loss_selected(head(chosen), target, idx, valid.numel(), gamma);
  r.rows = (valid.sum(1) > 0).sum().item<int64_t>();  // rows with at least one scored target
  return r;
}

torch::Tensor OptImpl::head(const torch::Tensor& h) {
  // Raw logits for every id, as Hugging Face's OPTForCausalLM (its loss too): ids the tokenizer
  // lacks are masked only where a token is chosen (mask_unused, in sampling).
  const torch::Tensor& w = decoder->embed_tokens->weight;  // lm_head tied
  // Decode steps (a few rows, inference) and int8 tables run on our kernels (native/kernels).
  if (w.scalar_type() == torch::kChar || (!at::GradMode::is_enabled() && h.numel() <= kernels::kMaxKernelRows * w.size(1))) {
    return kernels::project(h, w, kernels::weight_scale(*decoder->embed_tokens), {}).to(torch::kFloat);
  }
  return torch::matmul(h, w.t()).to(torch::kFloat);
}

torch::Tensor OptImpl::mask_unused(const torch::Tensor& logits) const {
  if (config.tokenizer_size >= config.vocab_size) return logits;
  torch::Tensor masked = logits.clone();
  masked.narrow(-1, config.tokenizer_size, config.vocab_size - config.tokenizer_size).fill_(-std::numeric_limits<float>::infinity());
  return masked;
}

std::pair<double, int64_t> OptImpl::nll(const torch::Tensor& ids, const torch::Tensor& mask, const torch::Tensor& score) {
  ModeScope eval(*this, false);
  LossResult r = loss(ids, mask, score, 0.0);
  if (r.tokens == 0) return {0.0, 0};
  return {r.ce.item<double>() * static_cast<double>(r.tokens), r.tokens};
}

}  // namespace svae
