#include "bindings/AddonSLLM.h"

#include "bindings/controls.h"

#include "bindings/AddonOPT.h"
#include "bindings/AddonSentenceVAE.h"
#include "bindings/AddonTensor.h"
#include "bindings/id_batch.h"
#include "bindings/tensor_bridge.h"
#include "bindings/addon_data.h"
#include "bindings/args.h"
#include "bindings/async_task.h"
#include "bindings/js_errors.h"
#include "bindings/kernel_bindings.h"
#include "core/runtime.h"

#include <chrono>

namespace svae {

namespace {

// Paragraph batches (ids [B, S, L], lengths [B, S], 0 = no sentence) on the model's device;
// sentences longer than the SentenceVAE's positions are an error here, not an index failure.
std::pair<torch::Tensor, torch::Tensor> device_paragraphs(const IdBatch& b, const SllmState& s) {
  const int64_t length = b.ids.size(2), max_tokens = s.model->config.svae.max_tokens;
  if (length > max_tokens) fail(ErrorCode::InvalidArgument, "sentences of " + std::to_string(length) + " tokens exceed maxTokens " + std::to_string(max_tokens));
  return device_id_batch(b, s.device, s.model->config.svae.vocab_size, 0);
}

Napi::Object loss_object(Napi::Env env, const SllmLoss& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("loss", r.loss.item<double>());
  o.Set("ce", r.decode.tokens ? r.decode.ce.item<double>() : 0.0);
  o.Set("tokens", static_cast<double>(r.decode.tokens));
  o.Set("correct", static_cast<double>(r.decode.correct));
  o.Set("stopLoss", r.stop.loss.item<double>());
  o.Set("stopCount", static_cast<double>(r.stop.tokens));
  o.Set("stopCorrect", static_cast<double>(r.stop.correct));
  o.Set("contentNll", r.content_nll);
  o.Set("contentTokens", static_cast<double>(r.content_tokens));
  o.Set("eosNll", r.eos_nll);
  o.Set("stopNll", r.stop_nll);
  o.Set("targetSentences", static_cast<double>(r.target_sentences));
  Napi::Object confusion = Napi::Object::New(env);
  confusion.Set("tp", static_cast<double>(r.stop_tp));
  confusion.Set("fp", static_cast<double>(r.stop_fp));
  confusion.Set("fn", static_cast<double>(r.stop_fn));
  confusion.Set("tn", static_cast<double>(r.stop_tn));
  o.Set("stopConfusion", confusion);
  return o;
}

SllmConfig read_sllm_config(const Napi::Object& o) {
  Napi::Value svae = o.Get("svae"), llm = o.Get("llm");
  if (!svae.IsObject() || !llm.IsObject()) fail(ErrorCode::InvalidArgument, "Expected config { svae, llm } objects");
  SllmConfig c;
  c.svae = read_svae_config(svae.As<Napi::Object>());
  c.llm = read_opt_config(llm.As<Napi::Object>());
  c.llm.token_embedding = false;
  c.validate();
  return c;
}

}  // namespace

void AddonSLLM::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "NativeSLLM",
                                    {
                                        StaticMethod<&AddonSLLM::Create>("create"),
                                        InstanceMethod<&AddonSLLM::Encode>("encode"),
                                        InstanceMethod<&AddonSLLM::Hidden>("hidden"),
                                        InstanceMethod<&AddonSLLM::Logits>("logits"),
                                        InstanceMethod<&AddonSLLM::Evaluate>("evaluate"),
                                        InstanceMethod<&AddonSLLM::Accumulate>("accumulate"),
                                        InstanceMethod<&AddonSLLM::Generate>("generate"),
                                        InstanceMethod<&AddonSLLM::OpenSlots>("openSlots"),
                                        InstanceMethod<&AddonSLLM::ConfigureTraining>("configureTraining"),
                                        InstanceMethod<&AddonSLLM::ApplyStep>("applyStep"),
                                        InstanceMethod<&AddonSLLM::ReduceGradients>("reduceGradients"),
                                        InstanceMethod<&AddonSLLM::TrainingState>("trainingState"),
                                        InstanceMethod<&AddonSLLM::LoadTrainingState>("loadTrainingState"),
                                        InstanceMethod<&AddonSLLM::SwapEma>("swapEma"),
                                        InstanceMethod<&AddonSLLM::NamedTensors>("namedTensors"),
                                        InstanceMethod<&AddonSLLM::Quantize>("quantize"),
                                        InstanceMethod<&AddonSLLM::LoadTensors>("loadTensors"),
                                        InstanceMethod<&AddonSLLM::SetTrainable>("setTrainable"),
                                        InstanceAccessor<&AddonSLLM::ParameterCount>("parameterCount"),
                                        InstanceMethod<&AddonSLLM::Dispose>("dispose"),
                                    });
  addon_data(env).sllm_constructor = Napi::Persistent(ctor);
  exports.Set("NativeSLLM", ctor);
}

