#include "bindings/AddonSlots.h"

#include "bindings/controls.h"

#include "bindings/tensor_bridge.h"
#include "bindings/addon_data.h"
#include "bindings/args.h"
#include "bindings/async_task.h"
#include "bindings/js_errors.h"

#include <chrono>

namespace svae {

namespace {

constexpr int64_t kMaxSafeInteger = 9007199254740991LL;

std::vector<int64_t> read_ids_list(const Napi::Value& v, const char* name) {
  std::vector<int64_t> out;
  if (v.IsUndefined() || v.IsNull()) return out;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    fail(ErrorCode::InvalidArgument, std::string("Expected Int32Array for ") + name + " but received " + args::describe(v));
  }
  Napi::Int32Array a = v.As<Napi::Int32Array>();
  for (size_t i = 0; i < a.ElementLength(); i++) out.push_back(a[i]);
  return out;
}

Napi::Array read_adds(const Napi::CallbackInfo& info, size_t index) {
  if (info.Length() <= index || info[index].IsUndefined() || info[index].IsNull()) return Napi::Array::New(info.Env());
  if (!info[index].IsArray()) fail(ErrorCode::InvalidArgument, "Expected an array of rows for add but received " + args::describe(info[index]));
  return info[index].As<Napi::Array>();
}

Napi::Object row_object(const Napi::Array& list, uint32_t i) {
  Napi::Value v = list.Get(i);
  if (!v.IsObject()) fail(ErrorCode::InvalidArgument, "Expected an object for add[" + std::to_string(i) + "] but received " + args::describe(v));
  return v.As<Napi::Object>();
}

// Sampling fields of a row: greedy, temperature, topK, topP, seed.
void read_sampling(const Napi::Object& o, SamplingOptions& s, uint64_t& seed) {
  s.greedy = args::opt_boolean(o, "greedy", true);
  s.temperature = args::opt_number(o, "temperature", 1.0, 1e-6, 1e6);
  s.top_k = args::opt_integer(o, "topK", 0, 0, 1 << 30);
  s.top_p = args::opt_number(o, "topP", 1.0, 0, 1);
  s.controls = read_controls(o);
  seed = static_cast<uint64_t>(args::opt_integer(o, "seed", 0, 0, kMaxSafeInteger));
}

// A copy (owned by the step) of an Int32Array as a long tensor; every value in [lo, hi).
torch::Tensor owned_ids(const Napi::Value& v, const std::vector<int64_t>& shape, int64_t lo, int64_t hi, const char* name) {
  torch::Tensor t = borrow_typed_array(v, shape, at::kInt).tensor.to(torch::kLong);  // .to copies: nothing borrowed outlives this call
  if (t.numel() > 0) {
    const int64_t min = t.min().item<int64_t>(), max = t.max().item<int64_t>();
    if (min < lo || max >= hi) {
      fail(ErrorCode::InvalidArgument, std::string("Expected ") + name + " in [" + std::to_string(lo) + ", " + std::to_string(hi) + ") but found " + std::to_string(min < lo ? min : max));
    }
  }
  return t;
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

at::Tensor int_tensor(const std::vector<int64_t>& v) { return torch::tensor(v, torch::kLong).to(torch::kInt).contiguous(); }

}  // namespace

// ---------------------------------------------------------------- factories on the models

// openSlots({ slots }) -> NativeOPTSlots
Napi::Value AddonOPT::OpenSlots(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto state = Live();
    const int64_t slots = args::opt_integer(args::object(info, 0, "options"), "slots", 16, 1, 4096);
    auto session = std::make_shared<OptSlotSession>(OptSlotSession{state, OptSlots(slots, state->device, state->dtype)});
    auto* holder = &session;
    return addon_data(env).opt_slots_constructor.New({Napi::External<std::shared_ptr<OptSlotSession>>::New(env, holder)});
  });
}

// openSlots({ slots }) -> NativeSLLMSlots
Napi::Value AddonSLLM::OpenSlots(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto state = Live();
    const int64_t slots = args::opt_integer(args::object(info, 0, "options"), "slots", 16, 1, 4096);
    auto session = std::make_shared<SllmSlotSession>(SllmSlotSession{state, SllmSlots(slots, state->device, state->dtype)});
    auto* holder = &session;
    return addon_data(env).sllm_slots_constructor.New({Napi::External<std::shared_ptr<SllmSlotSession>>::New(env, holder)});
  });
}

// ---------------------------------------------------------------- NativeOPTSlots

void AddonOPTSlots::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "NativeOPTSlots", {InstanceMethod<&AddonOPTSlots::Step>("step"), InstanceMethod<&AddonOPTSlots::Dispose>("dispose")});
  addon_data(env).opt_slots_constructor = Napi::Persistent(ctor);
  exports.Set("NativeOPTSlots", ctor);
}

