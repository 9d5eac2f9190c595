#include "bindings/AddonSentenceVAE.h"

#include "bindings/AddonTensor.h"
#include "bindings/dtype.h"
#include "bindings/module_bridge.h"
#include "bindings/id_batch.h"
#include "bindings/addon_data.h"
#include "bindings/args.h"
#include "bindings/async_task.h"
#include "bindings/js_errors.h"
#include "core/runtime.h"
#include "model/dropout.h"
#include "model/load_parameters.h"

namespace svae {

namespace {

Napi::Object loss_object(Napi::Env env, const LossResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("loss", r.loss.item<double>());
  o.Set("ce", r.ce.item<double>());
  o.Set("tokens", static_cast<double>(r.tokens));
  o.Set("correct", static_cast<double>(r.correct));
  o.Set("rowsExact", static_cast<double>(r.rows_exact));
  return o;
}

at::Tensor to_int32_cpu(const at::Tensor& t) { return t.to(torch::kCPU, torch::kInt).contiguous(); }

}  // namespace

SvaeConfig read_svae_config(const Napi::Object& o) {
  SvaeConfig c;
  const int64_t big = 1LL << 31;
  c.vocab_size = args::opt_integer(o, "vocabSize", 0, 1, big);
  c.tokenizer_size = args::opt_integer(o, "tokenizerSize", c.vocab_size, 1, big);
  c.hidden = args::opt_integer(o, "hidden", 0, 2, 1 << 16);
  c.layers = args::opt_integer(o, "layers", 1, 1, 256);
  c.heads = args::opt_integer(o, "heads", 1, 1, 1024);
  c.ffn = args::opt_integer(o, "ffn", 2 * c.hidden, 1, 1 << 20);
  c.max_tokens = args::opt_integer(o, "maxTokens", 64, 2, 4096);
  c.dropout = args::opt_number(o, "dropout", 0.1, 0, 0.999);
  c.pre_norm = args::opt_string(o, "norm", "pre") == "pre";
  if (args::opt_string(o, "norm", "pre") != "pre" && args::opt_string(o, "norm", "pre") != "post") {
    fail(ErrorCode::InvalidArgument, "Expected norm 'pre' or 'post' but received '" + args::opt_string(o, "norm", "") + "'");
  }
  c.activation = args::opt_string(o, "activation", "relu");
  c.pad_id = args::opt_integer(o, "padId", 1, 0, big);
  c.bos_id = args::opt_integer(o, "bosId", 2, 0, big);
  c.eos_id = args::opt_integer(o, "eosId", 2, 0, big);
  c.validate();
  return c;
}

void AddonSentenceVAE::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "NativeSentenceVAE",
                                    {
                                        StaticMethod<&AddonSentenceVAE::Create>("create"),
                                        InstanceMethod<&AddonSentenceVAE::Encode>("encode"),
                                        InstanceMethod<&AddonSentenceVAE::Decode>("decode"),
                                        InstanceMethod<&AddonSentenceVAE::Logits>("logits"),
                                        InstanceMethod<&AddonSentenceVAE::Evaluate>("evaluate"),
                                        InstanceMethod<&AddonSentenceVAE::TrainStep>("trainStep"),
                                        InstanceMethod<&AddonSentenceVAE::ConfigureTraining>("configureTraining"),
                                        InstanceMethod<&AddonSentenceVAE::Accumulate>("accumulate"),
                                        InstanceMethod<&AddonSentenceVAE::ApplyStep>("applyStep"),
                                        InstanceMethod<&AddonSentenceVAE::ReduceGradients>("reduceGradients"),
                                        InstanceMethod<&AddonSentenceVAE::TrainingState>("trainingState"),
                                        InstanceMethod<&AddonSentenceVAE::LoadTrainingState>("loadTrainingState"),
                                        InstanceMethod<&AddonSentenceVAE::SwapEma>("swapEma"),
                                        InstanceMethod<&AddonSentenceVAE::NamedTensors>("namedTensors"),
                                        InstanceMethod<&AddonSentenceVAE::LoadTensors>("loadTensors"),
                                        InstanceAccessor<&AddonSentenceVAE::ParameterCount>("parameterCount"),
                                        InstanceMethod<&AddonSentenceVAE::Dispose>("dispose"),
                                    });
  addon_data(env).svae_constructor = Napi::Persistent(ctor);
  exports.Set("NativeSentenceVAE", ctor);
}

