#include "bindings/AddonTensor.h"

#include "bindings/dtype.h"
#include "bindings/addon_data.h"
#include "bindings/args.h"
#include "bindings/async_task.h"
#include "bindings/js_errors.h"
#include "core/runtime.h"

namespace svae {

namespace {
struct Payload {
  at::Tensor tensor;
  KeepAlive keep_alive;
};
}  // namespace

void AddonTensor::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(
      env, "NativeTensor",
      {
          StaticMethod<&AddonTensor::FromArray>("fromArray"),
          StaticMethod<&AddonTensor::Borrow>("borrow"),
          InstanceAccessor<&AddonTensor::Shape>("shape"),
          InstanceAccessor<&AddonTensor::DType>("dtype"),
          InstanceAccessor<&AddonTensor::Device>("device"),
          InstanceAccessor<&AddonTensor::Disposed>("disposed"),
          InstanceMethod<&AddonTensor::ToArray>("toArray"),
          InstanceMethod<&AddonTensor::View>("view"),
          InstanceMethod<&AddonTensor::To>("to"),
          InstanceMethod<&AddonTensor::Dispose>("dispose"),
      });
  addon_data(env).tensor_constructor = Napi::Persistent(ctor);
  exports.Set("NativeTensor", ctor);
}

Napi::Object AddonTensor::Wrap(Napi::Env env, at::Tensor tensor, KeepAlive keep_alive) {
  Payload payload{std::move(tensor), std::move(keep_alive)};
  return addon_data(env).tensor_constructor.New({Napi::External<Payload>::New(env, &payload)});
}

AddonTensor* AddonTensor::From(const Napi::Value& value, const char* what) {
  Napi::Env env = value.Env();
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(addon_data(env).tensor_constructor.Value())) {
    fail(ErrorCode::InvalidArgument, std::string("Expected Tensor for ") + what + " but received " + args::describe(value));
  }
  auto* self = Unwrap(value.As<Napi::Object>());
  if (self->disposed_) fail(ErrorCode::Disposed, std::string("Tensor passed as ") + what + " has been disposed");
  self->EnsureUsable(what);
  return self;
}

AddonTensor::AddonTensor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonTensor>(info) {
  guard(info.Env(), [&] {
    if (info.Length() != 1 || !info[0].IsExternal()) {
      fail(ErrorCode::InvalidArgument, "NativeTensor cannot be constructed directly; use tensor() or Tensor.from()");
    }
    auto* payload = info[0].As<Napi::External<Payload>>().Data();
    tensor_ = std::move(payload->tensor);
    keep_alive_ = std::move(payload->keep_alive);
  });
}

void AddonTensor::EnsureLive() const {
  if (disposed_) fail(ErrorCode::Disposed, "This Tensor has been disposed");
}

void AddonTensor::EnsureUsable(const char* what) const {
  EnsureLive();
  // Node-API cannot hold a detachable ArrayBuffer's backing store (V8's BackingStore is not part
  // of it), only see that the buffer was detached: then the memory belongs to whoever received
  // the transfer and may already be freed, so nothing may read it.
  for (const auto& ref : keep_alive_) {
    if (ref && !ref->IsEmpty() && ref->Value().IsDetached()) {
      fail(ErrorCode::Disposed, std::string(what ? std::string("The Tensor passed as ") + what : std::string("This Tensor")) +
                                    " borrows an ArrayBuffer that has been detached (transferred with postMessage/structuredClone): "
                                    "its memory is no longer the tensor's; borrow the new buffer or use Tensor.from() to copy");
    }
  }
}

// fromArray(data, shape, dtype, device) -> Promise<NativeTensor>: always copies.
Napi::Value AddonTensor::FromArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto shape = args::shape(info, 1, "shape");
    auto dtype = parse_dtype(args::string(info, 2, "dtype"));
    auto device = resolve_device(args::string(info, 3, "device"));
    BorrowedTensor source = borrow_typed_array(info[0], shape, dtype);
    // The TypedArray itself is kept alive by run_async until the copy is done.
    at::Tensor view = source.tensor;
    return run_async(
        env, "svae.tensor.fromArray",
        [view, device]() -> Finish {
          at::Tensor copy = view.to(device, view.scalar_type(), /*non_blocking=*/false, /*copy=*/true);
          return [copy](Napi::Env env) { return AddonTensor::Wrap(env, copy); };
        },
        {info[0].As<Napi::Object>()});
  });
}

// borrow(data, shape, dtype) -> NativeTensor over the TypedArray's memory (CPU, zero-copy).
Napi::Value AddonTensor::Borrow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto shape = args::shape(info, 1, "shape");
    auto dtype = parse_dtype(args::string(info, 2, "dtype"));
    BorrowedTensor borrowed = borrow_typed_array(info[0], shape, dtype);
    return Wrap(env, borrowed.tensor, borrowed.keep_alive);
  });
}

