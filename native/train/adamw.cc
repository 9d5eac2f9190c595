#include "train/adamw.h"

namespace svae {

AdamW::AdamW(torch::nn::Module& module, const AdamWOptions& o) : options_(o) {
  std::vector<torch::Tensor> decay, no_decay;
  for (auto& p : module.parameters()) {
    if (!p.requires_grad()) continue;
    params_.push_back(p);
    (p.dim() >= 2 ? decay : no_decay).push_back(p);
  }
  auto defaults = torch::optim::AdamWOptions(1e-3).betas({o.beta1, o.beta2}).eps(o.eps).weight_decay(o.weight_decay);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(defaults));
  auto no_decay_options = std::make_unique<torch::optim::AdamWOptions>(defaults);
  no_decay_options->weight_decay(0.0);
  groups.emplace_back(no_decay, std::move(no_decay_options));
  impl_ = std::make_unique<torch::optim::AdamW>(groups, defaults);
}

void AdamW::zero_grad() {
  for (auto& p : params_) {
    if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
  }
}

double AdamW::step(double lr, double clip) {
  double norm = 0;
  {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> norms;
    for (auto& p : params_) {
      if (p.grad().defined()) norms.push_back(p.grad().detach().to(torch::kFloat).norm(2));
    }
    if (!norms.empty()) norm = torch::stack(norms).norm(2).item<double>();
    if (clip > 0 && std::isfinite(norm) && norm > clip) {
      const double scale = clip / (norm + 1e-6);
      for (auto& p : params_) {
        if (p.grad().defined()) p.grad().mul_(scale);
      }
    }
  }
  for (auto& group : impl_->param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
  impl_->step();
  return norm;
}

}  // namespace svae
