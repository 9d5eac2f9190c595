// Small tensor operations exposed to JS: enough for the demo forward pass and for tests of
// the bridge, the async machinery and error translation. Model math lives in its modules.
#include "bindings/ops.h"

#include "bindings/AddonTensor.h"
#include "bindings/controls.h"
#include "bindings/dtype.h"
#include "bindings/args.h"
#include "bindings/async_task.h"
#include "bindings/js_errors.h"
#include "core/runtime.h"
#include "model/sentence_vae.h"

#include <chrono>

namespace svae {

namespace {

struct Operand {
  at::Tensor tensor;
  KeepAlive keep;
  Napi::Object object;
};

Operand operand(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value v = index < info.Length() ? info[index] : info.Env().Undefined();
  AddonTensor* t = AddonTensor::From(v, name);
  return {t->tensor(), t->keep_alive(), v.As<Napi::Object>()};
}

// Runs `fn(tensors...)` off the main thread and resolves with the resulting tensor.
template <class F>
Napi::Value async_op(const Napi::CallbackInfo& info, const char* name, std::vector<Operand> inputs, F fn) {
  std::vector<at::Tensor> tensors;
  std::vector<Napi::Object> owners;
  KeepAlive keep;
  for (auto& in : inputs) {
    tensors.push_back(in.tensor);
    owners.push_back(in.object);
    keep.insert(keep.end(), in.keep.begin(), in.keep.end());
  }
  return run_async(
      info.Env(), name,
      [tensors, keep, fn]() -> Finish {
        torch::NoGradGuard no_grad;  // not InferenceMode: results may later feed autograd
        at::Tensor out = fn(tensors);
        KeepAlive aliased;
        for (const auto& t : tensors) {
          KeepAlive a = aliases_of(out, t, keep);
          aliased.insert(aliased.end(), a.begin(), a.end());
        }
        return [out, aliased](Napi::Env env) -> Napi::Value { return AddonTensor::Wrap(env, out, aliased); };
      },
      owners);
}

Napi::Value Matmul(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&] {
    return async_op(info, "svae.ops.matmul", {operand(info, 0, "a"), operand(info, 1, "b")},
                    [](const std::vector<at::Tensor>& t) { return at::matmul(t[0], t[1]); });
  });
}

// linear(x, weight, bias | null): y = x W^T + b
Napi::Value Linear(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&] {
    std::vector<Operand> in = {operand(info, 0, "x"), operand(info, 1, "weight")};
    const bool has_bias = info.Length() > 2 && !info[2].IsNull() && !info[2].IsUndefined();
    if (has_bias) in.push_back(operand(info, 2, "bias"));
    return async_op(info, "svae.ops.linear", in, [has_bias](const std::vector<at::Tensor>& t) {
      return at::linear(t[0], t[1], has_bias ? c10::optional<at::Tensor>(t[2]) : c10::nullopt);
    });
  });
}

Napi::Value Relu(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&] {
    return async_op(info, "svae.ops.relu", {operand(info, 0, "x")},
                    [](const std::vector<at::Tensor>& t) { return at::relu(t[0]); });
  });
}

Napi::Value Softmax(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&] {
    Operand x = operand(info, 0, "x");
    int64_t dim = args::integer(info, 1, "dim", -64, 63);
    return async_op(info, "svae.ops.softmax", {x},
                    [dim](const std::vector<at::Tensor>& t) { return at::softmax(t[0], dim, at::kFloat); });
  });
}

Napi::Value Reshape(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&] {
    Operand x = operand(info, 0, "x");
    auto shape = args::shape(info, 1, "shape");
    return async_op(info, "svae.ops.reshape", {x}, [shape](const std::vector<at::Tensor>& t) { return t[0].reshape(shape); });
  });
}

// randn(shape, dtype, device, seed) with a private generator: reproducible for a given seed.
Napi::Value Randn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto shape = args::shape(info, 0, "shape");
    auto dtype = parse_dtype(args::string(info, 1, "dtype"));
    auto device = resolve_device(args::string(info, 2, "device"));
    auto seed = static_cast<uint64_t>(args::integer(info, 3, "seed", 0, 9007199254740991LL));
    if (!at::isFloatingType(dtype)) fail(ErrorCode::DType, "Expected a floating dtype for randn but received '" + dtype_name(dtype) + "'");
    return run_async(env, "svae.ops.randn", [shape, dtype, device, seed]() -> Finish {
      auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
      at::Tensor out = at::randn(shape, gen, at::TensorOptions().dtype(at::kFloat)).to(device, dtype);
      return [out](Napi::Env env) -> Napi::Value { return AddonTensor::Wrap(env, out); };
    });
  });
}

