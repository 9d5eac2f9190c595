// JS classes `NativeOPTSlots` and `NativeSLLMSlots`: continuous-batching generation sessions
// (native/model/slots.h) whose rows join and leave between steps; opened with
// NativeOPT.openSlots() / NativeSLLM.openSlots(). One async step() per engine step.
#pragma once
#include <napi.h>

#include "bindings/AddonOPT.h"
#include "bindings/AddonSLLM.h"
#include "model/slots.h"

#include <memory>

namespace svae {

struct OptSlotSession {
  std::shared_ptr<OptState> state;
  OptSlots slots;
};

struct SllmSlotSession {
  std::shared_ptr<SllmState> state;
  SllmSlots slots;
};

class AddonOPTSlots : public Napi::ObjectWrap<AddonOPTSlots> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit AddonOPTSlots(const Napi::CallbackInfo& info);
  ~AddonOPTSlots() override;

 private:
  Napi::Value Step(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  std::shared_ptr<OptSlotSession> session_;
};

class AddonSLLMSlots : public Napi::ObjectWrap<AddonSLLMSlots> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit AddonSLLMSlots(const Napi::CallbackInfo& info);
  ~AddonSLLMSlots() override;

 private:
  Napi::Value Step(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  std::shared_ptr<SllmSlotSession> session_;
};

}  // namespace svae