AddonSLLM::AddonSLLM(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonSLLM>(info) {
  guard(info.Env(), [&] {
    if (info.Length() != 1 || !info[0].IsExternal()) fail(ErrorCode::InvalidArgument, "NativeSLLM cannot be constructed directly; use SLLM.create() / SLLM.fromOpt()");
    state_ = *info[0].As<Napi::External<std::shared_ptr<SllmState>>>().Data();
  });
}

std::shared_ptr<SllmState> AddonSLLM::Live() const {
  if (!state_) fail(ErrorCode::Disposed, "This SLLM has been disposed");
  return state_;
}

// create({ svae, llm }, device, dtype, seed) -> Promise<NativeSLLM>
Napi::Value AddonSLLM::Create(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    SllmConfig config = read_sllm_config(args::object(info, 0, "config"));
    return trainable::create<SllmState>(info, "svae.sllm.create", &AddonData::sllm_constructor, [config](SllmState& s) { s.model = Sllm(config); });
  });
}

// encode(ids, shape [N, L], lengths [N]) -> Promise<NativeTensor Ω [N, H]>
Napi::Value AddonSLLM::Encode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto state = Live();
    IdBatch batch = read_id_batch(info, 0);
    auto owners = batch.owners;
    owners.push_back(Value());
    return run_async(env, "svae.sllm.encode", [state, batch]() -> Finish {
      std::lock_guard<std::mutex> lock(state->mutex);
      torch::NoGradGuard no_grad;
      ModeScope eval(*state->model, false);
      auto [ids, lengths] = device_id_batch(batch, state->device, state->model->config.svae.vocab_size);
      torch::Tensor omega = state->model->encoder(ids, valid_from_lengths(lengths, ids.size(1)));
      return [omega](Napi::Env env) -> Napi::Value { return AddonTensor::Wrap(env, omega); };
    }, owners);
  });
}

// hidden(ids, shape [B, S, L], lengths [B*S]) -> Promise<NativeTensor h [B, S, H]> (full forward)
Napi::Value AddonSLLM::Hidden(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto state = Live();
    IdBatch b = read_id_batch(info, 0, 3);
    auto owners = b.owners;
    owners.push_back(Value());
    return run_async(env, "svae.sllm.hidden", [state, b]() -> Finish {
      std::lock_guard<std::mutex> lock(state->mutex);
      torch::NoGradGuard no_grad;
      ModeScope eval(*state->model, false);
      auto [ids, lengths] = device_paragraphs(b, *state);
      torch::Tensor h = state->model->hidden(state->model->sentence_vectors(ids, lengths), (lengths > 0).to(torch::kLong), nullptr);
      return [h](Napi::Env env) -> Napi::Value { return AddonTensor::Wrap(env, h); };
    }, owners);
  });
}