// focalLoss(logits [N, V], targets int64 [N], valid bool [N], gamma) -> Promise<{ loss, ce, tokens, correct }>
Napi::Value FocalLoss(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    Operand logits = operand(info, 0, "logits"), targets = operand(info, 1, "targets"), valid = operand(info, 2, "valid");
    const double gamma = args::number(info, 3, "gamma");
    if (logits.tensor.dim() != 2 || targets.tensor.dim() != 1 || valid.tensor.dim() != 1 || targets.tensor.size(0) != logits.tensor.size(0) ||
        valid.tensor.size(0) != logits.tensor.size(0)) {
      fail(ErrorCode::Shape, "Expected logits [N, V], targets [N] and valid [N]");
    }
    at::Tensor l = logits.tensor, t = targets.tensor, v = valid.tensor;
    KeepAlive keep = logits.keep;
    keep.insert(keep.end(), targets.keep.begin(), targets.keep.end());
    keep.insert(keep.end(), valid.keep.begin(), valid.keep.end());
    return run_async(env, "svae.ops.focalLoss", [l, t, v, gamma, keep]() -> Finish {
      torch::NoGradGuard no_grad;
      // A mean over no position is 0/0 = NaN: say so instead of returning it.
      if (!v.to(torch::kBool).any().item<bool>()) {
        fail(ErrorCode::InvalidArgument, "Expected at least one true element for valid but received " + std::to_string(v.size(0)) +
                                             " false ones: the loss of no position is undefined");
      }
      at::Tensor used = t.to(torch::kLong).masked_select(v.to(torch::kBool));
      const int64_t lo = used.min().item<int64_t>(), hi = used.max().item<int64_t>();
      if (lo < 0 || hi >= l.size(1)) {
        fail(ErrorCode::InvalidArgument, "Expected targets in [0, " + std::to_string(l.size(1)) + ") at valid positions but received " +
                                             std::to_string(lo < 0 ? lo : hi));
      }
      LossResult r = focal_loss(l, t.to(torch::kLong), v.to(torch::kBool), gamma);
      const double loss = r.loss.item<double>(), ce = r.ce.item<double>();
      const double tokens = static_cast<double>(r.tokens), correct = static_cast<double>(r.correct);
      return [loss, ce, tokens, correct](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("loss", loss);
        o.Set("ce", ce);
        o.Set("tokens", tokens);
        o.Set("correct", correct);
        return o;
      };
    }, {logits.object, targets.object, valid.object});
  });
}


// memoryBandwidth(megabytes, repeats) -> Promise<{ readGBs, copyGBs }>: the best of `repeats`
// of a sum over a buffer far larger than the caches (bytes read / s) and of a copy (bytes read +
// written / s), on the compute thread with the configured intra-op threads: what streaming
// weights through LibTorch can reach on this machine.
Napi::Value MemoryBandwidth(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const int64_t mb = args::integer(info, 0, "megabytes", 1, 1 << 16);
    const int64_t repeats = args::integer(info, 1, "repeats", 1, 1000);
    return run_async(env, "svae.ops.memoryBandwidth", [mb, repeats]() -> Finish {
      c10::InferenceMode inference;
      const int64_t n = mb * 1024 * 1024 / 4;
      at::Tensor x = torch::ones({n});
      at::Tensor y = torch::empty({n});
      double read = 1e30, copy = 1e30;
      for (int64_t r = 0; r < repeats; r++) {
        auto t0 = std::chrono::steady_clock::now();
        volatile float s = x.sum().item<float>();
        (void)s;
        auto t1 = std::chrono::steady_clock::now();
        y.copy_(x);
        auto t2 = std::chrono::steady_clock::now();
        read = std::min(read, std::chrono::duration<double>(t1 - t0).count());
        copy = std::min(copy, std::chrono::duration<double>(t2 - t1).count());
      }
      const double bytes = static_cast<double>(n) * 4;
      return [bytes, read, copy](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("readGBs", bytes / read / 1e9);
        o.Set("copyGBs", 2 * bytes / copy / 1e9);
        return o;
      };
    });
  });
}