Napi::Value AddonTensor::Shape(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    EnsureLive();
    Napi::Array dims = Napi::Array::New(info.Env(), tensor_.dim());
    for (int64_t i = 0; i < tensor_.dim(); i++) dims.Set(i, Napi::Number::New(info.Env(), static_cast<double>(tensor_.size(i))));
    return dims;
  });
}

Napi::Value AddonTensor::DType(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    EnsureLive();
    return Napi::String::New(info.Env(), dtype_name(tensor_.scalar_type()));
  });
}

Napi::Value AddonTensor::Device(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    EnsureLive();
    return Napi::String::New(info.Env(), device_name(tensor_.device()));
  });
}

Napi::Value AddonTensor::Disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), disposed_); }

// toArray() -> Promise<TypedArray>: a copy on the CPU, handed to JS without a second copy.
Napi::Value AddonTensor::ToArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    EnsureUsable();
    at::Tensor t = tensor_;
    KeepAlive keep = keep_alive_;  // borrowed JS memory stays alive even if dispose() runs mid-call
    return run_async(
        env, "svae.tensor.toArray",
        [t, keep]() -> Finish {
          at::Tensor cpu = t.to(at::kCPU, t.scalar_type(), /*non_blocking=*/false, /*copy=*/true).contiguous();
          return [cpu](Napi::Env env) -> Napi::Value { return typed_array_over(env, cpu); };
        },
        {Value()});
  });
}

// view() -> TypedArray sharing the tensor's memory (CPU contiguous tensors only).
Napi::Value AddonTensor::View(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    EnsureUsable();
    if (!tensor_.device().is_cpu() || !tensor_.is_contiguous()) {
      fail(ErrorCode::Device, "view() needs a contiguous CPU tensor but this one is " +
                                  std::string(tensor_.is_contiguous() ? "" : "non-contiguous ") + "on " +
                                  device_name(tensor_.device()) + "; use toArray() to copy");
    }
    if (!view_.IsEmpty()) return view_.Value();
    Napi::Value view;
    if (!keep_alive_.empty()) {
      // Borrowed memory: view the original ArrayBuffer (two external buffers must never share a pointer).
      Napi::ArrayBuffer buffer = keep_alive_.front()->Value();
      auto* base = static_cast<uint8_t*>(buffer.Data());
      auto* data = static_cast<uint8_t*>(tensor_.data_ptr());
      size_t offset = static_cast<size_t>(data - base);
      napi_value result;
      NAPI_THROW_IF_FAILED(env,
                           napi_create_typedarray(env, typed_array_type_for(tensor_.scalar_type()),
                                                  static_cast<size_t>(tensor_.numel()), buffer, offset, &result),
                           Napi::Value());
      view = Napi::Value(env, result);
    } else {
      view = typed_array_over(env, tensor_);
    }
    view_ = Napi::Persistent(view);
    return view;
  });
}

// to(device, dtype | null) -> Promise<NativeTensor>: always a new tensor (a copy).
Napi::Value AddonTensor::To(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    EnsureUsable();
    auto device = resolve_device(args::string(info, 0, "device"));
    auto dtype = info.Length() > 1 && !info[1].IsNull() && !info[1].IsUndefined()
                     ? parse_dtype(args::string(info, 1, "dtype"))
                     : tensor_.scalar_type();
    at::Tensor t = tensor_;
    KeepAlive keep = keep_alive_;
    return run_async(
        env, "svae.tensor.to",
        [t, keep, device, dtype]() -> Finish {
          at::Tensor out = t.to(device, dtype, /*non_blocking=*/false, /*copy=*/true);
          return [out](Napi::Env env) -> Napi::Value { return AddonTensor::Wrap(env, out); };
        },
        {Value()});
  });
}

// dispose(): drops this wrapper's reference now. Calls in flight hold their own references,
// so the memory goes when the last of them finishes. Idempotent.
void AddonTensor::ReleaseStorage() {
  // Every tensor of LibTorch's own CPU memory is freed off the event loop (see async_task.h),
  // whatever its size: a small free can end glibc's arena trim, which hands back every free page
  // above it (perf, OPT.load at opt-125m size: one 2 MB weight's dispose ran heap_trim -> munmap
  // for 10-21 ms on the main thread). Views of JS memory go here and now (keep_alive_ holds it).
  // (Loaded weights are often views of one file-sized storage: whichever view goes last frees
  // all of it.)
  if (tensor_.defined() && keep_alive_.empty() && tensor_.has_storage() && tensor_.device().is_cpu()) {
    release_on_compute_thread(std::move(tensor_));
  }
  tensor_ = at::Tensor();
}

// A tensor the garbage collector finalizes without dispose(): the same rule, in the finalizer.
AddonTensor::~AddonTensor() { ReleaseStorage(); }

Napi::Value AddonTensor::Dispose(const Napi::CallbackInfo& info) {
  ReleaseStorage();
  keep_alive_.clear();
  view_.Reset();
  disposed_ = true;
  return info.Env().Undefined();
}

}  // namespace svae