// logits(ids, shape [N, L], lengths [N], memory [N, H]) -> Promise<NativeTensor [N, L, V]>:
// the sentence decoder teacher-forced on sentences given their memory vectors.
Napi::Value AddonSLLM::Logits(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto state = Live();
    IdBatch batch = read_id_batch(info, 0);
    at::Tensor memory = AddonTensor::From(info[3], "memory")->tensor();
    // One vector per sentence: [1, H] would otherwise broadcast over every row.
    if (memory.dim() != 2 || memory.size(0) != batch.ids.size(0) || memory.size(1) != state->model->config.svae.hidden) {
      fail(ErrorCode::Shape, "Expected memory of shape [" + std::to_string(batch.ids.size(0)) + ", " + std::to_string(state->model->config.svae.hidden) + "] (one per sentence) but received " +
                                 c10::str(memory.sizes()));
    }
    auto owners = batch.owners;
    owners.push_back(Value());
    owners.push_back(info[3].As<Napi::Object>());
    return run_async(env, "svae.sllm.logits", [state, batch, memory]() -> Finish {
      std::lock_guard<std::mutex> lock(state->mutex);
      torch::NoGradGuard no_grad;
      ModeScope eval(*state->model, false);
      auto [ids, lengths] = device_id_batch(batch, state->device, state->model->config.svae.vocab_size);
      torch::Tensor logits = state->model->decoder(ids, valid_from_lengths(lengths, ids.size(1)), memory.to(state->device, state->dtype));
      return [logits](Napi::Env env) -> Napi::Value { return AddonTensor::Wrap(env, logits.to(torch::kFloat)); };
    }, owners);
  });
}

// evaluate(ids, shape, lengths, gamma) -> Promise<{ loss, ce, tokens, correct, stop*, contentNll, ... }>
Napi::Value AddonSLLM::Evaluate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto state = Live();
    IdBatch b = read_id_batch(info, 0, 3);
    const double gamma = args::number(info, 3, "gamma");
    auto owners = b.owners;
    owners.push_back(Value());
    return run_async(env, "svae.sllm.evaluate", [state, b, gamma]() -> Finish {
      std::lock_guard<std::mutex> lock(state->mutex);
      torch::NoGradGuard no_grad;
      state->model->eval();
      auto [ids, lengths] = device_paragraphs(b, *state);
      SllmLoss r = state->model->loss(ids, lengths, gamma, true);
      return [r](Napi::Env env) -> Napi::Value { return loss_object(env, r); };
    }, owners);
  });
}

// accumulate(ids, shape, lengths, { gamma, scale, stopWeight, stopBalanced }) -> Promise<{ loss, ce, tokens, correct, stop... }>
Napi::Value AddonSLLM::Accumulate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto state = Live();
    IdBatch b = read_id_batch(info, 0, 3);
    Napi::Object o = args::object(info, 3, "options");
    const double gamma = args::opt_number(o, "gamma", 2.0, 0, 100);
    StopLossOptions stop;
    stop.weight = args::opt_number(o, "stopWeight", 1.0, 0, 1e6);
    stop.balanced = args::opt_boolean(o, "stopBalanced", false);
    Napi::Value scale_value = o.Get("scale");
    const double scale = scale_value.IsNumber() ? scale_value.As<Napi::Number>().DoubleValue() : 1.0;
    auto owners = b.owners;
    owners.push_back(Value());
    return run_async(env, "svae.sllm.accumulate", [state, b, gamma, scale, stop]() -> Finish {
      std::lock_guard<std::mutex> lock(state->mutex);
      SllmLoss r = trainable::accumulate_locked(*state, scale, [&] {
        auto [ids, lengths] = device_paragraphs(b, *state);
        return state->model->loss(ids, lengths, gamma, false, stop);
      });
      return [r](Napi::Env env) -> Napi::Value { return loss_object(env, r); };
    }, owners);
  });
}

