#include "bindings/trainable_bindings.h"

#include "bindings/AddonDistributed.h"
#include "bindings/AddonTensor.h"
#include "bindings/module_bridge.h"
#include "bindings/args.h"
#include "bindings/async_task.h"
#include "kernels/quantize.h"
#include "model/load_parameters.h"

namespace svae::trainable {

TrainingOptions read_options(const Napi::Object& o) {
  TrainingOptions t;
  t.beta1 = args::opt_number(o, "beta1", 0.9, 0, 0.999999);
  t.beta2 = args::opt_number(o, "beta2", 0.999, 0, 0.999999);
  t.eps = args::opt_number(o, "eps", 1e-8, 0, 1);
  t.weight_decay = args::opt_number(o, "weightDecay", 0.01, 0, 10);
  t.ema_decay = args::opt_number(o, "emaDecay", 0, 0, 0.999999999);
  t.amp = args::opt_string(o, "amp", "off");
  t.initial_loss_scale = args::opt_number(o, "lossScale", 65536, 1, 1e12);
  t.loss_reduction = args::opt_string(o, "lossReduction", "token");
  return t;
}

// configureTraining({ beta1, beta2, eps, weightDecay, emaDecay, amp, lossScale, lossReduction }, seed | null) -> Promise<void>
// Fresh optimizer state (and EMA from the current weights); reseeds the model's generator when given.
Napi::Value configure(const Napi::CallbackInfo& info, Napi::Object self, std::shared_ptr<TrainableState> state) {
  TrainingOptions options = read_options(args::object(info, 0, "options"));
  const bool seeded = info.Length() > 1 && info[1].IsNumber();
  const auto seed = seeded ? static_cast<uint64_t>(args::integer(info, 1, "seed", 0, 9007199254740991LL)) : 0;
  return run_async(info.Env(), "svae.configureTraining", [state, options, seeded, seed]() -> Finish {
    std::lock_guard<std::mutex> lock(state->mutex);
    if (kernels::is_quantized(state->module())) {
      fail(ErrorCode::DType, "dtype 'int8' is for inference only: train in float32 or bfloat16 and quantize afterwards");
    }
    if (seeded) state->rng.set_current_seed(seed);
    state->training = std::make_unique<Training>(state->module(), options, state->device, state->rng);
    return nullptr;
  }, {self});
}

// applyStep({ lr, clip }) -> Promise<{ gradNorm, skipped, lossScale, adamStep }>
Napi::Value apply_step(const Napi::CallbackInfo& info, Napi::Object self, std::shared_ptr<TrainableState> state) {
  Napi::Object o = args::object(info, 0, "options");
  const double lr = args::opt_number(o, "lr", 1e-4, 0, 10);
  const double clip = args::opt_number(o, "clip", 1.0, 0, 1e12);
  return run_async(info.Env(), "svae.applyStep", [state, lr, clip]() -> Finish {
    std::lock_guard<std::mutex> lock(state->mutex);
    if (!state->training) fail(ErrorCode::InvalidArgument, "call configureTraining() before training steps");
    StepOutcome out = state->training->apply(lr, clip);
    const double scale = state->training->loss_scale();
    const double step = static_cast<double>(state->training->adam_step());
    return [out, scale, step](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      o.Set("gradNorm", out.grad_norm);
      o.Set("skipped", out.skipped);
      o.Set("lossScale", scale);
      o.Set("adamStep", step);
      return o;
    };
  }, {self});
}

// trainingState() -> Promise<{ tensors: { name: NativeTensor }, adamStep, lossScale }>
Napi::Value state(const Napi::CallbackInfo& info, Napi::Object self, std::shared_ptr<TrainableState> state) {
  return run_async(info.Env(), "svae.trainingState", [state]() -> Finish {
    std::lock_guard<std::mutex> lock(state->mutex);
    if (!state->training) fail(ErrorCode::InvalidArgument, "call configureTraining() first");
    std::map<std::string, torch::Tensor> tensors;
    for (const auto& [name, t] : state->training->state_tensors()) tensors[name] = t.detach().clone();
    const double step = static_cast<double>(state->training->adam_step());
    const double scale = state->training->loss_scale();
    return [tensors, step, scale](Napi::Env env) -> Napi::Value {
      Napi::Object out = Napi::Object::New(env);
      Napi::Object ts = Napi::Object::New(env);
      for (const auto& [name, t] : tensors) ts.Set(name, AddonTensor::Wrap(env, t));
      out.Set("tensors", ts);
      out.Set("adamStep", step);
      out.Set("lossScale", scale);
      return out;
    };
  }, {self});
}

// loadTrainingState({ name: NativeTensor }, adamStep, lossScale) -> Promise<void>
Napi::Value load_state(const Napi::CallbackInfo& info, Napi::Object self, std::shared_ptr<TrainableState> state) {
  Napi::Object given = args::object(info, 0, "tensors");
  const int64_t step = args::integer(info, 1, "adamStep", 0, 9007199254740991LL);
  const double scale = args::number(info, 2, "lossScale");
  std::map<std::string, torch::Tensor> tensors = read_named_tensors(given);
  return run_async(info.Env(), "svae.loadTrainingState", [state, tensors, step, scale]() -> Finish {
    std::lock_guard<std::mutex> lock(state->mutex);
    if (!state->training) fail(ErrorCode::InvalidArgument, "call configureTraining() first");
    state->training->load_state_tensors(tensors, step, scale);
    return nullptr;
  }, {self, given});
}

// swapEma() -> Promise<void>: exchanges the live weights and the EMA weights.
Napi::Value swap_ema(const Napi::CallbackInfo& info, Napi::Object self, std::shared_ptr<TrainableState> state) {
  return run_async(info.Env(), "svae.swapEma", [state]() -> Finish {
    std::lock_guard<std::mutex> lock(state->mutex);
    if (!state->training) fail(ErrorCode::InvalidArgument, "call configureTraining() first");
    state->training->swap_ema();
    return nullptr;
  }, {self});
}

// namedTensors() -> { name: NativeTensor } sharing the parameters' memory (detached).
Napi::Value named_tensors(const Napi::CallbackInfo& info, std::shared_ptr<TrainableState> state) {
  std::lock_guard<std::mutex> lock(state->mutex);
  return named_parameters_object(info.Env(), state->module());
}

// loadTensors({ name: NativeTensor }, { partial }?) -> Promise<void>: every parameter present
// with its shape (unless partial), nothing unexpected; converted to the model's device and dtype.
Napi::Value load_tensors(const Napi::CallbackInfo& info, Napi::Object self, std::shared_ptr<TrainableState> state) {
  Napi::Object given = args::object(info, 0, "tensors");
  const bool partial = info.Length() > 1 && info[1].IsObject() && args::opt_boolean(info[1].As<Napi::Object>(), "partial", false);
  std::map<std::string, torch::Tensor> values = read_named_tensors(given);
  return run_async(info.Env(), "svae.loadTensors", [state, values, partial]() -> Finish {
    std::lock_guard<std::mutex> lock(state->mutex);
    load_parameters(state->module(), values, state->device, state->dtype, partial);
    state->training.reset();  // optimizer moments and EMA belong to the old weights
    return nullptr;
  }, {self, given});
}

Napi::Value set_trainable(const Napi::CallbackInfo& info, std::shared_ptr<TrainableState> state) {
  if (info.Length() < 1 || !info[0].IsArray()) fail(ErrorCode::InvalidArgument, "Expected an array of name prefixes for prefixes but received " + args::describe(info[0]));
  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<std::string> prefixes;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value v = list.Get(i);
    if (!v.IsString()) fail(ErrorCode::InvalidArgument, "Expected strings in prefixes but received " + args::describe(v));
    prefixes.push_back(v.As<Napi::String>().Utf8Value());
  }
  const bool trainable = args::boolean(info, 1, "trainable");
  std::lock_guard<std::mutex> lock(state->mutex);
  state->training.reset();  // the optimizer tracks the trainable set it was configured with
  int64_t matched = 0;
  for (auto& item : state->module().named_parameters()) {
    for (const auto& p : prefixes) {
      if (item.key().rfind(p, 0) == 0) {
        item.value().set_requires_grad(trainable);
        matched++;
        break;
      }
    }
  }
  return Napi::Number::New(info.Env(), static_cast<double>(matched));
}