// A JS array of integers (ids) as a vector; anything else is an InvalidArgument.
std::vector<int64_t> id_list(const Napi::Value& v, const std::string& name) {
  if (v.IsUndefined() || v.IsNull()) return {};
  if (!v.IsArray()) fail(ErrorCode::InvalidArgument, "Expected an array of token ids for " + name + " but received " + args::describe(v));
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> out;
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value x = a.Get(i);
    const double d = x.IsNumber() ? x.As<Napi::Number>().DoubleValue() : -1;
    if (d < 0 || d != static_cast<double>(static_cast<int64_t>(d))) fail(ErrorCode::InvalidArgument, "Expected an array of token ids for " + name + " but received " + args::describe(x));
    out.push_back(static_cast<int64_t>(d));
  }
  return out;
}

// applyControls(logits [B, V] float, histories { tokens, prompt?, unitStart?, sentences? }[],
// controls, eosId) -> Promise<NativeTensor [B, V]>: the generation controls exactly as the
// decoders apply them (tests compare them with hand-computed logits).
Napi::Value ApplyControls(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    Operand logits = operand(info, 0, "logits");
    if (logits.tensor.dim() != 2) fail(ErrorCode::Shape, "Expected logits [rows, vocab]");
    if (info.Length() < 2 || !info[1].IsArray()) fail(ErrorCode::InvalidArgument, "Expected an array of histories for histories but received " + args::describe(info.Length() < 2 ? env.Undefined() : info[1]));
    Napi::Array list = info[1].As<Napi::Array>();
    std::vector<TokenHistory> histories;
    for (uint32_t r = 0; r < list.Length(); r++) {
      Napi::Value v = list.Get(r);
      if (!v.IsObject()) fail(ErrorCode::InvalidArgument, "Expected an object for histories[" + std::to_string(r) + "] but received " + args::describe(v));
      Napi::Object o = v.As<Napi::Object>();
      TokenHistory h;
      h.tokens = id_list(o.Get("tokens"), "tokens");
      const int64_t n = static_cast<int64_t>(h.tokens.size());
      h.prompt = args::opt_integer(o, "prompt", 0, 0, n);
      h.unit_start = args::opt_integer(o, "unitStart", 0, 0, n);
      Napi::Value sentences = o.Get("sentences");
      if (sentences.IsArray()) {
        Napi::Array s = sentences.As<Napi::Array>();
        for (uint32_t i = 0; i < s.Length(); i++) h.sentences.push_back(id_list(s.Get(i), "sentences"));
      }
      histories.push_back(std::move(h));
    }
    if (static_cast<int64_t>(histories.size()) != logits.tensor.size(0)) fail(ErrorCode::Shape, "Expected one history per row of logits");
    GenerationControls controls = read_controls(args::object(info, 2, "controls"));
    const int64_t eos = args::integer(info, 3, "eosId", 0, 1LL << 31);
    return async_op(info, "svae.ops.applyControls", {logits}, [histories, controls, eos](const std::vector<at::Tensor>& t) {
      return apply_controls(t[0].to(torch::kFloat), controls, histories, eos).contiguous();
    });
  });
}

}  // namespace

void InitOps(Napi::Env env, Napi::Object exports) {
  Napi::Object ops = Napi::Object::New(env);
  ops.Set("matmul", Napi::Function::New<Matmul>(env, "matmul"));
  ops.Set("linear", Napi::Function::New<Linear>(env, "linear"));
  ops.Set("relu", Napi::Function::New<Relu>(env, "relu"));
  ops.Set("softmax", Napi::Function::New<Softmax>(env, "softmax"));
  ops.Set("reshape", Napi::Function::New<Reshape>(env, "reshape"));
  ops.Set("randn", Napi::Function::New<Randn>(env, "randn"));
  ops.Set("focalLoss", Napi::Function::New<FocalLoss>(env, "focalLoss"));
  ops.Set("applyControls", Napi::Function::New<ApplyControls>(env, "applyControls"));
  ops.Set("memoryBandwidth", Napi::Function::New<MemoryBandwidth>(env, "memoryBandwidth"));
  exports.Set("ops", ops);
}

}  // namespace svae
