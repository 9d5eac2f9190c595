#pragma once
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

namespace svae {
// exports.kernels: the decode kernels for tests and benchmarks (paths, setPath, linear,
// quantize, dequantize, readBandwidth).
void InitKernels(Napi::Env env, Napi::Object exports);

struct TrainableState;
// model.quantize() -> Promise<void>: every Linear (and the embedding tables named in `tables`)
// to int8 weights with per-block scales, in place (kernels/quantize.h). Inference only after.
Napi::Value quantize_model(const Napi::CallbackInfo& info, Napi::Object self, std::shared_ptr<TrainableState> state, std::vector<std::string> tables);
}
