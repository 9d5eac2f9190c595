// int8 weight-only quantization (per block of 32 along the input dimension, one float32 scale per
// block — llama.cpp's q8_0 with a float scale) and its inverse. A quantized module keeps its
// name-for-name layout: "<name>.weight" becomes int8 [out, in] and "<name>.weight_scale"
// float32 [out, ceil(in/32)] is added beside it (docs/architecture.md, "int8 weights").
#pragma once
#include <torch/torch.h>

#include <utility>

namespace svae::kernels {

// w [out, in] any floating dtype -> { int8 [out, in], float32 scales [out, ceil(in/32)] }.
std::pair<at::Tensor, at::Tensor> quantize_weight(const at::Tensor& w);
// The inverse: float32 [out, in].
at::Tensor dequantize_weight(const at::Tensor& q, const at::Tensor& scale);

// Quantizes every Linear of `model` (and the Embedding tables whose names are in `tables`,
// e.g. OPT's tied embed_tokens) in place: weights become int8, scales are registered as
// "weight_scale" buffers. The model must be float32 on the CPU. Idempotent.
void quantize_module(torch::nn::Module& model, const std::vector<std::string>& tables = {});
// True when any parameter of `model` is int8 (a quantized model: inference only).
bool is_quantized(const torch::nn::Module& model);

}  // namespace svae::kernels
