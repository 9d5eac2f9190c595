// Loading named weights into a module: every parameter present with its shape, nothing
// unexpected (each mismatch named), values converted to the module's device and dtype.
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>

namespace svae {

void load_parameters(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& values, const torch::Device& device, at::ScalarType dtype, bool partial = false);

}  // namespace svae
