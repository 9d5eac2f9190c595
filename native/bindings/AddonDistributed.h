// JS class `NativeProcessGroup`: one torch.distributed process group (native/distributed) and the async
// collectives over it. Every collective runs on the compute thread (off the event loop) and
// waits at most the group's timeout.
#pragma once
#include <napi.h>

#include "distributed/process_group.h"

#include <memory>

namespace svae {

class AddonDistributed : public Napi::ObjectWrap<AddonDistributed> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit AddonDistributed(const Napi::CallbackInfo& info);
  // The live group of a NativeProcessGroup passed as argument `name` (typed errors otherwise).
  static std::shared_ptr<dist::Group> From(Napi::Env env, const Napi::Value& value, const char* name);

 private:
  static Napi::Value Create(const Napi::CallbackInfo& info);
  static Napi::Value NcclAvailable(const Napi::CallbackInfo& info);
  Napi::Value Barrier(const Napi::CallbackInfo& info);
  Napi::Value AllReduce(const Napi::CallbackInfo& info);
  Napi::Value Broadcast(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  std::shared_ptr<dist::Group> Live() const;
  std::shared_ptr<dist::Group> group_;
};

}  // namespace svae
