// OPT (Hugging Face compatible): module names equal the checkpoint keys under "decoder."
// (model.decoder.* in HF files), so loading is a lookup plus a shape check. lm_head is tied to
// decoder.embed_tokens. Pure LibTorch, no Node-API.
#pragma once
#include <torch/torch.h>

#include "kernels/decode_step.h"
#include "model/attention.h"
#include "model/sentence_vae.h"  // LossResult, focal_loss

#include <string>
#include <vector>

namespace svae {

struct OptConfig {
  int64_t vocab_size = 50272;
  int64_t hidden = 768;
  int64_t ffn = 3072;
  int64_t layers = 12;
  int64_t heads = 12;
  int64_t max_positions = 2048;
  int64_t word_embed_proj_dim = 768;  // != hidden: project_in / project_out (opt-350m: 512)
  bool pre_norm = true;               // do_layer_norm_before
  bool final_norm = true;             // decoder.final_layer_norm present (pre-LN models)
  int64_t pad_id = 1;
  int64_t bos_id = 2;
  int64_t eos_id = 2;
  int64_t tokenizer_size = 50272;     // ids >= this are never sampled
  // false: no embed_tokens / project_in / project_out (the SLLM feeds sentence vectors of the
  // hidden size straight into the layers).
  bool token_embedding = true;
  // Training-mode dropout, where Hugging Face's modeling_opt.py applies it (config.json's
  // dropout, attention_dropout, activation_dropout): `dropout` after the attention's out_proj
  // and after fc2, `attention_dropout` on the attention probabilities. `activation_dropout`
  // after the activation is fairseq/metaseq's (HF ignores it; every published OPT config has 0).
  double dropout = 0;
  double attention_dropout = 0;
  double activation_dropout = 0;
  void validate() const;
};

class OptLayerImpl : public torch::nn::Module {
 public:
  OptLayerImpl(const OptConfig& c);
  // mask: additive [B, 1, T, S]; cache: when given, keys/values are appended to it.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask, KVCache* cache);
  // The serving engine's step (model/slots.cc): one new position per row x [n, 1, H], row r with
  // its own cache *caches[r] (appended to, length advanced), fused on the CPU when eligible.
  // Returns an undefined tensor (nothing done) when the fused step cannot take it.
  torch::Tensor fused_rows_step(const torch::Tensor& x, const std::vector<KVCache*>& caches);

  Attention self_attn{nullptr};
  torch::nn::LayerNorm self_attn_layer_norm{nullptr}, final_layer_norm{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  bool pre_norm;
  double dropout, activation_dropout;

 private:
  // The fused CPU decode step (kernels/decode_step.h): this layer's parameters as it reads them,
  // prepared on the first eligible step and refreshed when a parameter changes.
  kernels::LayerSource fused_source();
  kernels::PreparedLayer fused_;
};
TORCH_MODULE(OptLayer);

class OptDecoderImpl : public torch::nn::Module {
 public:
  explicit OptDecoderImpl(const OptConfig& c);

  // Runs the layers over already-embedded inputs `x` [B, T, H] (hidden size, after project_in),
  // `mask` [B, past + T] (1 = real), positions from the mask (OPT: cumsum - 1, + offset 2).
  // Returns hidden states [B, T, H] after the final LayerNorm (if any), before project_out.
  torch::Tensor run_layers(const torch::Tensor& x, const torch::Tensor& mask, std::vector<KVCache>* caches);
  // Token ids [B, T] -> hidden [B, T, word_embed_proj_dim] (after project_out).
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& mask, std::vector<KVCache>* caches);
  torch::Tensor positions(const torch::Tensor& mask, int64_t new_tokens);
  std::vector<KVCache> make_caches(int64_t batch, int64_t capacity, const torch::TensorOptions& options);

  torch::nn::Embedding embed_tokens{nullptr}, embed_positions{nullptr};
  torch::nn::Linear project_in{nullptr}, project_out{nullptr};
  torch::nn::ModuleList layers{nullptr};
  torch::nn::LayerNorm final_layer_norm{nullptr};
  OptConfig config;
};
TORCH_MODULE(OptDecoder);

class OptImpl : public torch::nn::Module {
 public:
  explicit OptImpl(const OptConfig& c);
  // logits [B, T, V] (float32): raw, every id (as Hugging Face). Always in eval mode
  // (inference; training goes through loss()).
  torch::Tensor logits(const torch::Tensor& ids, const torch::Tensor& mask, std::vector<KVCache>* caches);
  // Next-token focal loss (γ = 0: cross-entropy) over targets t where mask[t-1], mask[t] and,
  // when given, score[t] are 1 (score: [B, T] 0/1, picks the tokens that count).
  LossResult loss(const torch::Tensor& ids, const torch::Tensor& mask, const torch::Tensor& score, double gamma);
  // Tied output head: h [.., word_embed_proj_dim] -> raw float32 logits.
  torch::Tensor head(const torch::Tensor& h);
  // A copy of logits with ids >= tokenizer_size at -inf: what sampling chooses from.
  torch::Tensor mask_unused(const torch::Tensor& logits) const;
  // Sum of next-token NLL over those targets, and their count.
  std::pair<double, int64_t> nll(const torch::Tensor& ids, const torch::Tensor& mask, const torch::Tensor& score = {});

  OptDecoder decoder{nullptr};
  OptConfig config;
};
TORCH_MODULE(Opt);

// Additive mask [B, 1, T, S] from a 0/1 mask [B, S] over all positions (past + new):
// causal among positions and nothing from padded keys.
torch::Tensor opt_attention_mask(const torch::Tensor& mask, int64_t new_tokens);

}  // namespace svae
