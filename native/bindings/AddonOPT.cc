#include "bindings/AddonOPT.h"

#include "bindings/AddonTensor.h"
#include "bindings/controls.h"
#include "bindings/dtype.h"
#include "bindings/kernel_bindings.h"
#include "bindings/module_bridge.h"
#include "bindings/tensor_bridge.h"
#include "bindings/addon_data.h"
#include "bindings/args.h"
#include "bindings/async_task.h"
#include "bindings/js_errors.h"
#include "core/runtime.h"
#include "model/load_parameters.h"
#include "model/sllm.h"  // cache_bytes

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <map>

namespace svae {

namespace {


struct Batch {
  at::Tensor ids;   // [B, T] int32 borrowed
  at::Tensor mask;  // [B, T] uint8 borrowed
  std::vector<Napi::Object> owners;
  KeepAlive keep;
};

Batch read_batch(const Napi::CallbackInfo& info, size_t i) {
  auto shape = args::shape(info, i + 1, "shape");
  if (shape.size() != 2 || shape[0] < 1 || shape[1] < 1) fail(ErrorCode::Shape, "Expected shape [batch, length] with both >= 1");
  BorrowedTensor ids = borrow_typed_array(info[i], shape, at::kInt);
  BorrowedTensor mask = borrow_typed_array(info[i + 2], shape, at::kByte);
  Batch b{ids.tensor, mask.tensor, {info[i].As<Napi::Object>(), info[i + 2].As<Napi::Object>()}, ids.keep_alive};
  b.keep.insert(b.keep.end(), mask.keep_alive.begin(), mask.keep_alive.end());
  return b;
}

std::pair<torch::Tensor, torch::Tensor> to_device(const Batch& b, const OptState& s) {
  const int64_t lo = b.ids.min().item<int64_t>(), hi = b.ids.max().item<int64_t>();
  if (lo < 0 || hi >= s.model->config.vocab_size) {
    fail(ErrorCode::InvalidArgument, "Expected token ids in [0, " + std::to_string(s.model->config.vocab_size) + ") but found " + std::to_string(lo < 0 ? lo : hi));
  }
  if ((b.mask > 1).any().item<bool>()) fail(ErrorCode::InvalidArgument, "Expected an attention mask of 0/1");
  return {b.ids.to(s.device, torch::kLong), b.mask.to(s.device, torch::kLong)};
}

}  // namespace

OptConfig read_opt_config(const Napi::Object& o) {
  OptConfig c;
  const int64_t big = 1LL << 31;
  c.vocab_size = args::opt_integer(o, "vocabSize", 50272, 1, big);
  c.hidden = args::opt_integer(o, "hidden", 768, 1, 1 << 16);
  c.ffn = args::opt_integer(o, "ffn", 4 * c.hidden, 1, 1 << 20);
  c.layers = args::opt_integer(o, "layers", 12, 1, 1024);
  c.heads = args::opt_integer(o, "heads", 12, 1, 1024);
  c.max_positions = args::opt_integer(o, "maxPositions", 2048, 1, 1 << 20);
  c.word_embed_proj_dim = args::opt_integer(o, "wordEmbedProjDim", c.hidden, 1, 1 << 16);
  c.pre_norm = args::opt_boolean(o, "preNorm", true);
  c.final_norm = args::opt_boolean(o, "finalNorm", c.pre_norm);
  c.pad_id = args::opt_integer(o, "padId", 1, 0, big);
  c.bos_id = args::opt_integer(o, "bosId", 2, 0, big);
  c.eos_id = args::opt_integer(o, "eosId", 2, 0, big);
  c.tokenizer_size = args::opt_integer(o, "tokenizerSize", c.vocab_size, 1, big);
  c.dropout = args::opt_number(o, "dropout", 0, 0, 0.999);
  c.attention_dropout = args::opt_number(o, "attentionDropout", 0, 0, 0.999);
  c.activation_dropout = args::opt_number(o, "activationDropout", 0, 0, 0.999);
  c.validate();
  return c;
}

void AddonOPT::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "NativeOPT",
                                    {
                                        StaticMethod<&AddonOPT::Create>("create"),
                                        InstanceMethod<&AddonOPT::LoadTensors>("loadTensors"),
                                        InstanceMethod<&AddonOPT::NamedTensors>("namedTensors"),
                                        InstanceMethod<&AddonOPT::Quantize>("quantize"),
                                        InstanceMethod<&AddonOPT::Logits>("logits"),
                                        InstanceMethod<&AddonOPT::Nll>("nll"),
                                        InstanceMethod<&AddonOPT::Generate>("generate"),
                                        InstanceMethod<&AddonOPT::OpenSlots>("openSlots"),
                                        InstanceMethod<&AddonOPT::Accumulate>("accumulate"),
                                        InstanceMethod<&AddonOPT::ConfigureTraining>("configureTraining"),
                                        InstanceMethod<&AddonOPT::ApplyStep>("applyStep"),
                                        InstanceMethod<&AddonOPT::ReduceGradients>("reduceGradients"),
                                        InstanceMethod<&AddonOPT::TrainingState>("trainingState"),
                                        InstanceMethod<&AddonOPT::LoadTrainingState>("loadTrainingState"),
                                        InstanceMethod<&AddonOPT::SwapEma>("swapEma"),
                                        InstanceAccessor<&AddonOPT::ParameterCount>("parameterCount"),
                                        InstanceMethod<&AddonOPT::Dispose>("dispose"),
                                    });
  addon_data(env).opt_constructor = Napi::Persistent(ctor);
  exports.Set("NativeOPT", ctor);
}