// generate(ids, shape [N, L], lengths [N], rows Int32Array [B*S], rowsShape [B, S], options) -> NativeSLLMSession
// rows: index of the prompt piece in each slot, -1 = none; left-padded (the last column is real).
Napi::Value AddonSLLM::Generate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto state = Live();
    IdBatch batch = read_id_batch(info, 0);
    auto rows_shape = args::shape(info, 4, "rowsShape");
    if (rows_shape.size() != 2 || rows_shape[0] < 1 || rows_shape[1] < 1) fail(ErrorCode::Shape, "Expected rowsShape [prompts, sentences] with both >= 1");
    BorrowedTensor rows = borrow_typed_array(info[3], rows_shape, at::kInt);
    Napi::Object o = args::object(info, 5, "options");
    const SllmConfig& c = state->model->config;
    auto gen = std::make_shared<SllmGeneration>();
    gen->state = state;
    gen->max_sentences = args::opt_integer(o, "maxSentences", 16, 1, 1 << 20);
    gen->decode.max_new_tokens = args::opt_integer(o, "maxTokens", c.svae.max_tokens - 1, 1, c.svae.max_tokens - 1);
    gen->decode.greedy = args::opt_boolean(o, "greedy", true);
    gen->decode.temperature = args::opt_number(o, "temperature", 1.0, 1e-6, 1e6);
    gen->decode.top_k = args::opt_integer(o, "topK", 0, 0, 1 << 30);
    gen->decode.top_p = args::opt_number(o, "topP", 1.0, 0, 1);
    gen->decode.seed = static_cast<uint64_t>(args::opt_integer(o, "seed", 0, 0, 9007199254740991LL));
    gen->decode.controls = read_controls(o);
    gen->ignore_stop = args::opt_boolean(o, "ignoreStop", false);
    gen->return_hidden = args::opt_boolean(o, "returnHidden", false);
    Napi::Value forced = o.Get("sentenceTokens");
    if (!forced.IsUndefined() && !forced.IsNull()) {
      if (!forced.IsArray()) fail(ErrorCode::InvalidArgument, "Expected an array of sentence lengths for sentenceTokens but received " + args::describe(forced));
      Napi::Array list = forced.As<Napi::Array>();
      for (uint32_t i = 0; i < list.Length(); i++) {
        Napi::Value v = list.Get(i);
        const double n = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
        if (n < 1 || n > c.svae.max_tokens - 1 || n != static_cast<int64_t>(n)) {
          fail(ErrorCode::InvalidArgument, "Expected sentenceTokens of integers in [1, " + std::to_string(c.svae.max_tokens - 1) + "] but received " + args::describe(v));
        }
        gen->forced_lengths.push_back(static_cast<int64_t>(n));
      }
    }
    // prefixIds [B, P] + prefixLengths [B]: tokens forced at the start of each row's first sentence.
    Napi::Value prefix = o.Get("prefixIds");
    if (!prefix.IsUndefined() && !prefix.IsNull()) {
      const int64_t width = args::opt_integer(o, "prefixWidth", 0, 0, gen->decode.max_new_tokens - 1);
      gen->decode.prefix = borrow_typed_array(prefix, {rows_shape[0], width}, at::kInt).tensor.to(torch::kLong).clone();
      gen->decode.prefix_lengths = borrow_typed_array(o.Get("prefixLengths"), {rows_shape[0]}, at::kInt).tensor.to(torch::kLong).clone();
      const int64_t lo = width ? gen->decode.prefix.min().item<int64_t>() : 0, hi = width ? gen->decode.prefix.max().item<int64_t>() : 0;
      if (lo < 0 || hi >= c.svae.vocab_size) fail(ErrorCode::InvalidArgument, "Expected prefixIds in [0, " + std::to_string(c.svae.vocab_size) + ")");
      if (gen->decode.prefix_lengths.min().item<int64_t>() < 0 || gen->decode.prefix_lengths.max().item<int64_t>() > width) {
        fail(ErrorCode::InvalidArgument, "Expected prefixLengths in [0, " + std::to_string(width) + "]");
      }
    }
    // Copies: the JS arrays may change before the first next().
    gen->prompt = IdBatch{batch.ids.clone(), batch.lengths.clone(), {}, {}};
    gen->rows = rows.tensor.to(torch::kLong).clone();
    const int64_t pieces = batch.ids.size(0);
    if (gen->rows.min().item<int64_t>() < -1 || gen->rows.max().item<int64_t>() >= pieces) {
      fail(ErrorCode::InvalidArgument, "Expected rows to hold piece indices in [-1, " + std::to_string(pieces) + ")");
    }
    if ((gen->rows.select(1, rows_shape[1] - 1) < 0).any().item<bool>()) {
      fail(ErrorCode::InvalidArgument, "Expected every prompt to have at least one sentence, left-padded (its last slot real)");
    }
    if (batch.ids.size(1) > c.svae.max_tokens) fail(ErrorCode::InvalidArgument, "prompt sentences exceed maxTokens " + std::to_string(c.svae.max_tokens));
    if (rows_shape[1] + gen->max_sentences > c.llm.max_positions) {
      fail(ErrorCode::InvalidArgument, "prompt sentences (" + std::to_string(rows_shape[1]) + ") + maxSentences (" + std::to_string(gen->max_sentences) +
                                           ") exceed the LLM's " + std::to_string(c.llm.max_positions) + " positions");
    }
    auto* holder = &gen;
    return addon_data(env).sllm_session_constructor.New({Napi::External<std::shared_ptr<SllmGeneration>>::New(env, holder), Value()});
  });
}

