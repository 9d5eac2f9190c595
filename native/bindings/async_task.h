// Runs heavy native work on the libuv thread pool and settles a Promise on the main thread.
//
// `work` runs on a pool thread and must not touch JS values; it returns a `Finish` that runs
// on the main thread and builds the resolved JS value. Objects passed in `keep_alive` (the
// wrappers the call works on) are held by strong references until the Promise settles, so
// garbage collection cannot finalize them mid-call.
#pragma once
#include <napi.h>
#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>
#include <vector>

namespace svae {

using Finish = std::function<Napi::Value(Napi::Env)>;
using Work = std::function<Finish()>;

Napi::Promise run_async(Napi::Env env, const char* name, Work work, const std::vector<Napi::Object>& keep_alive = {});

// Drops `tensor` on the compute thread, after the calls already queued: freeing a large tensor
// (OPT's 154 MB token embedding after a load) takes tens of milliseconds that the event loop
// would otherwise wait for. Only for tensors whose memory is LibTorch's (no JS memory borrowed).
void release_on_compute_thread(at::Tensor tensor);

// Queues `job` on the compute thread, after the calls already queued.
void run_on_compute_thread(std::function<void()> job);

// Drops this reference to `object` on the compute thread: a model's state (its weights, its
// optimizer, its KV caches) is hundreds of MB whose free took 100-180 ms of the event loop in
// dispose() at 125m. Only for objects that hold no JS values.
template <class T>
void release_on_compute_thread(std::shared_ptr<T> object) {
  if (object) run_on_compute_thread([o = std::move(object)]() mutable { o.reset(); });
}

}  // namespace svae