AddonOPT::AddonOPT(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonOPT>(info) {
  guard(info.Env(), [&] {
    if (info.Length() != 1 || !info[0].IsExternal()) fail(ErrorCode::InvalidArgument, "NativeOPT cannot be constructed directly; use OPT.load()");
    state_ = *info[0].As<Napi::External<std::shared_ptr<OptState>>>().Data();
  });
}

std::shared_ptr<OptState> AddonOPT::Live() const {
  if (!state_) fail(ErrorCode::Disposed, "This OPT model has been disposed");
  return state_;
}

// create(config, device, dtype, seed) -> Promise<NativeOPT> (random weights until loadTensors)
Napi::Value AddonOPT::Create(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    OptConfig config = read_opt_config(args::object(info, 0, "config"));
    return trainable::create<OptState>(info, "svae.opt.create", &AddonData::opt_constructor, [config](OptState& s) { s.model = Opt(config); });
  });
}

// loadTensors({ name: NativeTensor }) -> Promise<void>: names as namedTensors() (decoder.*),
// every one present with its shape; unexpected names are an error (the caller filters known extras).
Napi::Value AddonOPT::LoadTensors(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::load_tensors(info, Value(), Live()); });
}

// quantize() -> Promise<void>: int8 weights for inference (dtype 'int8'; native/kernels/quantize.h).
Napi::Value AddonOPT::Quantize(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return quantize_model(info, Value(), Live(), {"decoder.embed_tokens"}); });
}

Napi::Value AddonOPT::NamedTensors(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::named_tensors(info, Live()); });
}

// logits(ids, shape, mask) -> Promise<NativeTensor [B, T, V] float32> (full sequence, no cache)
Napi::Value AddonOPT::Logits(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto state = Live();
    Batch b = read_batch(info, 0);
    auto owners = b.owners;
    owners.push_back(Value());
    return run_async(env, "svae.opt.logits", [state, b]() -> Finish {
      std::lock_guard<std::mutex> lock(state->mutex);
      c10::InferenceMode inference;
      auto [ids, mask] = to_device(b, *state);
      torch::Tensor logits = state->model->logits(ids, mask, nullptr);
      return [logits](Napi::Env env) -> Napi::Value { return AddonTensor::Wrap(env, logits); };
    }, owners);
  });
}