Napi::Value AddonSLLM::ConfigureTraining(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::configure(info, Value(), Live()); });
}
Napi::Value AddonSLLM::ApplyStep(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::apply_step(info, Value(), Live()); });
}
Napi::Value AddonSLLM::TrainingState(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::state(info, Value(), Live()); });
}
Napi::Value AddonSLLM::LoadTrainingState(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::load_state(info, Value(), Live()); });
}
Napi::Value AddonSLLM::SwapEma(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::swap_ema(info, Value(), Live()); });
}
// quantize() -> Promise<void>: int8 weights for inference (dtype 'int8'; native/kernels/quantize.h).
Napi::Value AddonSLLM::Quantize(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return quantize_model(info, Value(), Live(), {}); });
}

Napi::Value AddonSLLM::NamedTensors(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::named_tensors(info, Live()); });
}
Napi::Value AddonSLLM::LoadTensors(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::load_tensors(info, Value(), Live()); });
}
Napi::Value AddonSLLM::SetTrainable(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::set_trainable(info, Live()); });
}
Napi::Value AddonSLLM::ParameterCount(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::parameter_count(info, Live()); });
}
AddonSLLM::~AddonSLLM() { release_on_compute_thread(std::move(state_)); }

Napi::Value AddonSLLM::Dispose(const Napi::CallbackInfo& info) {
  if (state_) state_->disposed = true;
  release_on_compute_thread(std::move(state_));  // off the event loop: see async_task.h
  return info.Env().Undefined();
}

// ---------------------------------------------------------------- session

void AddonSLLMSession::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "NativeSLLMSession",
                                    {InstanceMethod<&AddonSLLMSession::Next>("next"), InstanceMethod<&AddonSLLMSession::Dispose>("dispose")});
  addon_data(env).sllm_session_constructor = Napi::Persistent(ctor);
  exports.Set("NativeSLLMSession", ctor);
}

