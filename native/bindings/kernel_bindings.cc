// The decode kernels (native/kernels) seen from JS: choose the instruction-set path, run one
// linear on a chosen path (the kernel tests compare every path with LibTorch), quantize and
// dequantize weights, and measure read bandwidth the way the kernels read weights.
#include "bindings/kernel_bindings.h"

#include "bindings/AddonTensor.h"
#include "bindings/args.h"
#include "bindings/async_task.h"
#include "bindings/js_errors.h"
#include "bindings/trainable_bindings.h"
#include "kernels/bandwidth.h"
#include "kernels/cpu_path.h"
#include "kernels/decode_step.h"
#include "kernels/linear.h"
#include "kernels/quantize.h"

namespace svae {

namespace {

struct Input {
  at::Tensor tensor;
  KeepAlive keep;
  Napi::Object object;
};

bool given(const Napi::CallbackInfo& info, size_t i) { return info.Length() > i && !info[i].IsNull() && !info[i].IsUndefined(); }

Input input(const Napi::CallbackInfo& info, size_t i, const char* name) {
  AddonTensor* t = AddonTensor::From(i < info.Length() ? info[i] : info.Env().Undefined(), name);
  return {t->tensor(), t->keep_alive(), info[i].As<Napi::Object>()};
}

kernels::Path path_of(const std::string& name) {
  for (kernels::Path p : {kernels::Path::Off, kernels::Path::Portable, kernels::Path::Avx2, kernels::Path::Avx512}) {
    if (name == kernels::path_name(p)) return p;
  }
  fail(ErrorCode::InvalidArgument, "Expected one of off, portable, avx2, avx512 for path but received '" + name + "'");
}

// paths() -> { detected, active, supported }
Napi::Value Paths(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("detected", kernels::path_name(kernels::detected_path()));
    o.Set("active", kernels::path_name(kernels::active_path()));
    Napi::Array list = Napi::Array::New(env);
    uint32_t i = 0;
    for (const auto& p : kernels::supported_paths()) list.Set(i++, p);
    o.Set("supported", list);
    return o;
  });
}

// setPath('auto' | 'off' | 'portable' | 'avx2' | 'avx512'): every model in the process.
Napi::Value SetPath(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    kernels::set_path(args::string(info, 0, "path"));
    return info.Env().Undefined();
  });
}

// setFused(on): the fused decode step of the OPT layers (kernels/decode_step.h) on or off for
// every model in the process; fused() -> whether it is on.
Napi::Value SetFused(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsBoolean()) fail(ErrorCode::InvalidArgument, "Expected a boolean for on but received " + args::describe(info.Length() > 0 ? info[0] : info.Env().Undefined()));
    kernels::set_fused(info[0].As<Napi::Boolean>().Value());
    return info.Env().Undefined();
  });
}
Napi::Value Fused(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return Napi::Boolean::New(info.Env(), kernels::fused_enabled()); });
}
// fusedSteps() -> { batched, rows }: layer steps run fused so far by the batched decode step and
// by the serving engine's per-row step (tests check which path a model took).
Napi::Value FusedSteps(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    const kernels::FusedCounts c = kernels::fused_counts();
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("batched", Napi::Number::New(info.Env(), static_cast<double>(c.batched)));
    o.Set("rows", Napi::Number::New(info.Env(), static_cast<double>(c.rows)));
    return o;
  });
}

// parallelThreads() -> Promise<{ configured, used }>: how many threads one at::parallel_for of
// the addon's own code runs on, on the compute thread (1 when the addon is built without OpenMP,
// whatever the configured count).
Napi::Value ParallelThreads(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    return run_async(info.Env(), "svae.kernels.parallelThreads", []() -> Finish {
      const int configured = at::get_num_threads();
      std::vector<int> seen(static_cast<size_t>(std::max(configured, 1)), 0);
      at::parallel_for(0, configured, 1, [&](int64_t a, int64_t b) {
        const int id = at::get_thread_num();
        if (id >= 0 && id < static_cast<int>(seen.size())) seen[static_cast<size_t>(id)] = 1;
      });
      int used = 0;
      for (int s : seen) used += s;
      return [configured, used](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("configured", configured);
        o.Set("used", used);
        return o;
      };
    });
  });
}