// nll(ids, shape, mask, score?) -> Promise<{ nll, tokens }>: summed next-token NLL over real
// pairs (and, with score [B, T] 0/1, only over targets t where score[t] is 1).
Napi::Value AddonOPT::Nll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto state = Live();
    Batch b = read_batch(info, 0);
    auto owners = b.owners;
    owners.push_back(Value());
    at::Tensor score;
    if (info.Length() > 3 && !info[3].IsUndefined() && !info[3].IsNull()) {
      score = borrow_typed_array(info[3], {b.ids.size(0), b.ids.size(1)}, at::kByte).tensor.clone();
    }
    return run_async(env, "svae.opt.nll", [state, b, score]() -> Finish {
      std::lock_guard<std::mutex> lock(state->mutex);
      c10::InferenceMode inference;
      auto [ids, mask] = to_device(b, *state);
      auto [nll, tokens] = state->model->nll(ids, mask, score.defined() ? score.to(state->device, torch::kLong) : torch::Tensor());
      return [nll, tokens](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("nll", nll);
        o.Set("tokens", static_cast<double>(tokens));
        return o;
      };
    }, owners);
  });
}

// generate(ids, shape, mask, { maxNewTokens, greedy, temperature, topK, topP, seed }) -> NativeOPTSession
// Prompts are left-padded (mask 0 on the left). Nothing runs until the session's next().
Napi::Value AddonOPT::Generate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto state = Live();
    Batch b = read_batch(info, 0);
    Napi::Object o = args::object(info, 3, "options");
    auto gen = std::make_shared<OptGeneration>();
    gen->state = state;
    gen->max_new = args::opt_integer(o, "maxNewTokens", 32, 1, 1 << 20);
    gen->sampling.greedy = args::opt_boolean(o, "greedy", true);
    gen->sampling.temperature = args::opt_number(o, "temperature", 1.0, 1e-6, 1e6);
    gen->sampling.top_k = args::opt_integer(o, "topK", 0, 0, 1 << 30);
    gen->sampling.top_p = args::opt_number(o, "topP", 1.0, 0, 1);
    gen->sampling.controls = read_controls(o);
    gen->return_logits = args::opt_boolean(o, "returnLogits", false);
    gen->ignore_eos = args::opt_boolean(o, "ignoreEos", false);
    gen->generator = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(args::opt_integer(o, "seed", 0, 0, 9007199254740991LL)));
    gen->prompt = b.ids.clone();  // copied now: the JS arrays may change before next()
    gen->mask = b.mask.clone();
    gen->prompt_length = b.ids.size(1);
    if (gen->sampling.controls.active()) {
      const OptConfig& c = state->model->config;
      torch::Tensor ids = gen->prompt.to(torch::kLong).contiguous(), mask = gen->mask.to(torch::kLong).contiguous();
      for (int64_t r = 0; r < ids.size(0); r++) {
        TokenHistory h;
        for (int64_t t = 0; t < ids.size(1); t++) {
          const int64_t id = ids[r][t].item<int64_t>();
          if (mask[r][t].item<int64_t>() != 0 && id != c.bos_id && id != c.eos_id && id != c.pad_id) h.tokens.push_back(id);
        }
        h.prompt = h.unit_start = static_cast<int64_t>(h.tokens.size());
        gen->histories.push_back(std::move(h));
      }
    }
    if (gen->prompt_length + gen->max_new > state->model->config.max_positions) {
      fail(ErrorCode::InvalidArgument, "prompt (" + std::to_string(gen->prompt_length) + ") + maxNewTokens (" + std::to_string(gen->max_new) +
                                           ") exceeds max_position_embeddings " + std::to_string(state->model->config.max_positions));
    }
    auto* holder = &gen;
    return addon_data(env).opt_session_constructor.New({Napi::External<std::shared_ptr<OptGeneration>>::New(env, holder), Value()});
  });
}