Napi::Value reduce_gradients(const Napi::CallbackInfo& info, Napi::Object self, std::shared_ptr<TrainableState> state) {
  Napi::Env env = info.Env();
  auto group = AddonDistributed::From(env, info.Length() > 0 ? info[0] : env.Undefined(), "group");
  if (info.Length() < 2 || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    fail(ErrorCode::InvalidArgument, "Expected a Float64Array for values but received " + args::describe(info.Length() > 1 ? info[1] : env.Undefined()));
  }
  Napi::Float64Array given = info[1].As<Napi::Float64Array>();
  std::vector<double> values(given.Data(), given.Data() + given.ElementLength());
  const int64_t bucket = info.Length() > 2 && info[2].IsObject()
                             ? args::opt_integer(info[2].As<Napi::Object>(), "bucketBytes", 25 << 20, 1 << 10, 1LL << 34)
                             : 25 << 20;
  Napi::Object group_object = info[0].As<Napi::Object>();
  return run_async(env, "svae.reduceGradients", [state, group, values, bucket]() -> Finish {
    std::lock_guard<std::mutex> lock(state->mutex);
    if (!state->training) fail(ErrorCode::InvalidArgument, "call configureTraining() before reduceGradients()");
    const auto started = std::chrono::steady_clock::now();
    std::vector<torch::Tensor> grads = state->training->gradients_for_reduction();
    group->all_reduce(grads, true, bucket);
    // The statistics and the bad-step vote: one more small collective (float64, exact counts).
    torch::Tensor extra = torch::empty({static_cast<int64_t>(values.size()) + 1}, torch::kDouble);
    for (size_t i = 0; i < values.size(); i++) extra[i] = values[i];
    extra[static_cast<int64_t>(values.size())] = state->training->bad_step() ? 1.0 : 0.0;
    std::vector<torch::Tensor> one{extra};
    group->all_reduce(one, false);
    auto sums = std::make_shared<std::vector<double>>(values.size());
    const double* reduced = extra.data_ptr<double>();
    for (size_t i = 0; i < values.size(); i++) (*sums)[i] = reduced[i];
    if (reduced[values.size()] > 0) state->training->mark_bad_step();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return [sums, seconds](Napi::Env env) -> Napi::Value {
      Napi::Object out = Napi::Object::New(env);
      Napi::Float64Array v = Napi::Float64Array::New(env, sums->size());
      for (size_t i = 0; i < sums->size(); i++) v[i] = (*sums)[i];
      out.Set("values", v);
      out.Set("seconds", seconds);
      return out;
    };
  }, {self, group_object});
}

Napi::Value parameter_count(const Napi::CallbackInfo& info, std::shared_ptr<TrainableState> state) {
  return Napi::Number::New(info.Env(), svae::parameter_count(state->module()));
}

}  // namespace svae::trainable
