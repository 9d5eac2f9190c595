#include "model/sentence_vae.h"

#include "core/errors.h"
#include "kernels/linear.h"
#include "model/dropout.h"
#include "model/sampling.h"

#include <ATen/CPUGeneratorImpl.h>

namespace svae {

namespace {
std::string s(int64_t v) { return std::to_string(v); }
}  // namespace

void SvaeConfig::validate() const {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) fail(ErrorCode::InvalidArgument, "Invalid SentenceVAE config: " + what);
  };
  require(hidden > 0 && hidden % 2 == 0, "hidden must be a positive even number, got " + s(hidden));
  require(heads > 0 && hidden % heads == 0, "hidden (" + s(hidden) + ") must be divisible by heads (" + s(heads) + ")");
  require(layers >= 1, "layers must be >= 1, got " + s(layers));
  require(ffn >= 1, "ffn must be >= 1, got " + s(ffn));
  require(tokenizer_size >= 1 && vocab_size >= tokenizer_size,
          "vocabSize (" + s(vocab_size) + ") must be >= tokenizerSize (" + s(tokenizer_size) + ") >= 1");
  require(max_tokens >= 2, "maxTokens must be >= 2, got " + s(max_tokens));
  require(dropout >= 0 && dropout < 1, "dropout must be in [0, 1)");
  for (int64_t id : {pad_id, bos_id, eos_id}) require(id >= 0 && id < tokenizer_size, "special id " + s(id) + " outside the tokenizer");
}

// ---------------------------------------------------------------- encoder

SentenceEncoderImpl::SentenceEncoderImpl(const SvaeConfig& c) : dropout(c.dropout) {
  embed_tokens = register_module("embed_tokens", torch::nn::Embedding(torch::nn::EmbeddingOptions(c.vocab_size, c.hidden).padding_idx(c.pad_id)));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.layers; i++) layers->push_back(EncoderBlock(c.block()));
  layer_norm = register_module("layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden}).eps(1e-5)));
  positions = register_buffer("positions", sinusoidal_positions(c.max_tokens, c.hidden));
}

torch::Tensor SentenceEncoderImpl::forward(const torch::Tensor& ids, const torch::Tensor& valid) {
  const int64_t length = ids.size(1);
  torch::Tensor x = embed_tokens(ids) + positions.narrow(0, 0, length).to(embed_tokens->weight.scalar_type());
  x = svae::dropout(x, dropout, is_training());
  torch::Tensor mask = padding_mask(valid);
  for (const auto& layer : *layers) x = layer->as<EncoderBlock>()->forward(x, mask);
  x = x * valid.unsqueeze(-1).to(x.scalar_type());  // pads contribute nothing to the sum
  return layer_norm(x.sum(1));
}

// ---------------------------------------------------------------- decoder

SentenceDecoderImpl::SentenceDecoderImpl(const SvaeConfig& c) : config(c) {
  embed_tokens = register_module("embed_tokens", torch::nn::Embedding(torch::nn::EmbeddingOptions(c.vocab_size, c.hidden).padding_idx(c.pad_id)));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.layers; i++) layers->push_back(DecoderBlock(c.block()));
  if (c.pre_norm) layer_norm = register_module("layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden}).eps(1e-5)));
  lm_head = register_module("lm_head", torch::nn::Linear(c.hidden, c.vocab_size));
  positions = register_buffer("positions", sinusoidal_positions(c.max_tokens, c.hidden));
}

torch::Tensor SentenceDecoderImpl::embed(const torch::Tensor& ids, int64_t start) {
  const int64_t length = ids.size(1);
  if (start + length > positions.size(0)) {
    fail(ErrorCode::InvalidArgument, "sentence of " + s(start + length) + " tokens is longer than maxTokens " + s(positions.size(0)));
  }
  torch::Tensor x = embed_tokens->forward(ids) + positions.narrow(0, start, length).to(embed_tokens->weight.scalar_type());
  return svae::dropout(x, config.dropout, is_training());
}

torch::Tensor SentenceDecoderImpl::head(const torch::Tensor& h) {
  return mask_unused_logits(kernels::linear(lm_head, layer_norm ? layer_norm(h) : h));
}

torch::Tensor SentenceDecoderImpl::mask_unused_logits(const torch::Tensor& logits) const {
  if (config.tokenizer_size >= config.vocab_size) return logits;
  torch::Tensor unused = torch::arange(config.vocab_size, torch::TensorOptions().dtype(torch::kLong).device(logits.device())) >= config.tokenizer_size;
  return logits.masked_fill(unused, -std::numeric_limits<float>::infinity());
}