AddonSentenceVAE::AddonSentenceVAE(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonSentenceVAE>(info) {
  guard(info.Env(), [&] {
    if (info.Length() != 1 || !info[0].IsExternal()) {
      fail(ErrorCode::InvalidArgument, "NativeSentenceVAE cannot be constructed directly; use SentenceVAE.create()");
    }
    state_ = *info[0].As<Napi::External<std::shared_ptr<State>>>().Data();
  });
}

std::shared_ptr<AddonSentenceVAE::State> AddonSentenceVAE::Live() const {
  if (!state_) fail(ErrorCode::Disposed, "This SentenceVAE has been disposed");
  return state_;
}

// create(config, device, dtype, seed) -> Promise<NativeSentenceVAE>
Napi::Value AddonSentenceVAE::Create(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    SvaeConfig config = read_svae_config(args::object(info, 0, "config"));
    return trainable::create<State>(info, "svae.svae.create", &AddonData::svae_constructor, [config](State& s) { s.model = SentenceVAE(config); });
  });
}

// encode(ids, shape, lengths) -> Promise<NativeTensor Ω [B, H]>
Napi::Value AddonSentenceVAE::Encode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto state = Live();
    IdBatch batch = read_id_batch(info, 0);
    auto owners = batch.owners;
    owners.push_back(Value());
    return run_async(env, "svae.svae.encode", [state, batch]() -> Finish {
      std::lock_guard<std::mutex> lock(state->mutex);
      torch::NoGradGuard no_grad;
      state->model->eval();
      auto [ids, lengths] = device_id_batch(batch, state->device, state->model->config.vocab_size);
      torch::Tensor omega = state->model->encoder(ids, valid_from_lengths(lengths, ids.size(1)));
      return [omega](Napi::Env env) -> Napi::Value { return AddonTensor::Wrap(env, omega); };
    }, owners);
  });
}

// decode(omega, options) -> Promise<{ tokens: Int32Array [B*T], steps, lengths, ended, logits? }>
Napi::Value AddonSentenceVAE::Decode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto state = Live();
    AddonTensor* omega_wrap = AddonTensor::From(info[0], "vectors");
    Napi::Object o = args::object(info, 1, "options");
    DecodeOptions d;
    d.max_new_tokens = args::opt_integer(o, "maxTokens", state->model->config.max_tokens, 1, state->model->config.max_tokens);
    d.greedy = args::opt_boolean(o, "greedy", true);
    d.temperature = args::opt_number(o, "temperature", 1.0, 1e-6, 1e6);
    d.top_k = args::opt_integer(o, "topK", 0, 0, 1 << 30);
    d.top_p = args::opt_number(o, "topP", 1.0, 0, 1);
    d.seed = static_cast<uint64_t>(args::opt_integer(o, "seed", 0, 0, 9007199254740991LL));
    d.return_logits = args::opt_boolean(o, "returnLogits", false);
    at::Tensor omega = omega_wrap->tensor();
    const int64_t hidden = state->model->config.hidden;
    if (omega.dim() != 2 || omega.size(1) != hidden) {
      fail(ErrorCode::Shape, "Expected sentence vectors of shape [n, " + std::to_string(hidden) + "]");
    }
    return run_async(env, "svae.svae.decode", [state, omega, d]() -> Finish {
      std::lock_guard<std::mutex> lock(state->mutex);
      torch::NoGradGuard no_grad;
      state->model->eval();
      DecodeResult r = state->model->decoder->generate(omega.to(state->device, state->dtype), d);
      at::Tensor tokens = to_int32_cpu(r.tokens), lengths = to_int32_cpu(r.lengths), ended = r.ended.to(torch::kCPU, torch::kByte).contiguous();
      at::Tensor logits = r.logits;
      const int64_t steps = r.tokens.size(1);
      return [tokens, lengths, ended, logits, steps](Napi::Env env) -> Napi::Value {
        Napi::Object out = Napi::Object::New(env);
        out.Set("tokens", typed_array_over(env, tokens));
        out.Set("steps", static_cast<double>(steps));
        out.Set("lengths", typed_array_over(env, lengths));
        out.Set("ended", typed_array_over(env, ended));
        if (logits.defined()) out.Set("logits", AddonTensor::Wrap(env, logits));
        return out;
      };
    }, {Value(), info[0].As<Napi::Object>()});
  });
}

