// The training calls every trainable native model shares (SentenceVAE, OPT, SLLM): a model
// state with an optimizer, EMA and RNG, and the JS methods over it. Each Addon class keeps its
// own forward/loss and forwards the rest here, so the optimizer surface is one contract.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include "bindings/addon_data.h"
#include "bindings/args.h"
#include "bindings/async_task.h"
#include "bindings/js_errors.h"
#include "core/runtime.h"
#include "model/dropout.h"
#include "model/mode_scope.h"
#include "train/training.h"

#include <memory>
#include <mutex>

namespace svae {

struct TrainableState {
  virtual ~TrainableState() = default;
  virtual torch::nn::Module& module() = 0;
  torch::Device device{torch::kCPU};
  at::ScalarType dtype = at::kFloat;
  std::unique_ptr<Training> training;
  at::Generator rng;  // the model's own stream: dropout (RngScope)
  std::mutex mutex;   // calls on one model are serialized
};

namespace trainable {

TrainingOptions read_options(const Napi::Object& o);

// The static create(config, device, dtype, seed) every model class has: reads the placement and
// seed from info[1..3], then off the main thread builds the model with `build(state)` under the
// init mutex (initialization draws from LibTorch's global generator), moves it to its device
// and dtype, seeds its own generator, and wraps it with the class stored in AddonData::*ctor.
template <class State, class Build>
Napi::Value create(const Napi::CallbackInfo& info, const char* name, Napi::FunctionReference AddonData::*ctor, Build build) {
  const ModelPlacement placement = model_placement(args::string(info, 1, "device"), args::string(info, 2, "dtype"));
  const auto seed = static_cast<uint64_t>(args::integer(info, 3, "seed", 0, 9007199254740991LL));
  return run_async(info.Env(), name, [placement, seed, build, ctor]() -> Finish {
    auto state = std::make_shared<State>();
    {
      std::lock_guard<std::mutex> lock(init_mutex());
      torch::manual_seed(seed);
      build(*state);
    }
    state->module().to(placement.device, placement.dtype);
    state->module().eval();
    state->rng = make_generator(placement.device, seed);
    state->device = placement.device;
    state->dtype = placement.dtype;
    return [state, ctor](Napi::Env env) -> Napi::Value {
      auto holder = state;
      return (addon_data(env).*ctor).New({Napi::External<std::shared_ptr<State>>::New(env, &holder)});
    };
  });
}

// Forward (train mode, the model's RNG, autocast when on) then backward × scale. The caller
// holds the state's mutex. `forward` returns a struct with a `loss` tensor (the per-token mean,
// reported); with lossReduction 'sentence' the gradient is that of per_sentence_loss(r).
// Train mode lasts exactly as long as the forward: a ModeScope restores eval mode also when the
// forward throws, so a failed step never leaves dropout on for inference. Models are created
// in eval mode and this is the only place that turns training mode on.
template <class Forward>
auto accumulate_locked(TrainableState& s, double scale, Forward&& forward) -> decltype(forward()) {
  if (!s.training) fail(ErrorCode::InvalidArgument, "call configureTraining() before training steps");
  decltype(forward()) r;
  {
    ModeScope mode(s.module(), true);
    RngScope rng(s.rng);
    Training::ForwardScope amp(*s.training);
    r = forward();
  }
  s.training->backward(s.training->sentence_reduction() ? per_sentence_loss(r) : r.loss, scale);
  return r;
}

// JS methods, `self` is the wrapper (kept alive by the call). Same signatures as
// NativeSentenceVAE's in lib/native/contract.ts.
Napi::Value configure(const Napi::CallbackInfo& info, Napi::Object self, std::shared_ptr<TrainableState> state);
Napi::Value apply_step(const Napi::CallbackInfo& info, Napi::Object self, std::shared_ptr<TrainableState> state);
Napi::Value state(const Napi::CallbackInfo& info, Napi::Object self, std::shared_ptr<TrainableState> state);
Napi::Value load_state(const Napi::CallbackInfo& info, Napi::Object self, std::shared_ptr<TrainableState> state);
Napi::Value swap_ema(const Napi::CallbackInfo& info, Napi::Object self, std::shared_ptr<TrainableState> state);
Napi::Value named_tensors(const Napi::CallbackInfo& info, std::shared_ptr<TrainableState> state);
// loadTensors(tensors, { partial? }): partial keeps parameters the object does not name.
Napi::Value load_tensors(const Napi::CallbackInfo& info, Napi::Object self, std::shared_ptr<TrainableState> state);
// setTrainable(prefixes: string[], trainable: boolean): requires_grad of parameters whose name
// starts with one of the prefixes; drops any optimizer state (configureTraining takes the
// trainable set as it is then). Returns how many parameters matched.
Napi::Value set_trainable(const Napi::CallbackInfo& info, std::shared_ptr<TrainableState> state);
// reduceGradients(group: NativeProcessGroup, values: Float64Array, { bucketBytes? }) ->
// Promise<{ values: Float64Array, seconds }>: averages the accumulated gradients over the
// group's ranks (bucketed all-reduce, in place) and sums `values` (the step's loss statistics
// and stop votes) over the ranks in the same call; a rank whose step had a non-finite loss
// makes every rank skip it. `seconds`: wall time of the reduction.
Napi::Value reduce_gradients(const Napi::CallbackInfo& info, Napi::Object self, std::shared_ptr<TrainableState> state);
Napi::Value parameter_count(const Napi::CallbackInfo& info, std::shared_ptr<TrainableState> state);

}  // namespace trainable
}  // namespace svae