AddonOPTSlots::AddonOPTSlots(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonOPTSlots>(info) {
  guard(info.Env(), [&] {
    if (info.Length() < 1 || !info[0].IsExternal()) fail(ErrorCode::InvalidArgument, "NativeOPTSlots cannot be constructed directly; use the serving Engine");
    session_ = *info[0].As<Napi::External<std::shared_ptr<OptSlotSession>>>().Data();
  });
}

// step(remove?: Int32Array, add?: { id, ids: Int32Array (bos first), maxNewTokens, greedy, temperature, topK, topP, seed }[])
//   -> Promise<{ ids: Int32Array, tokens: Int32Array, busy, cacheBytes, nativeMs }>
// Removes rows, one token for every row already there, then each new row's prefill and first token.
Napi::Value AddonOPTSlots::Step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    if (!session_) fail(ErrorCode::Disposed, "This slot session has been disposed");
    auto session = session_;
    const OptConfig& c = session->state->model->config;
    std::vector<int64_t> remove = read_ids_list(info.Length() > 0 ? info[0] : env.Undefined(), "remove");
    Napi::Array list = read_adds(info, 1);
    std::vector<OptSlotAdd> add;
    for (uint32_t i = 0; i < list.Length(); i++) {
      Napi::Object o = row_object(list, i);
      OptSlotAdd a;
      a.id = args::opt_integer(o, "id", -1, 0, kMaxSafeInteger);
      if (a.id < 0) fail(ErrorCode::InvalidArgument, "Expected an integer id for add[" + std::to_string(i) + "]");
      Napi::Value ids = o.Get("ids");
      const int64_t t = ids.IsTypedArray() ? static_cast<int64_t>(ids.As<Napi::TypedArray>().ElementLength()) : 0;
      if (t < 1) fail(ErrorCode::InvalidArgument, "Expected a non-empty Int32Array for add[" + std::to_string(i) + "].ids but received " + args::describe(ids));
      a.ids = owned_ids(ids, {t}, 0, c.vocab_size, "token ids");
      a.max_new = args::opt_integer(o, "maxNewTokens", 16, 1, c.max_positions);
      read_sampling(o, a.sampling, a.seed);
      add.push_back(std::move(a));
    }
    return run_async(env, "svae.opt.slots.step", [session, remove, add]() mutable -> Finish {
      OptState& s = *session->state;
      std::lock_guard<std::mutex> lock(s.mutex);
      const auto started = std::chrono::steady_clock::now();
      c10::InferenceMode inference;
      s.model->eval();
      OptSlotStep r = session->slots.step(s.model, remove, add);
      at::Tensor ids = int_tensor(r.ids), tokens = int_tensor(r.tokens);
      const double busy = static_cast<double>(session->slots.busy());
      const double cache = static_cast<double>(session->slots.cache_bytes());
      const double native_ms = elapsed_ms(started);
      return [ids, tokens, busy, cache, native_ms](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("ids", typed_array_over(env, ids));
        o.Set("tokens", typed_array_over(env, tokens));
        o.Set("busy", busy);
        o.Set("cacheBytes", cache);
        o.Set("nativeMs", native_ms);
        return o;
      };
    }, {Value()});
  });
}

AddonOPTSlots::~AddonOPTSlots() { release_on_compute_thread(std::move(session_)); }

Napi::Value AddonOPTSlots::Dispose(const Napi::CallbackInfo& info) {
  release_on_compute_thread(std::move(session_));  // its KV caches: off the event loop
  return info.Env().Undefined();
}

// ---------------------------------------------------------------- NativeSLLMSlots

void AddonSLLMSlots::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "NativeSLLMSlots", {InstanceMethod<&AddonSLLMSlots::Step>("step"), InstanceMethod<&AddonSLLMSlots::Dispose>("dispose")});
  addon_data(env).sllm_slots_constructor = Napi::Persistent(ctor);
  exports.Set("NativeSLLMSlots", ctor);
}

