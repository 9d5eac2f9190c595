// Training machinery shared by every trainable model: gradient accumulation, a skip-on-NaN
// update with L2 clipping and AdamW (our own, so its state is keyed by parameter name and
// exports without LibTorch-version differences), an EMA of the weights, mixed precision on
// CUDA (bf16 autocast; fp16 with dynamic loss scaling) and the RNG state for exact resumes.
//
// 16-bit weights (a model created in bfloat16/float16) train through float32 master copies:
// gradients are accumulated, clipped and applied in float32, the AdamW moments and the EMA are
// float32, and the 16-bit weights are the rounded masters. Without them an update smaller than
// half a bf16 step (2^-9 relative: an AdamW step of lr 1e-5 on a weight of 0.01, or the EMA's
// (1 - 0.998) share) is rounded away every time and never accumulates.
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
  // "token": the loss is the mean over target tokens (default); "sentence": summed over each
  // sentence's tokens, averaged over sentences (the paper's Eq. 5). Affects the gradient only:
  // the reported loss stays the per-token mean.
  std::string loss_reduction = "token";
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
  // Data parallelism (native/distributed): the float32 gradients the next apply() will use, one per
  // trainable parameter in a fixed order (zeros where the micro-batches left none: every rank
  // must reduce the same list), to be all-reduced in place; and the bad-step flag (a non-finite
  // loss on any rank must skip the step on every rank).
  std::vector<torch::Tensor> gradients_for_reduction();
  bool bad_step() const { return bad_step_; }
  void mark_bad_step() { bad_step_ = true; }
  bool sentence_reduction() const { return options_.loss_reduction == "sentence"; }
  const TrainingOptions& options() const { return options_; }

 private:
  void zero_grad();
  // The float32 gradient of a parameter: its master gradient when it has a master, else its own.
  torch::Tensor grad_of(const std::string& name, const torch::Tensor& p) const;
  torch::nn::Module& module_;
  TrainingOptions options_;
  torch::Device device_;
  mutable at::Generator generator_;  // get_state() needs its mutex
  std::vector<std::pair<std::string, torch::Tensor>> params_;
  std::map<std::string, torch::Tensor> exp_avg_, exp_avg_sq_, ema_;
  // 16-bit parameters only: float32 master weights and accumulated float32 gradients.
  std::map<std::string, torch::Tensor> master_, master_grad_;
  int64_t adam_step_ = 0;
  int64_t ema_updates_ = 0;
  double loss_scale_ = 1;
  int64_t good_steps_ = 0;
  bool bad_step_ = false;
};


}  // namespace svae