// linear(x, weight, scale | null, bias | null, path) -> Promise<NativeTensor>
Napi::Value Linear(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    std::vector<Input> in = {input(info, 0, "x"), input(info, 1, "weight")};
    at::Tensor scale, bias;
    if (given(info, 2)) in.push_back(input(info, 2, "scale")), scale = in.back().tensor;
    if (given(info, 3)) in.push_back(input(info, 3, "bias")), bias = in.back().tensor;
    const kernels::Path path = path_of(args::string(info, 4, "path"));
    at::Tensor x = in[0].tensor, w = in[1].tensor;
    KeepAlive keep;
    std::vector<Napi::Object> owners;
    for (auto& i : in) keep.insert(keep.end(), i.keep.begin(), i.keep.end()), owners.push_back(i.object);
    return run_async(info.Env(), "svae.kernels.linear", [x, w, scale, bias, path, keep]() -> Finish {
      c10::InferenceMode inference;
      at::Tensor y = kernels::gemv(x, w, scale, bias, path);
      return [y](Napi::Env env) -> Napi::Value { return AddonTensor::Wrap(env, y); };
    }, owners);
  });
}

// quantize(weight) -> Promise<{ weight: int8, scale: float32 }>
Napi::Value Quantize(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Input w = input(info, 0, "weight");
    at::Tensor t = w.tensor;
    KeepAlive keep = w.keep;
    return run_async(info.Env(), "svae.kernels.quantize", [t, keep]() -> Finish {
      c10::InferenceMode inference;
      auto [q, s] = kernels::quantize_weight(t);
      return [q, s](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("weight", AddonTensor::Wrap(env, q));
        o.Set("scale", AddonTensor::Wrap(env, s));
        return o;
      };
    }, {w.object});
  });
}

// dequantize(weight int8, scale) -> Promise<NativeTensor float32>
Napi::Value Dequantize(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Input q = input(info, 0, "weight"), s = input(info, 1, "scale");
    at::Tensor qt = q.tensor, st = s.tensor;
    if (qt.scalar_type() != at::kChar) fail(ErrorCode::DType, "Expected int8 weights to dequantize");
    KeepAlive keep = q.keep;
    keep.insert(keep.end(), s.keep.begin(), s.keep.end());
    return run_async(info.Env(), "svae.kernels.dequantize", [qt, st, keep]() -> Finish {
      c10::InferenceMode inference;
      at::Tensor y = kernels::dequantize_weight(qt, st);
      return [y](Napi::Env env) -> Napi::Value { return AddonTensor::Wrap(env, y); };
    }, {q.object, s.object});
  });
}

// readBandwidth(megabytes, repeats) -> Promise<{ readGBs, seconds }>: best of `repeats`
// multithreaded streaming reads of a buffer (native/kernels/bandwidth.h).
Napi::Value ReadBandwidth(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    const int64_t mb = args::integer(info, 0, "megabytes", 1, 1 << 16);
    const int64_t repeats = args::integer(info, 1, "repeats", 1, 1000);
    return run_async(info.Env(), "svae.kernels.readBandwidth", [mb, repeats]() -> Finish {
      kernels::Bandwidth b = kernels::read_bandwidth(mb * 1024 * 1024, repeats);
      return [b](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("readGBs", b.read_gbs);
        o.Set("seconds", b.best_seconds);
        o.Set("threads", b.threads);
        return o;
      };
    });
  });
}

}  // namespace

Napi::Value quantize_model(const Napi::CallbackInfo& info, Napi::Object self, std::shared_ptr<TrainableState> state, std::vector<std::string> tables) {
  return run_async(info.Env(), "svae.quantize", [state, tables]() -> Finish {
    std::lock_guard<std::mutex> lock(state->mutex);
    if (!state->device.is_cpu()) fail(ErrorCode::DType, "dtype 'int8' runs on the CPU only: load the model with device 'cpu'");
    kernels::quantize_module(state->module(), tables);
    state->training.reset();  // optimizer state belonged to the float weights
    return nullptr;
  }, {self});
}

void InitKernels(Napi::Env env, Napi::Object exports) {
  Napi::Object k = Napi::Object::New(env);
  k.Set("paths", Napi::Function::New<Paths>(env, "paths"));
  k.Set("setPath", Napi::Function::New<SetPath>(env, "setPath"));
  k.Set("linear", Napi::Function::New<Linear>(env, "linear"));
  k.Set("setFused", Napi::Function::New<SetFused>(env, "setFused"));
  k.Set("fused", Napi::Function::New<Fused>(env, "fused"));
  k.Set("fusedSteps", Napi::Function::New<FusedSteps>(env, "fusedSteps"));
  k.Set("parallelThreads", Napi::Function::New<ParallelThreads>(env, "parallelThreads"));
  k.Set("quantize", Napi::Function::New<Quantize>(env, "quantize"));
  k.Set("dequantize", Napi::Function::New<Dequantize>(env, "dequantize"));
  k.Set("readBandwidth", Napi::Function::New<ReadBandwidth>(env, "readBandwidth"));
  exports.Set("kernels", k);
}

}  // namespace svae
