// JS class `NativeSentenceVAE`: a SentenceVAE on one device, its optimizer state, and the
// async calls that run it. Calls on one model are serialized by its mutex.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include "model/sentence_vae.h"
#include "bindings/trainable_bindings.h"

#include <memory>
#include <mutex>

namespace svae {

class AddonSentenceVAE : public Napi::ObjectWrap<AddonSentenceVAE> {
 public:
  struct State : TrainableState {
    SentenceVAE model{nullptr};
    torch::nn::Module& module() override { return *model; }
  };

  static void Init(Napi::Env env, Napi::Object exports);
  explicit AddonSentenceVAE(const Napi::CallbackInfo& info);
  ~AddonSentenceVAE() override;

 private:
  static Napi::Value Create(const Napi::CallbackInfo& info);
  Napi::Value Encode(const Napi::CallbackInfo& info);
  Napi::Value Decode(const Napi::CallbackInfo& info);
  Napi::Value Logits(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value TrainStep(const Napi::CallbackInfo& info);
  Napi::Value ConfigureTraining(const Napi::CallbackInfo& info);
  Napi::Value Accumulate(const Napi::CallbackInfo& info);
  Napi::Value ReduceGradients(const Napi::CallbackInfo& info);
  Napi::Value ApplyStep(const Napi::CallbackInfo& info);
  Napi::Value TrainingState(const Napi::CallbackInfo& info);
  Napi::Value LoadTrainingState(const Napi::CallbackInfo& info);
  Napi::Value SwapEma(const Napi::CallbackInfo& info);
  Napi::Value NamedTensors(const Napi::CallbackInfo& info);
  Napi::Value LoadTensors(const Napi::CallbackInfo& info);
  Napi::Value ParameterCount(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  std::shared_ptr<State> Live() const;
  std::shared_ptr<State> state_;
};

SvaeConfig read_svae_config(const Napi::Object& o);

}  // namespace svae
