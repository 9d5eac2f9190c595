#include "model/load_parameters.h"

#include "core/errors.h"

#include <vector>

namespace svae {

namespace {
std::string list(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < 6; i++) s += (i ? ", " : "") + v[i];
  return v.size() > 6 ? s + ", ... (" + std::to_string(v.size()) + " in all)" : s;
}
}  // namespace

void load_parameters(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& values, const torch::Device& device, at::ScalarType dtype, bool partial) {
  auto params = module.named_parameters();
  std::vector<std::string> missing, wrong, unexpected;
  for (const auto& [name, t] : values) {
    if (!params.contains(name)) unexpected.push_back(name);
  }
  for (const auto& item : params) {
    auto it = values.find(item.key());
    if (it == values.end()) {
      if (!partial) missing.push_back(item.key());
    } else if (it->second.sizes() != item.value().sizes()) {
      wrong.push_back(item.key() + " " + c10::str(it->second.sizes()) + " (expected " + c10::str(item.value().sizes()) + ")");
    }
  }
  if (!missing.empty()) fail(ErrorCode::Shape, "weights do not match the config: missing " + list(missing));
  if (!wrong.empty()) fail(ErrorCode::Shape, "weights do not match the config: wrong shape for " + list(wrong));
  if (!unexpected.empty()) fail(ErrorCode::Shape, "weights do not match the config: unexpected " + list(unexpected));
  torch::NoGradGuard no_grad;
  for (auto& item : params) {
    auto it = values.find(item.key());
    // Quantized tensors (int8 weights, their float32 scales) keep their own dtype.
    const std::string& key = item.key();
    const bool own = !item.value().is_floating_point() || (key.size() >= 12 && key.compare(key.size() - 12, 12, "weight_scale") == 0);
    if (it != values.end()) item.value().copy_(it->second.to(device, own ? item.value().scalar_type() : dtype));
  }
}

}  // namespace svae
