#include "kernels/quantize.h"

#include "core/errors.h"
#include "kernels/gemv.h"

#include <ATen/Parallel.h>

#include <algorithm>

namespace svae::kernels {

std::pair<at::Tensor, at::Tensor> quantize_weight(const at::Tensor& w_in) {
  if (w_in.dim() != 2) fail(ErrorCode::Shape, "Expected a 2-d weight [out, in] but received " + c10::str(w_in.sizes()));
  if (!w_in.is_floating_point()) fail(ErrorCode::DType, std::string("Expected floating-point weights to quantize but received ") + c10::toString(w_in.scalar_type()));
  const at::Tensor w = w_in.to(at::kCPU, at::kFloat).contiguous();
  const int64_t out = w.size(0), in = w.size(1), blocks = q8_blocks(in);
  at::Tensor q = at::empty({out, in}, at::kChar), s = at::empty({out, blocks}, at::kFloat);
  const float* src = w.data_ptr<float>();
  int8_t* dq = q.data_ptr<int8_t>();
  float* ds = s.data_ptr<float>();
  at::parallel_for(0, out, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) quantize_q8(src + r * in, in, dq + r * in, ds + r * blocks);
  });
  return {q, s};
}

at::Tensor dequantize_weight(const at::Tensor& q, const at::Tensor& scale) {
  const int64_t in = q.size(-1);
  return q.to(at::kFloat) * scale.repeat_interleave(kQ8Block, -1).narrow(-1, 0, in);
}

namespace {
void quantize_in_place(torch::nn::Module& m) {
  at::Tensor w = m.named_parameters(false)["weight"];  // a handle on the module's own tensor
  if (w.scalar_type() == at::kChar) return;  // already quantized
  auto [q, s] = quantize_weight(w);
  torch::NoGradGuard no_grad;
  w.set_requires_grad(false);
  w.set_data(q);
  m.register_parameter("weight_scale", s, /*requires_grad=*/false);
}
}  // namespace

void quantize_module(torch::nn::Module& model, const std::vector<std::string>& tables) {
  for (const auto& p : model.parameters()) {
    if (!p.device().is_cpu()) fail(ErrorCode::DType, "int8 weights run on the CPU only: load the model on the CPU to use dtype 'int8'");
    if (p.is_floating_point() && p.scalar_type() != at::kFloat) fail(ErrorCode::DType, "int8 quantization expects a float32 model");
  }
  for (const auto& item : model.named_modules()) {
    torch::nn::Module& m = *item.value();
    const bool is_linear = dynamic_cast<torch::nn::LinearImpl*>(&m) != nullptr;
    const bool is_table = dynamic_cast<torch::nn::EmbeddingImpl*>(&m) != nullptr &&
                          std::find(tables.begin(), tables.end(), item.key()) != tables.end();
    if (is_linear || is_table) quantize_in_place(m);
  }
}

bool is_quantized(const torch::nn::Module& model) {
  for (const auto& p : model.parameters()) {
    if (p.scalar_type() == at::kChar) return true;
  }
  return false;
}

}  // namespace svae::kernels
