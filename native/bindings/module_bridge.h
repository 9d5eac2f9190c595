// A module's named tensors <-> JS objects `{ name: NativeTensor }` (main thread only).
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <map>
#include <string>

namespace svae {

// `{ name: NativeTensor }` -> name -> tensor; every value must be a live Tensor.
std::map<std::string, torch::Tensor> read_named_tensors(const Napi::Object& given);
// A module's parameters as `{ name: NativeTensor }` sharing their memory (detached).
Napi::Object named_parameters_object(Napi::Env env, torch::nn::Module& module);
double parameter_count(torch::nn::Module& module);

}  // namespace svae
