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
  if (o.loss_reduction != "token" && o.loss_reduction != "sentence") {
    fail(ErrorCode::InvalidArgument, "Expected lossReduction 'token' or 'sentence' but received '" + o.loss_reduction + "'");
  }
  loss_scale_ = o.amp == "fp16" ? o.initial_loss_scale : 1.0;
  torch::NoGradGuard no_grad;
  for (const auto& item : module.named_parameters()) {
    if (!item.value().requires_grad()) continue;
    const torch::Tensor& p = item.value();
    params_.emplace_back(item.key(), p);
    const bool half = p.scalar_type() == at::kBFloat16 || p.scalar_type() == at::kHalf;
    // What the optimizer updates: a float32 master for 16-bit weights, else the weights themselves.
    const torch::Tensor base = half ? p.detach().to(torch::kFloat).clone() : p.detach();
    if (half) master_[item.key()] = base;
    exp_avg_[item.key()] = torch::zeros_like(base);
    exp_avg_sq_[item.key()] = torch::zeros_like(base);
    if (o.ema_decay > 0) ema_[item.key()] = base.clone();
  }
}

torch::Tensor Training::grad_of(const std::string& name, const torch::Tensor& p) const {
  auto it = master_grad_.find(name);
  if (it != master_grad_.end()) return it->second;
  return master_.count(name) ? torch::Tensor() : p.grad();
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
  if (master_.empty()) return;
  // 16-bit weights: micro-batch gradients add up in float32, not in the weights' dtype.
  torch::NoGradGuard no_grad;
  for (auto& [name, p] : params_) {
    if (!master_.count(name) || !p.grad().defined()) continue;
    torch::Tensor g = p.grad().to(torch::kFloat);
    auto it = master_grad_.find(name);
    if (it == master_grad_.end()) master_grad_[name] = g.clone();
    else it->second.add_(g);
    p.mutable_grad() = torch::Tensor();
  }
}

std::vector<torch::Tensor> Training::gradients_for_reduction() {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> out;
  out.reserve(params_.size());
  for (auto& [name, p] : params_) {
    if (master_.count(name)) {
      torch::Tensor& g = master_grad_[name];
      if (!g.defined()) g = torch::zeros_like(master_[name]);
      out.push_back(g);
    } else {
      if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
      out.push_back(p.grad());
    }
  }
  return out;
}

void Training::zero_grad() {
  for (auto& [name, p] : params_) {
    if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
  }
  master_grad_.clear();
}

StepOutcome Training::apply(double lr, double clip) {
  torch::NoGradGuard no_grad;
  StepOutcome out;
  std::vector<torch::Tensor> norms;
  for (auto& [name, p] : params_) {
    torch::Tensor g = grad_of(name, p);
    if (!g.defined()) continue;
    if (loss_scale_ != 1) g.div_(loss_scale_);
    norms.push_back(g.to(torch::kFloat).norm(2));
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
    torch::Tensor g = grad_of(name, p);
    if (!g.defined()) continue;
    if (clip_scale != 1) g.mul_(clip_scale);  // in place, as torch.nn.utils.clip_grad_norm_
    auto master = master_.find(name);
    torch::Tensor w = master != master_.end() ? master->second : p;  // float32 master or the weights
    if (options_.weight_decay > 0 && p.dim() >= 2) w.mul_(1 - lr * options_.weight_decay);
    torch::Tensor& m = exp_avg_[name];
    torch::Tensor& v = exp_avg_sq_[name];
    m.mul_(options_.beta1).add_(g, 1 - options_.beta1);
    v.mul_(options_.beta2).addcmul_(g, g, 1 - options_.beta2);
    torch::Tensor denom = (v.sqrt() / std::sqrt(bc2)).add_(options_.eps);
    w.addcdiv_(m, denom, -lr / bc1);
    if (master != master_.end()) p.copy_(w);  // the 16-bit weights: the master, rounded
  }
  if (options_.ema_decay > 0) {
    // Warm-up of the EMA decay (1 + n) / (10 + n): early averages are not dominated by the init.
    ema_updates_++;
    const double d = std::min(options_.ema_decay, (1.0 + ema_updates_) / (10.0 + ema_updates_));
    for (auto& [name, p] : params_) {
      auto master = master_.find(name);
      ema_[name].mul_(d).add_(master != master_.end() ? master->second : p.detach(), 1 - d);
    }
  }
  if (options_.amp == "fp16" && ++good_steps_ % 2000 == 0) loss_scale_ *= 2;
  zero_grad();
  return out;
}

void Training::swap_ema() {
  if (!has_ema()) fail(ErrorCode::InvalidArgument, "this training has no EMA (emaDecay 0)");
  torch::NoGradGuard no_grad;
  for (auto& [name, p] : params_) {
    auto master = master_.find(name);
    torch::Tensor live = master != master_.end() ? master->second : p;
    torch::Tensor tmp = live.detach().clone();
    live.copy_(ema_[name]);
    ema_[name].copy_(tmp);
    if (master != master_.end()) p.copy_(live);
  }
}

std::map<std::string, torch::Tensor> Training::state_tensors() const {
  std::map<std::string, torch::Tensor> out;
  for (const auto& [name, t] : exp_avg_) out["optim.exp_avg." + name] = t;
  for (const auto& [name, t] : exp_avg_sq_) out["optim.exp_avg_sq." + name] = t;
  for (const auto& [name, t] : ema_) out["ema." + name] = t;
  for (const auto& [name, t] : master_) out["optim.master." + name] = t;
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
  // Float32 masters of 16-bit weights; a checkpoint without them (written before masters
  // existed) starts them from the weights just loaded.
  for (auto& [name, t] : master_) {
    if (tensors.count("optim.master." + name)) {
      take("optim.master." + name, t);
    } else {
      for (auto& [pname, p] : params_) if (pname == name) t.copy_(p.detach().to(torch::kFloat));
    }
  }
  master_grad_.clear();
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
