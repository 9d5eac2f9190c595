// Tensor-level decode linear layers: x [..., in] · W[out, in]^T + bias for fp32, bf16 and int8
// (weight-only, per-block scales) weights, on our kernels (gemv.h) when the call is a decode
// step on the CPU, on LibTorch otherwise (training, long prefill, CUDA). Model code calls
// `linear(module, x)` instead of `module(x)`; that is the only change at a call site.
#pragma once
#include <torch/torch.h>

#include "kernels/cpu_path.h"

#include <vector>

namespace svae::kernels {

// Up to this many rows (tokens × batch) a linear runs on our kernels; more go to LibTorch's
// GEMM, which is faster once the weights are reused across many rows.
constexpr int64_t kMaxKernelRows = 16;

// x [..., in] (float32 or bfloat16; float32 for int8 weights) · w [out, in]^T (+ bias [out]).
// w: float32, bfloat16, or int8 with `scale` [out, ceil(in/32)] float32. Runs `path`'s kernel
// (any row count: more than 16 rows go in tiles of 16); Path::Off = the LibTorch reference
// (for int8: the dequantized weights). Result: x's dtype (float32 for int8 weights).
at::Tensor gemv(const at::Tensor& x, const at::Tensor& w, const at::Tensor& scale, const at::Tensor& bias, Path path);

// The kernel alone, for fused callers (decode_step.cc): x2 [n, in] contiguous (float32, or
// bfloat16 for bfloat16 weights) · w^T + bias -> y [n, out] float32, written in place. w (and
// scale) contiguous; `path` not Off.
void gemv_rows(const at::Tensor& x2, const at::Tensor& w, const at::Tensor& scale, const float* bias, float* y, Path path);

// Several weights (same dtype and `in`) over the same rows x2 in ONE parallel region, the
// activations converted / quantized once: part i writes its y [n, out_i] float.
struct GemvPart {
  const at::Tensor* w;      // contiguous [out_i, in]
  const at::Tensor* scale;  // int8 only: contiguous [out_i, blocks]
  const float* bias;        // [out_i] or null
  float* y;                 // [n, out_i]
};
void gemv_multi(const at::Tensor& x2, const std::vector<GemvPart>& parts, Path path);

// What model code calls: our kernel for decode-sized inputs (≤ 16 rows, no autograd, CPU, a
// path other than off), LibTorch's linear otherwise; int8 weights always run on the kernel and
// refuse autograd (DType error: int8 is for inference).
at::Tensor project(const at::Tensor& x, const at::Tensor& w, const at::Tensor& scale, const at::Tensor& bias);
at::Tensor linear(const torch::nn::Linear& m, const at::Tensor& x);

// int8 weights: the per-block scales a quantized module carries as the buffer "weight_scale"
// (undefined when the module is not quantized).
at::Tensor weight_scale(const torch::nn::Module& m);

// Token embedding lookup that also reads quantized tables (rows dequantized after the lookup).
at::Tensor embedding(torch::nn::Embedding e, const at::Tensor& ids);

}  // namespace svae::kernels
