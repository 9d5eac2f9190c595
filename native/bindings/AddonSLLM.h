// JS classes `NativeSLLM` (a grafted SentenceVAE + OPT stack on one device, with training) and
// `NativeSLLMSession` (one batched sentence-by-sentence generation; one sentence per next()).
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include "bindings/id_batch.h"
#include "model/sllm.h"
#include "bindings/trainable_bindings.h"

#include <atomic>
#include <memory>

namespace svae {

struct SllmState : TrainableState {
  Sllm model{nullptr};
  std::atomic<bool> disposed{false};  // set by dispose(): open sessions end at their next step
  torch::nn::Module& module() override { return *model; }
};

class AddonSLLM : public Napi::ObjectWrap<AddonSLLM> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit AddonSLLM(const Napi::CallbackInfo& info);
  ~AddonSLLM() override;

 private:
  static Napi::Value Create(const Napi::CallbackInfo& info);
  Napi::Value Encode(const Napi::CallbackInfo& info);
  Napi::Value Hidden(const Napi::CallbackInfo& info);
  Napi::Value Logits(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value Accumulate(const Napi::CallbackInfo& info);
  Napi::Value Generate(const Napi::CallbackInfo& info);
  Napi::Value OpenSlots(const Napi::CallbackInfo& info);  // defined in AddonSlots.cc
  Napi::Value ConfigureTraining(const Napi::CallbackInfo& info);
  Napi::Value ReduceGradients(const Napi::CallbackInfo& info);
  Napi::Value ApplyStep(const Napi::CallbackInfo& info);
  Napi::Value TrainingState(const Napi::CallbackInfo& info);
  Napi::Value LoadTrainingState(const Napi::CallbackInfo& info);
  Napi::Value SwapEma(const Napi::CallbackInfo& info);
  Napi::Value NamedTensors(const Napi::CallbackInfo& info);
  Napi::Value Quantize(const Napi::CallbackInfo& info);
  Napi::Value LoadTensors(const Napi::CallbackInfo& info);
  Napi::Value SetTrainable(const Napi::CallbackInfo& info);
  Napi::Value ParameterCount(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  std::shared_ptr<SllmState> Live() const;
  std::shared_ptr<SllmState> state_;
};

struct SllmGeneration {
  std::shared_ptr<SllmState> state;
  IdBatch prompt;       // the prompt's pieces (CPU copies, checked and moved at the first next())
  torch::Tensor rows;   // [B, S] piece index per slot, -1 = none
  int64_t max_sentences = 0;
  DecodeOptions decode;
  bool ignore_stop = false;
  bool return_hidden = false;
  std::vector<int64_t> forced_lengths;
  bool started = false;
  SllmGenerationState g;
};

class AddonSLLMSession : public Napi::ObjectWrap<AddonSLLMSession> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit AddonSLLMSession(const Napi::CallbackInfo& info);
  ~AddonSLLMSession() override;

 private:
  Napi::Value Next(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  std::shared_ptr<SllmGeneration> gen_;
};

}  // namespace svae
