// JS classes `NativeOPT` (an OPT on one device) and `NativeOPTSession` (one generation in
// progress: KV caches, attention mask, sampler, per-row stop flags; one native step per next()).
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include "model/opt.h"
#include "model/sampling.h"
#include "bindings/trainable_bindings.h"

#include <atomic>
#include <memory>
#include <mutex>

namespace svae {

OptConfig read_opt_config(const Napi::Object& o);

struct OptState : TrainableState {
  Opt model{nullptr};
  std::atomic<bool> disposed{false};  // set by dispose(): open sessions end at their next step
  torch::nn::Module& module() override { return *model; }
};

class AddonOPT : public Napi::ObjectWrap<AddonOPT> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit AddonOPT(const Napi::CallbackInfo& info);
  ~AddonOPT() override;

 private:
  static Napi::Value Create(const Napi::CallbackInfo& info);
  Napi::Value LoadTensors(const Napi::CallbackInfo& info);
  Napi::Value NamedTensors(const Napi::CallbackInfo& info);
  Napi::Value Quantize(const Napi::CallbackInfo& info);
  Napi::Value Logits(const Napi::CallbackInfo& info);
  Napi::Value Nll(const Napi::CallbackInfo& info);
  Napi::Value Generate(const Napi::CallbackInfo& info);
  Napi::Value OpenSlots(const Napi::CallbackInfo& info);  // defined in AddonSlots.cc
  Napi::Value Accumulate(const Napi::CallbackInfo& info);
  Napi::Value ConfigureTraining(const Napi::CallbackInfo& info);
  Napi::Value ReduceGradients(const Napi::CallbackInfo& info);
  Napi::Value ApplyStep(const Napi::CallbackInfo& info);
  Napi::Value TrainingState(const Napi::CallbackInfo& info);
  Napi::Value LoadTrainingState(const Napi::CallbackInfo& info);
  Napi::Value SwapEma(const Napi::CallbackInfo& info);
  Napi::Value ParameterCount(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  std::shared_ptr<OptState> Live() const;
  std::shared_ptr<OptState> state_;
};

struct OptGeneration {
  std::shared_ptr<OptState> state;
  torch::Tensor prompt;  // [B, T] long, on device
  torch::Tensor mask;    // [B, T + max_new] long, on device; grows by one column per step
  std::vector<KVCache> caches;
  torch::Tensor last;      // [B, 1] last tokens
  torch::Tensor finished;  // [B] bool
  int64_t prompt_length = 0;
  int64_t generated = 0;
  int64_t max_new = 0;
  SamplingOptions sampling;
  at::Generator generator;
  bool started = false;
  bool return_logits = false;
  bool ignore_eos = false;  // benchmarks: generation lengths forced equal
  // Per row, the prompt's tokens then the generated ones (no bos/eos/pad), for
  // sampling.controls; empty when they are off.
  std::vector<TokenHistory> histories;
};

class AddonOPTSession : public Napi::ObjectWrap<AddonOPTSession> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit AddonOPTSession(const Napi::CallbackInfo& info);
  ~AddonOPTSession() override;

 private:
  Napi::Value Next(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  std::shared_ptr<OptGeneration> gen_;
};

}  // namespace svae
