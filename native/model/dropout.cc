#include "model/dropout.h"

#include "core/errors.h"

#include <ATen/CPUGeneratorImpl.h>
#ifdef SVAE_WITH_CUDA
#include <ATen/cuda/CUDAGeneratorImpl.h>
#endif

namespace svae {

namespace {
thread_local at::Generator* t_generator = nullptr;
}

RngScope::RngScope(at::Generator& generator) : previous_(t_generator) { t_generator = &generator; }
RngScope::~RngScope() { t_generator = previous_; }

torch::Tensor dropout(const torch::Tensor& x, double p, bool training) {
  if (!training || p <= 0) return x;
  if (t_generator == nullptr) return torch::dropout(x, p, true);
  torch::Tensor keep = torch::empty_like(x).bernoulli_(1 - p, *t_generator);
  return x * keep / (1 - p);
}

at::Generator make_generator(const torch::Device& device, uint64_t seed) {
  if (device.is_cpu()) return at::make_generator<at::CPUGeneratorImpl>(seed);
#ifdef SVAE_WITH_CUDA
  at::Generator g = at::cuda::detail::createCUDAGenerator(device.index());
  g.set_current_seed(seed);
  return g;
#else
  fail(ErrorCode::Device, "no generator for device " + device.str() + " in this build");
#endif
}

}  // namespace svae