AddonSLLMSession::AddonSLLMSession(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonSLLMSession>(info) {
  guard(info.Env(), [&] {
    if (info.Length() < 1 || !info[0].IsExternal()) fail(ErrorCode::InvalidArgument, "NativeSLLMSession cannot be constructed directly; use SLLM.generate()");
    gen_ = *info[0].As<Napi::External<std::shared_ptr<SllmGeneration>>>().Data();
  });
}

// next(finishRows?: Uint8Array [B]) -> Promise<{ tokens: Int32Array [B*T], steps: T, lengths, stopped,
//   finished, done, vectors?, hidden? }>. The first call runs the prompt (prefill) and then one step;
// each call produces one sentence per unfinished row. finishRows: rows the caller ends now.
Napi::Value AddonSLLMSession::Next(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    if (!gen_) fail(ErrorCode::Disposed, "This generation has been disposed");
    if (gen_->state->disposed) {
      gen_.reset();  // frees the KV caches now
      fail(ErrorCode::Disposed, "The SLLM of this generation has been disposed");
    }
    auto gen = gen_;
    at::Tensor finish;
    if (info.Length() > 0 && !info[0].IsUndefined() && !info[0].IsNull()) {
      finish = borrow_typed_array(info[0], {gen->rows.size(0)}, at::kByte).tensor.clone();
    }
    return run_async(env, "svae.sllm.next", [gen, finish]() -> Finish {
      SllmState& s = *gen->state;
      std::lock_guard<std::mutex> lock(s.mutex);
      const auto started = std::chrono::steady_clock::now();
      c10::InferenceMode inference;
      if (!gen->started) {
        auto [ids, lengths] = device_id_batch(gen->prompt, s.device, s.model->config.svae.vocab_size);
        gen->g = sllm_prefill(s.model, ids, lengths, gen->rows.to(s.device), gen->max_sentences, gen->decode, gen->ignore_stop);
        gen->g.forced_lengths = gen->forced_lengths;
        gen->started = true;
      } else if (gen->g.caches.empty()) {
        fail(ErrorCode::InvalidArgument, "the generation is done");
      }
      if (finish.defined()) gen->g.finished = gen->g.finished.logical_or(finish.to(s.device).to(torch::kBool));
      at::Tensor hidden = gen->return_hidden ? gen->g.h.to(torch::kCPU, torch::kFloat).contiguous() : at::Tensor();
      SllmStep step = sllm_step(s.model, gen->g);
      const double cache = static_cast<double>(cache_bytes(gen->g.caches));
      if (step.done) gen->g.caches.clear();  // free the cache as soon as nothing more can come
      at::Tensor tokens = step.tokens.to(torch::kCPU, torch::kInt).contiguous();
      at::Tensor lengths = step.lengths.to(torch::kCPU, torch::kInt).contiguous();
      at::Tensor stopped = step.stopped.to(torch::kCPU, torch::kByte).contiguous();
      at::Tensor finished = gen->g.finished.to(torch::kCPU, torch::kByte).contiguous();
      at::Tensor vectors = gen->return_hidden && step.vectors.defined() ? step.vectors.to(torch::kCPU, torch::kFloat).contiguous() : at::Tensor();
      const int64_t steps = step.tokens.size(1);
      const bool done = step.done;
      const double native_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      return [tokens, lengths, stopped, finished, vectors, hidden, steps, done, cache, native_ms](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("tokens", typed_array_over(env, tokens));
        o.Set("steps", static_cast<double>(steps));
        o.Set("lengths", typed_array_over(env, lengths));
        o.Set("stopped", typed_array_over(env, stopped));
        o.Set("finished", typed_array_over(env, finished));
        o.Set("done", done);
        o.Set("cacheBytes", cache);
        o.Set("nativeMs", native_ms);
        if (vectors.defined()) o.Set("vectors", AddonTensor::Wrap(env, vectors));
        if (hidden.defined()) o.Set("hidden", AddonTensor::Wrap(env, hidden));
        return o;
      };
    }, {Value()});
  });
}

AddonSLLMSession::~AddonSLLMSession() { release_on_compute_thread(std::move(gen_)); }

Napi::Value AddonSLLMSession::Dispose(const Napi::CallbackInfo& info) {
  release_on_compute_thread(std::move(gen_));
  return info.Env().Undefined();
}

// reduceGradients(group, values, { bucketBytes? }): data-parallel gradient averaging (trainable_bindings.h).
Napi::Value AddonSLLM::ReduceGradients(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::reduce_gradients(info, Value(), Live()); });
}

}  // namespace svae
