#include "bindings/AddonDistributed.h"

#include "bindings/addon_data.h"
#include "bindings/args.h"
#include "bindings/async_task.h"
#include "bindings/js_errors.h"
#include "bindings/module_bridge.h"
#include "core/errors.h"

namespace svae {

void AddonDistributed::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "NativeProcessGroup",
                                    {
                                        StaticMethod<&AddonDistributed::Create>("create"),
                                        StaticMethod<&AddonDistributed::NcclAvailable>("ncclAvailable"),
                                        InstanceMethod<&AddonDistributed::Barrier>("barrier"),
                                        InstanceMethod<&AddonDistributed::AllReduce>("allReduce"),
                                        InstanceMethod<&AddonDistributed::Broadcast>("broadcast"),
                                        InstanceMethod<&AddonDistributed::Dispose>("dispose"),
                                    });
  addon_data(env).process_group_constructor = Napi::Persistent(ctor);
  exports.Set("NativeProcessGroup", ctor);
}

AddonDistributed::AddonDistributed(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonDistributed>(info) {
  guard(info.Env(), [&] {
    if (info.Length() < 1 || !info[0].IsExternal()) fail(ErrorCode::InvalidArgument, "NativeProcessGroup is created with NativeProcessGroup.create()");
    group_ = *info[0].As<Napi::External<std::shared_ptr<dist::Group>>>().Data();
  });
}

std::shared_ptr<dist::Group> AddonDistributed::Live() const {
  if (!group_) fail(ErrorCode::Disposed, "This DistributedContext has been disposed");
  return group_;
}

std::shared_ptr<dist::Group> AddonDistributed::From(Napi::Env env, const Napi::Value& value, const char* name) {
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(addon_data(env).process_group_constructor.Value())) {
    fail(ErrorCode::InvalidArgument, std::string("Expected a NativeProcessGroup for ") + name + " but received " + args::describe(value));
  }
  return Unwrap(value.As<Napi::Object>())->Live();
}

// create({ masterAddr, port, rank, worldSize, backend, timeoutMs, connectTimeoutMs, threads }) -> Promise<NativeProcessGroup>
// The rendezvous runs on the compute thread: one rank per process (as torchrun), never two
// ranks of one group in one process (the second would wait behind the first until the timeout).
Napi::Value AddonDistributed::Create(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Object o = args::object(info, 0, "options");
    dist::GroupOptions g;
    g.master_addr = args::opt_string(o, "masterAddr", "127.0.0.1");
    g.port = static_cast<int>(args::opt_integer(o, "port", 29500, 1, 65535));
    g.world_size = static_cast<int>(args::opt_integer(o, "worldSize", 1, 1, 1 << 20));
    g.rank = static_cast<int>(args::opt_integer(o, "rank", 0, 0, g.world_size - 1));
    g.backend = args::opt_string(o, "backend", "gloo");
    g.timeout = std::chrono::milliseconds(args::opt_integer(o, "timeoutMs", 1800 * 1000, 1, 1LL << 40));
    g.connect_timeout = std::chrono::milliseconds(args::opt_integer(o, "connectTimeoutMs", g.timeout.count(), 1, 1LL << 40));
    g.gloo_threads = static_cast<int>(args::opt_integer(o, "threads", 1, 1, 64));
    return run_async(info.Env(), "svae.dist.create", [g]() -> Finish {
      auto group = std::make_shared<dist::Group>(g);
      return [group](Napi::Env env) -> Napi::Value {
        auto holder = group;
        return addon_data(env).process_group_constructor.New({Napi::External<std::shared_ptr<dist::Group>>::New(env, &holder)});
      };
    });
  });
}

Napi::Value AddonDistributed::NcclAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), dist::nccl_available());
}

// barrier() -> Promise<void>
Napi::Value AddonDistributed::Barrier(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto group = Live();
    return run_async(info.Env(), "svae.dist.barrier", [group]() -> Finish {
      group->barrier();
      return nullptr;
    }, {Value()});
  });
}

namespace {
std::vector<torch::Tensor> tensor_list(const std::map<std::string, torch::Tensor>& named) {
  std::vector<torch::Tensor> out;
  for (const auto& [name, t] : named) out.push_back(t);  // std::map: the same (sorted) order on every rank
  return out;
}
}  // namespace

// allReduce({ name: NativeTensor }, op: 'sum' | 'mean') -> Promise<void>: in place. Every rank
// must pass the same names with the same shapes and dtypes.
Napi::Value AddonDistributed::AllReduce(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto group = Live();
    Napi::Object given = args::object(info, 0, "tensors");
    const std::string op = args::string(info, 1, "op");
    if (op != "sum" && op != "mean") fail(ErrorCode::InvalidArgument, "Expected 'sum' or 'mean' for op but received '" + op + "'");
    auto named = read_named_tensors(given);
    return run_async(info.Env(), "svae.dist.allReduce", [group, named, op]() -> Finish {
      auto list = tensor_list(named);
      group->all_reduce(list, op == "mean");
      return nullptr;
    }, {Value(), given});
  });
}

// broadcast({ name: NativeTensor }, root) -> Promise<void>: root's values copied into every rank's.
Napi::Value AddonDistributed::Broadcast(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto group = Live();
    Napi::Object given = args::object(info, 0, "tensors");
    const int root = static_cast<int>(args::integer(info, 1, "root", 0, group->world_size() - 1));
    auto named = read_named_tensors(given);
    return run_async(info.Env(), "svae.dist.broadcast", [group, named, root]() -> Finish {
      auto list = tensor_list(named);
      group->broadcast(list, root);
      return nullptr;
    }, {Value(), given});
  });
}

// dispose(): drops this wrapper's reference; the group closes when the last call in flight ends.
Napi::Value AddonDistributed::Dispose(const Napi::CallbackInfo& info) {
  group_.reset();
  return info.Env().Undefined();
}

}  // namespace svae
