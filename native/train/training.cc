#include "train/training.h"

#include "core/errors.h"
#include "core/torch_shim.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

namespace svae {

Training::Training(torch::nn::Module& module, const TrainingOptions& o, const torch::Device& device, at::Generator generator)
    : module_(module), options_(o), device_(device), generator_(std::move(generator)) {
  if (o.amp != "off" && o.amp != "bf16" && o.amp != "fp16") {
    fail(ErrorCode::InvalidArgument, "Expected amp 'off', 'bf16' or 'fp16' but received '" + o.amp + "'");
  }
  if (o.amp != "off" && !device.is_cuda()) {
    fail(ErrorCode::Device, "mixed precision (amp '" + o.amp + "') needs a CUDA device; train in float32 on the CPU");
  }
  loss_scale_ = o.amp == "fp16" ? o.initial_loss_scale : 1.0;
  torch::NoGradGuard no_grad;
  for (const auto& item : module.named_parameters()) {
    if (!item.value().requires_grad()) continue;
    params_.emplace_back(item.key(), item.value());
    exp_avg_[item.key()] = torch::zeros_like(item.value());
    exp_avg_sq_[item.key()] = torch::zeros_like(item.value());
    if (o.ema_decay > 0) ema_[item.key()] = item.value().detach().clone();
  }
}

Training::ForwardScope::ForwardScope(const Training& t) : active_(t.options_.amp != "off") {
  if (active_) shim::set_cuda_autocast(true, t.options_.amp == "bf16" ? at::kBFloat16 : at::kHalf);
}

Training::ForwardScope::~ForwardScope() {
  if (active_) {
    shim::set_cuda_autocast(false, at::kHalf);
    at::autocast::clear_cache();
  }
}

void Training::backward(const torch::Tensor& loss, double scale) {
  const double value = loss.item<double>() * scale;
  if (!std::isfinite(value)) {
    bad_step_ = true;  // nothing to learn from this micro-batch; the whole step will be skipped
    return;
  }
  (loss * (scale * loss_scale_)).backward();
}

void Training::zero_grad() {
  for (auto& [name, p] : params_) {
    if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
  }
}

StepOutcome Training::apply(double lr, double clip) {
  torch::NoGradGuard no_grad;
  StepOutcome out;
  std::vector<torch::Tensor> norms;
  for (auto& [name, p] : params_) {
    if (!p.grad().defined()) continue;
    if (loss_scale_ != 1) p.grad().div_(loss_scale_);
    norms.push_back(p.grad().to(torch::kFloat).norm(2));
  }
  out.grad_norm = norms.empty() ? 0.0 : torch::stack(norms).norm(2).item<double>();
  if (bad_step_ || !std::isfinite(out.grad_norm)) {
    out.skipped = true;
    bad_step_ = false;
    zero_grad();
    if (options_.amp == "fp16") {
      loss_scale_ = std::max(1.0, loss_scale_ / 2);
      good_steps_ = 0;
    }
    return out;
  }
  const double clip_scale = clip > 0 && out.grad_norm > clip ? clip / (out.grad_norm + 1e-6) : 1.0;
  adam_step_++;
  const double bc1 = 1 - std::pow(options_.beta1, static_cast<double>(adam_step_));
  const double bc2 = 1 - std::pow(options_.beta2, static_cast<double>(adam_step_));
  for (auto& [name, p] : params_) {
    if (!p.grad().defined()) continue;
    if (clip_scale != 1) p.grad().mul_(clip_scale);  // in place, as torch.nn.utils.clip_grad_norm_
    const torch::Tensor& g = p.grad();
    if (options_.weight_decay > 0 && p.dim() >= 2) p.mul_(1 - lr * options_.weight_decay);
    torch::Tensor& m = exp_avg_[name];
    torch::Tensor& v = exp_avg_sq_[name];
    m.mul_(options_.beta1).add_(g, 1 - options_.beta1);
    v.mul_(options_.beta2).addcmul_(g, g, 1 - options_.beta2);
    torch::Tensor denom = (v.sqrt() / std::sqrt(bc2)).add_(options_.eps);
    p.addcdiv_(m, denom, -lr / bc1);
  }
  if (options_.ema_decay > 0) {
    // Warm-up of the EMA decay (1 + n) / (10 + n): early averages are not dominated by the init.
    ema_updates_++;
    const double d = std::min(options_.ema_decay, (1.0 + ema_updates_) / (10.0 + ema_updates_));
    for (auto& [name, p] : params_) ema_[name].mul_(d).add_(p.detach(), 1 - d);
  }
  if (options_.amp == "fp16" && ++good_steps_ % 2000 == 0) loss_scale_ *= 2;
  zero_grad();
  return out;
}

void Training::swap_ema() {
  if (!has_ema()) fail(ErrorCode::InvalidArgument, "this training has no EMA (emaDecay 0)");
  torch::NoGradGuard no_grad;
  for (auto& [name, p] : params_) {
    torch::Tensor tmp = p.detach().clone();
    p.copy_(ema_[name]);
    ema_[name].copy_(tmp);
  }
}

std::map<std::string, torch::Tensor> Training::state_tensors() const {
  std::map<std::string, torch::Tensor> out;
  for (const auto& [name, t] : exp_avg_) out["optim.exp_avg." + name] = t;
  for (const auto& [name, t] : exp_avg_sq_) out["optim.exp_avg_sq." + name] = t;
  for (const auto& [name, t] : ema_) out["ema." + name] = t;
  {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    out["rng.model"] = generator_.get_state();
  }
  out["training.counters"] = torch::tensor({ema_updates_, good_steps_}, torch::kLong);
  return out;
}

void Training::load_state_tensors(const std::map<std::string, torch::Tensor>& tensors, int64_t adam_step, double loss_scale) {
  torch::NoGradGuard no_grad;
  auto take = [&](const std::string& key, torch::Tensor& into) {
    auto it = tensors.find(key);
    if (it == tensors.end()) fail(ErrorCode::Shape, "checkpoint lacks " + key);
    if (it->second.sizes() != into.sizes()) fail(ErrorCode::Shape, "checkpoint tensor " + key + " has the wrong shape");
    into.copy_(it->second.to(into.device(), into.scalar_type()));
  };
  for (auto& [name, t] : exp_avg_) take("optim.exp_avg." + name, t);
  for (auto& [name, t] : exp_avg_sq_) take("optim.exp_avg_sq." + name, t);
  for (auto& [name, t] : ema_) take("ema." + name, t);
  auto rng = tensors.find("rng.model");
  if (rng == tensors.end()) fail(ErrorCode::Shape, "checkpoint lacks rng.model");
  {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    generator_.set_state(rng->second.to(torch::kCPU, torch::kByte).contiguous());
  }
  auto counters = tensors.find("training.counters");
  if (counters != tensors.end()) {
    torch::Tensor c = counters->second.to(torch::kCPU, torch::kLong);
    ema_updates_ = c[0].item<int64_t>();
    good_steps_ = c[1].item<int64_t>();
  }
  adam_step_ = adam_step;
  loss_scale_ = loss_scale;
  bad_step_ = false;
}

}  // namespace svae