AddonSLLMSlots::AddonSLLMSlots(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonSLLMSlots>(info) {
  guard(info.Env(), [&] {
    if (info.Length() < 1 || !info[0].IsExternal()) fail(ErrorCode::InvalidArgument, "NativeSLLMSlots cannot be constructed directly; use the serving Engine");
    session_ = *info[0].As<Napi::External<std::shared_ptr<SllmSlotSession>>>().Data();
  });
}

// step(remove?: Int32Array, add?: { id, ids: Int32Array [N*L], shape: [N, L], lengths: Int32Array [N],
//   maxSentences, maxSentenceTokens, ignoreStop, sentenceTokens, greedy, temperature, topK, topP, seed }[])
//   -> Promise<{ ids: Int32Array [n], stopped: Uint8Array [n], lengths: Int32Array [n], tokens: Int32Array [n*steps],
//                steps, busy, cacheBytes, nativeMs }>
// Removes rows, prefills the new ones, then one sentence for every row (stopped rows: none).
Napi::Value AddonSLLMSlots::Step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    if (!session_) fail(ErrorCode::Disposed, "This slot session has been disposed");
    auto session = session_;
    const SllmConfig& c = session->state->model->config;
    const int64_t sentence_max = c.svae.max_tokens - 1;  // [bos, content] must fit the encoder
    std::vector<int64_t> remove = read_ids_list(info.Length() > 0 ? info[0] : env.Undefined(), "remove");
    Napi::Array list = read_adds(info, 1);
    std::vector<SllmSlotAdd> add;
    for (uint32_t i = 0; i < list.Length(); i++) {
      Napi::Object o = row_object(list, i);
      const std::string where = "add[" + std::to_string(i) + "]";
      SllmSlotAdd a;
      a.id = args::opt_integer(o, "id", -1, 0, kMaxSafeInteger);
      if (a.id < 0) fail(ErrorCode::InvalidArgument, "Expected an integer id for " + where);
      Napi::Value shape_value = o.Get("shape");
      std::vector<int64_t> shape;
      if (shape_value.IsArray()) {
        Napi::Array s = shape_value.As<Napi::Array>();
        for (uint32_t k = 0; k < s.Length(); k++) shape.push_back(s.Get(k).IsNumber() ? s.Get(k).As<Napi::Number>().Int64Value() : -1);
      }
      if (shape.size() != 2 || shape[0] < 1 || shape[1] < 1 || shape[1] > c.svae.max_tokens) {
        fail(ErrorCode::Shape, "Expected shape [sentences, length] with length <= " + std::to_string(c.svae.max_tokens) + " for " + where + ".shape");
      }
      a.ids = owned_ids(o.Get("ids"), shape, 0, c.svae.vocab_size, "token ids");
      a.lengths = owned_ids(o.Get("lengths"), {shape[0]}, 1, shape[1] + 1, "sentence lengths");
      a.max_sentences = args::opt_integer(o, "maxSentences", 16, 1, c.llm.max_positions);
      a.max_sentence_tokens = args::opt_integer(o, "maxSentenceTokens", sentence_max, 1, sentence_max);
      a.ignore_stop = args::opt_boolean(o, "ignoreStop", false);
      Napi::Value forced = o.Get("sentenceTokens");
      if (!forced.IsUndefined() && !forced.IsNull()) {
        if (!forced.IsArray()) fail(ErrorCode::InvalidArgument, "Expected an array of sentence lengths for sentenceTokens but received " + args::describe(forced));
        Napi::Array f = forced.As<Napi::Array>();
        for (uint32_t k = 0; k < f.Length(); k++) {
          Napi::Value v = f.Get(k);
          const double n = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
          if (n < 1 || n > sentence_max || n != static_cast<int64_t>(n)) {
            fail(ErrorCode::InvalidArgument, "Expected sentenceTokens of integers in [1, " + std::to_string(sentence_max) + "] but received " + args::describe(v));
          }
          a.forced_lengths.push_back(static_cast<int64_t>(n));
        }
      }
      read_sampling(o, a.sampling, a.seed);
      add.push_back(std::move(a));
    }
    return run_async(env, "svae.sllm.slots.step", [session, remove, add]() mutable -> Finish {
      SllmState& s = *session->state;
      std::lock_guard<std::mutex> lock(s.mutex);
      const auto started = std::chrono::steady_clock::now();
      c10::InferenceMode inference;
      s.model->eval();
      SllmSlotStep r = session->slots.step(s.model, remove, add);
      at::Tensor ids = int_tensor(r.ids), lengths = int_tensor(r.lengths);
      at::Tensor stopped = torch::tensor(std::vector<int64_t>(r.stopped.begin(), r.stopped.end()), torch::kLong).to(torch::kByte).contiguous();
      at::Tensor tokens = r.tokens.to(torch::kInt).contiguous();
      const double steps = static_cast<double>(r.tokens.size(1));
      const double busy = static_cast<double>(session->slots.busy());
      const double cache = static_cast<double>(session->slots.cache_bytes());
      const double native_ms = elapsed_ms(started);
      return [ids, lengths, stopped, tokens, steps, busy, cache, native_ms](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("ids", typed_array_over(env, ids));
        o.Set("stopped", typed_array_over(env, stopped));
        o.Set("lengths", typed_array_over(env, lengths));
        o.Set("tokens", typed_array_over(env, tokens));
        o.Set("steps", steps);
        o.Set("busy", busy);
        o.Set("cacheBytes", cache);
        o.Set("nativeMs", native_ms);
        return o;
      };
    }, {Value()});
  });
}

AddonSLLMSlots::~AddonSLLMSlots() { release_on_compute_thread(std::move(session_)); }

Napi::Value AddonSLLMSlots::Dispose(const Napi::CallbackInfo& info) {
  release_on_compute_thread(std::move(session_));  // its KV caches: off the event loop
  return info.Env().Undefined();
}

}  // namespace svae
