// AdamW over a module's parameters: weight decay only on tensors with >= 2 dims (matrices and
// embeddings), none on biases and LayerNorm weights; L2 gradient clipping; the LR set per step.
#pragma once
#include <torch/torch.h>

#include <memory>

namespace svae {

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;
};

class AdamW {
 public:
  AdamW(torch::nn::Module& module, const AdamWOptions& options);
  void zero_grad();
  // Clips the gradients' global L2 norm to `clip` (<= 0: no clipping), then updates with `lr`.
  // Returns the norm before clipping.
  double step(double lr, double clip);
  const AdamWOptions& options() const { return options_; }

 private:
  AdamWOptions options_;
  std::vector<torch::Tensor> params_;
  std::unique_ptr<torch::optim::AdamW> impl_;
};

}  // namespace svae