// accumulate(ids, shape, mask, { gamma, scale }) -> Promise<{ loss, ce, tokens, correct }>: next-token
// focal loss (γ = 0: cross-entropy) over right-padded rows, then backward.
Napi::Value AddonOPT::Accumulate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto state = Live();
    Batch b = read_batch(info, 0);
    Napi::Object o = args::object(info, 3, "options");
    const double gamma = args::opt_number(o, "gamma", 0.0, 0, 100);
    Napi::Value scale_value = o.Get("scale");
    const double scale = scale_value.IsNumber() ? scale_value.As<Napi::Number>().DoubleValue() : 1.0;
    auto owners = b.owners;
    owners.push_back(Value());
    return run_async(env, "svae.opt.accumulate", [state, b, gamma, scale]() -> Finish {
      std::lock_guard<std::mutex> lock(state->mutex);
      LossResult r = trainable::accumulate_locked(*state, scale, [&] {
        auto [ids, mask] = to_device(b, *state);
        return state->model->loss(ids, mask, torch::Tensor(), gamma);
      });
      return [r](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("loss", r.loss.item<double>());
        o.Set("ce", r.ce.item<double>());
        o.Set("tokens", static_cast<double>(r.tokens));
        o.Set("correct", static_cast<double>(r.correct));
        return o;
      };
    }, owners);
  });
}

Napi::Value AddonOPT::ConfigureTraining(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::configure(info, Value(), Live()); });
}
Napi::Value AddonOPT::ApplyStep(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::apply_step(info, Value(), Live()); });
}
Napi::Value AddonOPT::TrainingState(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::state(info, Value(), Live()); });
}
Napi::Value AddonOPT::LoadTrainingState(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::load_state(info, Value(), Live()); });
}
Napi::Value AddonOPT::SwapEma(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::swap_ema(info, Value(), Live()); });
}

Napi::Value AddonOPT::ParameterCount(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), parameter_count(*Live()->model));
  });
}

AddonOPT::~AddonOPT() { release_on_compute_thread(std::move(state_)); }

Napi::Value AddonOPT::Dispose(const Napi::CallbackInfo& info) {
  if (state_) state_->disposed = true;
  release_on_compute_thread(std::move(state_));  // off the event loop: see async_task.h
  return info.Env().Undefined();
}

// ---------------------------------------------------------------- session

void AddonOPTSession::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "NativeOPTSession",
                                    {InstanceMethod<&AddonOPTSession::Next>("next"), InstanceMethod<&AddonOPTSession::Dispose>("dispose")});
  addon_data(env).opt_session_constructor = Napi::Persistent(ctor);
  exports.Set("NativeOPTSession", ctor);
}

