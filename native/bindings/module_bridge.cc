#include "bindings/module_bridge.h"

#include "bindings/AddonTensor.h"

namespace svae {

std::map<std::string, torch::Tensor> read_named_tensors(const Napi::Object& given) {
  std::map<std::string, torch::Tensor> values;
  Napi::Array names = given.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); i++) {
    std::string name = names.Get(i).As<Napi::String>().Utf8Value();
    values[name] = AddonTensor::From(given.Get(name), name.c_str())->tensor();
  }
  return values;
}

Napi::Object named_parameters_object(Napi::Env env, torch::nn::Module& module) {
  Napi::Object out = Napi::Object::New(env);
  for (const auto& item : module.named_parameters()) out.Set(item.key(), AddonTensor::Wrap(env, item.value().detach()));
  return out;
}

double parameter_count(torch::nn::Module& module) {
  double n = 0;
  for (const auto& p : module.parameters()) n += static_cast<double>(p.numel());
  return n;
}

}  // namespace svae
