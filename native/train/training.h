// Training machinery shared by every trainable model: gradient accumulation, a skip-on-NaN
// update with L2 clipping and AdamW (our own, so its state is keyed by parameter name and
// exports without LibTorch-version differences), an EMA of the weights, mixed precision on
// CUDA (bf16 autocast; fp16 with dynamic loss scaling) and the RNG state for exact resumes.
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>

namespace svae {

struct TrainingOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;  // on tensors with >= 2 dims only
  double ema_decay = 0;        // 0: no EMA
  std::string amp = "off";     // "off" | "bf16" | "fp16" (CUDA only)
  double initial_loss_scale = 65536;
};

struct StepOutcome {
  double grad_norm = 0;
  bool skipped = false;
};

class Training {
 public:
  // `generator`: the model's own generator (dropout); its state is part of the training state.
  Training(torch::nn::Module& module, const TrainingOptions& options, const torch::Device& device, at::Generator generator);

  // Scope of one forward pass: autocast on when mixed precision is on.
  class ForwardScope {
   public:
    ForwardScope(const Training& t);
    ~ForwardScope();

   private:
    bool active_;
  };

  // Backward of `loss` × scale (× the fp16 loss scale). A non-finite loss marks the step as bad.
  void backward(const torch::Tensor& loss, double scale);
  // Clip, update, EMA; or, after a non-finite loss or gradient, drop the gradients and skip.
  StepOutcome apply(double lr, double clip);

  // Optimizer moments ("optim.exp_avg.<name>", "optim.exp_avg_sq.<name>"), EMA ("ema.<name>"),
  // the model generator's state ("rng.model") and counters.
  std::map<std::string, torch::Tensor> state_tensors() const;
  void load_state_tensors(const std::map<std::string, torch::Tensor>& tensors, int64_t adam_step, double loss_scale);
  int64_t adam_step() const { return adam_step_; }
  double loss_scale() const { return loss_scale_; }

  // Swaps the live weights with the EMA weights (call again to swap back).
  void swap_ema();
  bool has_ema() const { return options_.ema_decay > 0; }
  const TrainingOptions& options() const { return options_; }

 private:
  void zero_grad();
  torch::nn::Module& module_;
  TrainingOptions options_;
  torch::Device device_;
  mutable at::Generator generator_;  // get_state() needs its mutex
  std::vector<std::pair<std::string, torch::Tensor>> params_;
  std::map<std::string, torch::Tensor> exp_avg_, exp_avg_sq_, ema_;
  int64_t adam_step_ = 0;
  int64_t ema_updates_ = 0;
  double loss_scale_ = 1;
  int64_t good_steps_ = 0;
  bool bad_step_ = false;
};


}  // namespace svae