std::vector<torch::Tensor> SentenceDecoderImpl::cross_constants(const torch::Tensor& memory) {
  std::vector<torch::Tensor> out;
  for (const auto& layer : *layers) out.push_back(layer->as<DecoderBlock>()->encoder_attn->single_key(memory).unsqueeze(1));
  return out;
}

torch::Tensor SentenceDecoderImpl::forward(const torch::Tensor& ids, const torch::Tensor& valid, const torch::Tensor& memory, bool shortcut) {
  return head(states(ids, valid, memory, shortcut));
}

LossResult SentenceDecoderImpl::loss(const torch::Tensor& ids, const torch::Tensor& lengths, const torch::Tensor& memory, double gamma) {
  const int64_t length = ids.size(1);
  torch::Tensor valid = valid_from_lengths(lengths, length);
  torch::Tensor h = states(ids, valid, memory);
  torch::Tensor idx = valid.reshape({-1}).nonzero().squeeze(1);
  torch::Tensor targets = shifted_targets(ids, lengths, config.eos_id, config.pad_id).reshape({-1}).index_select(0, idx);
  torch::Tensor logits = head(h.reshape({-1, h.size(-1)}).index_select(0, idx));
  LossResult r = focal_loss_selected(logits, targets, idx, valid.numel(), gamma);
  r.rows = ids.size(0);
  return r;
}

torch::Tensor SentenceDecoderImpl::states(const torch::Tensor& ids, const torch::Tensor& valid, const torch::Tensor& memory, bool shortcut) {
  const int64_t length = ids.size(1);
  torch::Tensor x = embed(ids, 0);
  torch::Tensor self_mask = causal_mask(length, 0, ids.device()) + padding_mask(valid);
  if (shortcut) {
    std::vector<torch::Tensor> cross = cross_constants(memory);
    size_t i = 0;
    for (const auto& layer : *layers) x = layer->as<DecoderBlock>()->forward_shortcut(x, self_mask, cross[i++]);
  } else {
    torch::Tensor mem = memory.unsqueeze(1);
    for (const auto& layer : *layers) x = layer->as<DecoderBlock>()->forward(x, self_mask, mem);
  }
  return x;
}

DecodeResult SentenceDecoderImpl::generate(const torch::Tensor& memory, const DecodeOptions& o, at::Generator* shared,
                                           std::vector<TokenHistory>* histories) {
  const int64_t batch = memory.size(0);
  const int64_t steps = std::min(o.max_new_tokens, config.max_tokens);
  const auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(memory.device());
  std::vector<KVCache> caches;
  for (const auto& layer : *layers) {
    caches.push_back(layer->as<DecoderBlock>()->self_attn->make_cache(batch, steps, memory.options()));
  }
  std::vector<torch::Tensor> cross = cross_constants(memory);
  at::Generator own = shared ? at::Generator() : at::make_generator<at::CPUGeneratorImpl>(o.seed);
  at::Generator& generator = shared ? *shared : own;
  SamplingOptions sampling{o.greedy, o.temperature, o.top_k, o.top_p, o.controls};
  const bool controlled = histories && o.controls.active();
  torch::Tensor prefix, prefix_lengths;
  if (o.prefix.defined() && o.prefix.size(1) > 0) {
    prefix = o.prefix.to(memory.device(), torch::kLong);
    prefix_lengths = o.prefix_lengths.to(memory.device(), torch::kLong);
  }

  torch::Tensor tokens = torch::full({batch, 1}, config.bos_id, long_opts);
  torch::Tensor out = torch::full({batch, std::max<int64_t>(steps, 0)}, config.pad_id, long_opts);
  torch::Tensor lengths = torch::full({batch}, steps, long_opts);
  torch::Tensor ended = torch::zeros({batch}, long_opts.dtype(torch::kBool));
  std::vector<torch::Tensor> step_logits;
  int64_t used = 0;
  for (int64_t t = 0; t < steps; t++) {
    torch::Tensor x = embed(tokens, t);
    size_t i = 0;
    for (const auto& layer : *layers) x = layer->as<DecoderBlock>()->forward_cached(x, caches[i], cross[i]), i++;
    torch::Tensor logits = head(x).squeeze(1).to(torch::kFloat);  // [B, V]
    if (o.return_logits) step_logits.push_back(logits);
    if (controlled) logits = apply_controls(logits, o.controls, *histories, config.eos_id);
    torch::Tensor next = next_tokens(logits, sampling, generator);
    torch::Tensor forced;  // rows still inside their forced prefix: the prompt's token, never an end
    if (prefix.defined() && t < prefix.size(1)) {
      forced = prefix_lengths > t;
      next = torch::where(forced, prefix.select(1, t), next);
    }
    next = torch::where(ended, torch::full_like(next, config.pad_id), next);
    out.select(1, t).copy_(next);
    torch::Tensor newly = o.ignore_eos ? torch::zeros_like(ended) : ended.logical_not().logical_and(next == config.eos_id);
    if (forced.defined()) newly = newly.logical_and(forced.logical_not());
    lengths = torch::where(newly, torch::full_like(lengths, t), lengths);
    if (histories) {
      // Text tokens only: a row's eos (and the pad after it) is not part of its text.
      torch::Tensor text = ended.logical_or(newly).logical_not().to(torch::kCPU);
      torch::Tensor ids = next.to(torch::kCPU);
      for (int64_t r = 0; r < batch && r < static_cast<int64_t>(histories->size()); r++) {
        if (text[r].item<bool>()) (*histories)[r].tokens.push_back(ids[r].item<int64_t>());
      }
    }
    ended = ended.logical_or(newly);
    used = t + 1;
    if (ended.all().item<bool>()) break;
    tokens = next.unsqueeze(1);
  }
  DecodeResult result{out.narrow(1, 0, used), lengths, ended, {}};
  if (o.return_logits && !step_logits.empty()) result.logits = torch::stack(step_logits, 1);
  return result;
}