// logits(ids, shape, lengths, omega, shortcut) -> Promise<NativeTensor [B, L, V]> (teacher forcing)
Napi::Value AddonSentenceVAE::Logits(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto state = Live();
    IdBatch batch = read_id_batch(info, 0);
    at::Tensor omega = AddonTensor::From(info[3], "vectors")->tensor();
    // One vector per sentence: [1, H] would otherwise broadcast over every row.
    if (omega.dim() != 2 || omega.size(0) != batch.ids.size(0) || omega.size(1) != state->model->config.hidden) {
      fail(ErrorCode::Shape, "Expected vectors of shape [" + std::to_string(batch.ids.size(0)) + ", " + std::to_string(state->model->config.hidden) + "] (one per sentence) but received " +
                                 c10::str(omega.sizes()));
    }
    const bool shortcut = args::boolean(info, 4, "shortcut");
    auto owners = batch.owners;
    owners.push_back(Value());
    owners.push_back(info[3].As<Napi::Object>());
    return run_async(env, "svae.svae.logits", [state, batch, omega, shortcut]() -> Finish {
      std::lock_guard<std::mutex> lock(state->mutex);
      torch::NoGradGuard no_grad;
      state->model->eval();
      auto [ids, lengths] = device_id_batch(batch, state->device, state->model->config.vocab_size);
      torch::Tensor logits = state->model->decoder(ids, valid_from_lengths(lengths, ids.size(1)), omega.to(state->device, state->dtype), shortcut);
      return [logits](Napi::Env env) -> Napi::Value { return AddonTensor::Wrap(env, logits.to(torch::kFloat)); };
    }, owners);
  });
}

// evaluate(ids, shape, lengths, gamma) -> Promise<{ loss, ce, tokens, correct, rowsExact }>
Napi::Value AddonSentenceVAE::Evaluate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto state = Live();
    IdBatch batch = read_id_batch(info, 0);
    const double gamma = args::number(info, 3, "gamma");
    auto owners = batch.owners;
    owners.push_back(Value());
    return run_async(env, "svae.svae.evaluate", [state, batch, gamma]() -> Finish {
      std::lock_guard<std::mutex> lock(state->mutex);
      torch::NoGradGuard no_grad;
      state->model->eval();
      auto [ids, lengths] = device_id_batch(batch, state->device, state->model->config.vocab_size);
      LossResult r = state->model->loss(ids, lengths, gamma);
      return [r](Napi::Env env) -> Napi::Value { return loss_object(env, r); };
    }, owners);
  });
}

namespace {

// Forward + backward of one micro-batch (the caller holds the model's mutex).
LossResult accumulate_locked(AddonSentenceVAE::State& state, const IdBatch& batch, double gamma, double scale) {
  return trainable::accumulate_locked(state, scale, [&] {
    auto [ids, lengths] = device_id_batch(batch, state.device, state.model->config.vocab_size);
    return state.model->loss(ids, lengths, gamma);
  });
}

}  // namespace

// configureTraining({ beta1, beta2, eps, weightDecay, emaDecay, amp, lossScale }, seed | null) -> Promise<void>
// Fresh optimizer state (and EMA from the current weights); reseeds the model's generator when given.
Napi::Value AddonSentenceVAE::ConfigureTraining(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::configure(info, Value(), Live()); });
}

