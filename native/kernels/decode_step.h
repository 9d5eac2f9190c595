// A decoder layer's cached step, fused for CPU inference (issue 13): the few new rows of one
// decode step (batch × new tokens ≤ kMaxFusedRows) go through a pre- or post-LN transformer layer
// — layer norm, q/k/v as ONE parallel region over the three weights (its rows mapped to the
// three matrices: one fork-join and one activation quantization instead of three, and no
// concatenated copy — at 1.3b that copy would be 0.3-1.2 GB), k/v written straight into the KV
// cache, single-step attention by a hand-written loop (parallel over batch × heads, float
// scores and softmax as OPT), out_proj + bias + residual, layer norm, fc1 + bias + activation,
// fc2 + bias + residual — instead of ~15 LibTorch dispatches per layer. Weights in float32,
// bfloat16 or int8 (the decode kernels of gemv.h). Activations are kept in float and rounded to
// the model dtype where the LibTorch path stores them (each linear's output, the layer norms, the
// residual sums, the cache), so a bfloat16 model's step matches its LibTorch step closely.
// Training, long prefill and CUDA keep the LibTorch path (the model code decides: eligible()).
#pragma once
#include <torch/torch.h>

#include "kernels/cpu_path.h"

#include <cstdint>
#include <vector>

namespace svae::kernels {

// Up to this many new rows (batch × new tokens) per step a layer runs fused; more (a long
// prompt's prefill) go through LibTorch, whose GEMM reuses the weights across rows.
constexpr int64_t kMaxFusedRows = 16;

// On unless SENTENCEVAE_FUSED=0 or set_fused(false) (tests and benchmarks compare both paths in
// one process); the kernel path "off" (SENTENCEVAE_KERNELS=off) turns it off too.
bool fused_enabled();
void set_fused(bool on);

// One linear of the layer as the model holds it: weight (float32 / bfloat16 / int8), int8 scales
// (undefined otherwise), bias (may be undefined).
struct LinearRef {
  at::Tensor w, scale, bias;
};

// What the model hands over (its own parameters, never copied by the caller).
struct LayerSource {
  LinearRef q, k, v, out, fc1, fc2;
  at::Tensor norm1_w, norm1_b, norm2_w, norm2_b;  // self_attn_layer_norm, final_layer_norm
  // The SentenceVAE's decoder blocks: a per-row constant `cross` (layer_step's argument) is added
  // after the self-attention residual; post-LN blocks then normalize with this (undefined for OPT).
  at::Tensor normx_w, normx_b;                    // encoder_attn_layer_norm
  int64_t heads = 1;
  double eps = 1e-5;
  bool pre_norm = true;
  bool gelu = false;  // fc1's activation: GELU (erf) or ReLU
};

// The layer prepared once for the fused step: weights (and int8 scales) as contiguous tensors,
// biases and layer-norm parameters in float32 (what the kernels read). Rebuilt when any source
// parameter is replaced or modified in place (storage pointer + version counter), so training or
// reloading between generations never leaves a stale copy.
struct PreparedLayer {
  LinearRef q, k, v, out, fc1, fc2;       // w / scale contiguous; bias float32 [out] (zeros if none)
  at::Tensor n1w, n1b, n2w, n2b, nxw, nxb;  // float32 [H] (nx*: post-LN blocks with cross only)
  int64_t heads = 1;
  double eps = 1e-5;
  bool pre_norm = true, gelu = false;
  std::vector<std::pair<const void*, int64_t>> key;
  bool ready = false;
};

// Whether the fused step may run for x [B, t, H] with these caches (CPU, no autograd, rows ≤
// kMaxFusedRows, dtypes the kernels take, contiguous caches of x's dtype, the switch on).
bool eligible(const LayerSource& s, const at::Tensor& x, const at::Tensor& k_cache, const at::Tensor& v_cache);

// Brings `p` up to date with `s` (no-op when nothing changed).
void prepare(PreparedLayer& p, const LayerSource& s);

// The fused step: x [B, t, H] (the model dtype), k/v caches [B, heads, capacity, head_dim] with
// `past` valid positions (the new keys/values are written at past .. past + t - 1), `mask`
// additive float broadcastable to [B, 1, t, past + t] or undefined. Returns [B, t, H] in x's
// dtype. `cross` (the SentenceVAE decoder's cross-attention constant, [B, 1, H] of x's dtype) is
// added after the self-attention residual when defined. The caller advances the cache length.
at::Tensor layer_step(const PreparedLayer& p, const at::Tensor& x, at::Tensor& k_cache, at::Tensor& v_cache, int64_t past,
                      const at::Tensor& mask, Path path, const at::Tensor& cross = {});

// One serving row's own cache for layer_step_rows: k / v [1, heads, capacity, head_dim] of x's
// dtype (contiguous), `past` valid positions.
struct RowCache {
  at::Tensor k, v;
  int64_t past = 0;
};

// eligible() for one new position per row, each row with its own cache (x [n, 1, H], n ≤
// kMaxFusedRows, caches.size() == n).
bool eligible_rows(const LayerSource& s, const at::Tensor& x, const std::vector<RowCache>& caches);

// The fused step for the serving engine's rows (native/model/slots.cc): row r's new key / value
// written at caches[r].past, its attention over exactly its own past + 1 positions (no mask, no
// neighbour's width). Returns [n, 1, H]; the caller advances each row's cache length.
at::Tensor layer_step_rows(const PreparedLayer& p, const at::Tensor& x, const std::vector<RowCache>& caches, Path path);

// How many layer steps each entry point has run fused since the process started.
struct FusedCounts {
  int64_t batched = 0, rows = 0;
};
FusedCounts fused_counts();

}  // namespace svae::kernels