// ---------------------------------------------------------------- whole model and losses

SentenceVAEImpl::SentenceVAEImpl(const SvaeConfig& c) : config(c) {
  c.validate();
  encoder = register_module("encoder", SentenceEncoder(c));
  decoder = register_module("decoder", SentenceDecoder(c));
}

torch::Tensor valid_from_lengths(const torch::Tensor& lengths, int64_t length) {
  return torch::arange(length, lengths.options()).unsqueeze(0) < lengths.unsqueeze(1);
}

torch::Tensor shifted_targets(const torch::Tensor& ids, const torch::Tensor& lengths, int64_t eos, int64_t pad) {
  const int64_t length = ids.size(1);
  torch::Tensor targets = torch::cat({ids.narrow(1, 1, length - 1), torch::full({ids.size(0), 1}, pad, ids.options())}, 1);
  targets.scatter_(1, (lengths - 1).clamp_min(0).unsqueeze(1), eos);
  return targets.masked_fill(valid_from_lengths(lengths, length).logical_not(), pad);
}

LossResult focal_loss(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& valid, double gamma) {
  torch::Tensor idx = valid.nonzero().squeeze(1);
  return focal_loss_selected(logits.index_select(0, idx), targets.index_select(0, idx), idx, valid.size(0), gamma);
}

LossResult focal_loss_selected(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& idx, int64_t total, double gamma) {
  torch::Tensor chosen = logits.to(torch::kFloat);  // [n, V]
  const torch::Tensor& target = targets;
  torch::Tensor logp = torch::log_softmax(chosen, -1).gather(1, target.unsqueeze(1)).squeeze(1);  // [n]
  torch::Tensor focal = gamma == 0 ? -logp : -(1 - logp.exp()).pow(gamma) * logp;
  LossResult r;
  r.loss = focal.mean();
  r.focal_sum = focal.sum();
  r.ce = (-logp).mean();
  r.tokens = idx.size(0);
  torch::NoGradGuard no_grad;
  torch::Tensor hit = chosen.argmax(-1) == target;
  r.correct = hit.sum().item<int64_t>();
  r.right = torch::ones({total}, hit.options()).index_put_({idx}, hit);
  return r;
}

torch::Tensor per_sentence_loss(const LossResult& r) {
  if (r.rows <= 0 || !r.focal_sum.defined()) return r.loss;
  return r.focal_sum / static_cast<double>(r.rows);
}

LossResult SentenceVAEImpl::loss(const torch::Tensor& ids, const torch::Tensor& lengths, double gamma) {
  const int64_t batch = ids.size(0), length = ids.size(1);
  torch::Tensor valid = valid_from_lengths(lengths, length);
  torch::Tensor omega = encoder(ids, valid);
  LossResult r = decoder->loss(ids, lengths, omega, gamma);
  r.rows_exact = r.right.view({batch, length}).all(1).sum().item<int64_t>();
  return r;
}

}  // namespace svae
