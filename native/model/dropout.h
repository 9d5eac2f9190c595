// Dropout drawing from the generator of the model being run, not LibTorch's global one: two
// models training in one process (or one process's tests) never disturb each other's random
// stream, and a model's stream can be saved in its checkpoint and restored exactly.
#pragma once
#include <torch/torch.h>

namespace svae {

// While alive, dropout on this thread draws from `generator` (calls on one model are
// serialized and run their forward pass on one thread).
class RngScope {
 public:
  explicit RngScope(at::Generator& generator);
  ~RngScope();
  RngScope(const RngScope&) = delete;
  RngScope& operator=(const RngScope&) = delete;

 private:
  at::Generator* previous_;
};

torch::Tensor dropout(const torch::Tensor& x, double p, bool training);

// A generator for `device`, seeded.
at::Generator make_generator(const torch::Device& device, uint64_t seed);

}  // namespace svae