AddonOPTSession::AddonOPTSession(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonOPTSession>(info) {
  guard(info.Env(), [&] {
    if (info.Length() < 1 || !info[0].IsExternal()) fail(ErrorCode::InvalidArgument, "NativeOPTSession cannot be constructed directly; use OPT.generate()");
    gen_ = *info[0].As<Napi::External<std::shared_ptr<OptGeneration>>>().Data();
  });
}

// next() -> Promise<{ tokens: Int32Array [B], finished: Uint8Array [B], done: boolean }>
// The first call runs the prompt (prefill); each later call one cached step. Finished rows get pad.
Napi::Value AddonOPTSession::Next(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    if (!gen_) fail(ErrorCode::Disposed, "This generation has been disposed");
    if (gen_->state->disposed) {
      gen_.reset();  // frees the KV caches now
      fail(ErrorCode::Disposed, "The OPT model of this generation has been disposed");
    }
    auto gen = gen_;
    return run_async(env, "svae.opt.next", [gen]() -> Finish {
      OptState& s = *gen->state;
      std::lock_guard<std::mutex> lock(s.mutex);
      const auto started = std::chrono::steady_clock::now();
      c10::InferenceMode inference;
      const OptConfig& c = s.model->config;
      torch::Tensor logits;
      if (!gen->started) {
        const int64_t batch = gen->prompt.size(0);
        torch::Tensor ids = gen->prompt.to(s.device, torch::kLong);
        torch::Tensor mask = torch::zeros({batch, gen->prompt_length + gen->max_new}, torch::TensorOptions().dtype(torch::kLong).device(s.device));
        mask.narrow(1, 0, gen->prompt_length).copy_(gen->mask.to(s.device, torch::kLong));
        gen->mask = mask;
        gen->caches = s.model->decoder->make_caches(batch, gen->prompt_length + gen->max_new, torch::TensorOptions().dtype(s.dtype).device(s.device));
        gen->finished = torch::zeros({batch}, torch::TensorOptions().dtype(torch::kBool).device(s.device));
        logits = s.model->logits(ids, mask.narrow(1, 0, gen->prompt_length), &gen->caches).select(1, gen->prompt_length - 1);
        gen->started = true;
      } else {
        if (gen->generated >= gen->max_new) fail(ErrorCode::InvalidArgument, "the generation is done (maxNewTokens reached)");
        const int64_t length = gen->prompt_length + gen->generated;
        logits = s.model->logits(gen->last, gen->mask.narrow(1, 0, length), &gen->caches).select(1, 0);
      }
      torch::Tensor scores = apply_controls(s.model->mask_unused(logits), gen->sampling.controls, gen->histories, c.eos_id);
      torch::Tensor next = next_tokens(scores, gen->sampling, gen->generator);
      next = torch::where(gen->finished, torch::full_like(next, c.pad_id), next);
      if (!gen->ignore_eos) gen->finished = gen->finished.logical_or(next == c.eos_id);
      if (!gen->histories.empty()) {
        torch::Tensor ids = next.to(torch::kCPU), ended = gen->finished.to(torch::kCPU);
        for (int64_t r = 0; r < ids.size(0); r++) {
          if (!ended[r].item<bool>()) gen->histories[r].tokens.push_back(ids[r].item<int64_t>());
        }
      }
      gen->mask.select(1, gen->prompt_length + gen->generated).fill_(1);
      gen->last = next.unsqueeze(1);
      gen->generated++;
      const bool done = gen->generated >= gen->max_new || gen->finished.all().item<bool>();
      at::Tensor tokens = next.to(torch::kCPU, torch::kInt).contiguous();
      at::Tensor finished = gen->finished.to(torch::kCPU, torch::kByte).contiguous();
      at::Tensor step_logits = gen->return_logits ? logits.to(torch::kCPU).contiguous() : at::Tensor();
      const double cache = static_cast<double>(cache_bytes(gen->caches));
      if (done) gen->caches.clear();  // free the cache as soon as nothing more can come
      const double native_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      return [tokens, finished, done, step_logits, cache, native_ms](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        if (step_logits.defined()) o.Set("logits", typed_array_over(env, step_logits));
        o.Set("tokens", typed_array_over(env, tokens));
        o.Set("finished", typed_array_over(env, finished));
        o.Set("done", done);
        o.Set("cacheBytes", cache);
        o.Set("nativeMs", native_ms);
        return o;
      };
    }, {Value()});
  });
}

AddonOPTSession::~AddonOPTSession() { release_on_compute_thread(std::move(gen_)); }

Napi::Value AddonOPTSession::Dispose(const Napi::CallbackInfo& info) {
  release_on_compute_thread(std::move(gen_));
  return info.Env().Undefined();
}

// reduceGradients(group, values, { bucketBytes? }): data-parallel gradient averaging (trainable_bindings.h).
Napi::Value AddonOPT::ReduceGradients(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return trainable::reduce_gradients(info, Value(), Live()); });
}

}  // namespace svae
