// Process-wide runtime settings: intra-op thread count and device resolution.
#pragma once
#include <torch/torch.h>

#include <mutex>
#include <string>

namespace svae {

// Sets the intra-op thread count used by every native call from now on.
void set_threads(int count);
int configured_threads();
// Worker threads call this before running math: OpenMP's thread count is per thread.
void apply_threads();

// "cpu" | "cuda" | "cuda:N" | "auto" -> a concrete device; throws a Device error otherwise.
at::Device resolve_device(const std::string& spec);
std::string device_name(const at::Device& device);

// Where and in what dtype a model lives: a floating dtype, and float16 only on CUDA.
struct ModelPlacement {
  at::Device device;
  at::ScalarType dtype;
};
ModelPlacement model_placement(const std::string& device, const std::string& dtype);

// Serializes parameter initialization (it draws from LibTorch's global generator).
std::mutex& init_mutex();

}  // namespace svae
