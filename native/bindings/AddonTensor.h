// JS class `NativeTensor`: owns one at::Tensor (plus the JS memory it may borrow).
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include "bindings/tensor_bridge.h"

namespace svae {

class AddonTensor : public Napi::ObjectWrap<AddonTensor> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  // Wraps a tensor in a new JS object (main thread only).
  static Napi::Object Wrap(Napi::Env env, at::Tensor tensor, KeepAlive keep_alive = {});
  // The live wrapper behind `value`, or a clear error naming `what`.
  static AddonTensor* From(const Napi::Value& value, const char* what);

  explicit AddonTensor(const Napi::CallbackInfo& info);
  ~AddonTensor() override;

  const at::Tensor& tensor() const { return tensor_; }
  const KeepAlive& keep_alive() const { return keep_alive_; }

 private:
  static Napi::Value FromArray(const Napi::CallbackInfo& info);
  static Napi::Value Borrow(const Napi::CallbackInfo& info);

  Napi::Value Shape(const Napi::CallbackInfo& info);
  Napi::Value DType(const Napi::CallbackInfo& info);
  Napi::Value Device(const Napi::CallbackInfo& info);
  Napi::Value Disposed(const Napi::CallbackInfo& info);
  Napi::Value ToArray(const Napi::CallbackInfo& info);
  Napi::Value View(const Napi::CallbackInfo& info);
  Napi::Value To(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  // Drops the tensor: a large CPU storage of LibTorch's own is freed on the compute thread.
  void ReleaseStorage();
  void EnsureLive() const;
  // EnsureLive, and every borrowed ArrayBuffer still attached: a transferred (detached) buffer no
  // longer owns the memory the tensor points at, so its new owner may free it at any time.
  void EnsureUsable(const char* what = nullptr) const;

  at::Tensor tensor_;
  KeepAlive keep_alive_;
  Napi::Reference<Napi::Value> view_;  // cached zero-copy view: one external buffer per storage
  bool disposed_ = false;
};

}  // namespace svae