// accumulate(ids, shape, lengths, { gamma, scale }) -> Promise<{ loss, ce, tokens, correct, rowsExact }>
Napi::Value AddonSentenceVAE::Accumulate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto state = Live();
    IdBatch batch = read_id_batch(info, 0);
    Napi::Object o = args::object(info, 3, "options");
    const double gamma = args::opt_number(o, "gamma", 2.0, 0, 100);
    Napi::Value scale_value = o.Get("scale");
    const double scale = scale_value.IsNumber() ? scale_value.As<Napi::Number>().DoubleValue() : 1.0;  // NaN allowed: poisons the step
    auto owners = batch.owners;
    owners.push_back(Value());
    return run_async(env, "svae.svae.accumulate", [state, batch, gamma, scale]() -> Finish {
      std::lock_guard<std::mutex> lock(state->mutex);
      LossResult r = accumulate_locked(*state, batch, gamma, scale);
      return [r](Napi::Env env) -> Napi::Value { return loss_object(env, r); };
    }, owners);
  });
}

// applyStep({ lr, clip }) -> Promise<{ gradNorm, skipped, lossScale, adamStep }>
Napi::Value AddonSentenceVAE::ApplyStep(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::apply_step(info, Value(), Live()); });
}

// trainStep(ids, shape, lengths, { gamma, lr, clip, ...training options })
//   -> Promise<{ loss, ce, tokens, correct, rowsExact, gradNorm, skipped }>
// One micro-batch and one update (configures training with the options on first use).
Napi::Value AddonSentenceVAE::TrainStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto state = Live();
    IdBatch batch = read_id_batch(info, 0);
    Napi::Object o = args::object(info, 3, "options");
    const double gamma = args::opt_number(o, "gamma", 2.0, 0, 100);
    const double lr = args::opt_number(o, "lr", 1e-4, 0, 10);
    const double clip = args::opt_number(o, "clip", 1.0, 0, 1e12);
    TrainingOptions options = trainable::read_options(o);
    auto owners = batch.owners;
    owners.push_back(Value());
    return run_async(env, "svae.svae.trainStep", [state, batch, gamma, lr, clip, options]() -> Finish {
      std::lock_guard<std::mutex> lock(state->mutex);
      if (!state->training) state->training = std::make_unique<Training>(*state->model, options, state->device, state->rng);
      LossResult r = accumulate_locked(*state, batch, gamma, 1.0);
      StepOutcome out = state->training->apply(lr, clip);
      return [r, out](Napi::Env env) -> Napi::Value {
        Napi::Object o = loss_object(env, r);
        o.Set("gradNorm", out.grad_norm);
        o.Set("skipped", out.skipped);
        return o;
      };
    }, owners);
  });
}

// trainingState() -> Promise<{ tensors: { name: NativeTensor }, adamStep, lossScale }>
Napi::Value AddonSentenceVAE::TrainingState(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::state(info, Value(), Live()); });
}

// loadTrainingState({ name: NativeTensor }, adamStep, lossScale) -> Promise<void>
Napi::Value AddonSentenceVAE::LoadTrainingState(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::load_state(info, Value(), Live()); });
}

// swapEma() -> Promise<void>: exchanges the live weights and the EMA weights.
Napi::Value AddonSentenceVAE::SwapEma(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::swap_ema(info, Value(), Live()); });
}

// namedTensors() -> { name: NativeTensor } sharing the parameters' memory (detached).
Napi::Value AddonSentenceVAE::NamedTensors(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::named_tensors(info, Live()); });
}

// loadTensors({ name: NativeTensor }) -> Promise<void>: every parameter present with its shape,
// nothing unexpected; values converted to the model's device and dtype.
Napi::Value AddonSentenceVAE::LoadTensors(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::load_tensors(info, Value(), Live()); });
}

Napi::Value AddonSentenceVAE::ParameterCount(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::parameter_count(info, Live()); });
}

AddonSentenceVAE::~AddonSentenceVAE() { release_on_compute_thread(std::move(state_)); }

Napi::Value AddonSentenceVAE::Dispose(const Napi::CallbackInfo& info) {
  // Calls in flight keep their own reference until they finish; the last one goes on the compute thread.
  release_on_compute_thread(std::move(state_));
  return info.Env().Undefined();
}

// reduceGradients(group, values, { bucketBytes? }): data-parallel gradient averaging (trainable_bindings.h).
Napi::Value AddonSentenceVAE::ReduceGradients(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::reduce_gradients(info, Value(), Live()); });
}

}  // namespace svae
