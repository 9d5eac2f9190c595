// Runs heavy native work on the libuv thread pool and settles a Promise on the main thread.
//
// `work` runs on a pool thread and must not touch JS values; it returns a `Finish` that runs
// on the main thread and builds the resolved JS value. Objects passed in `keep_alive` (the
// wrappers the call works on) are held by strong references until the Promise settles, so
// garbage collection cannot finalize them mid-call.
#pragma once
#include <napi.h>

#include <functional>
#include <vector>

namespace svae {

using Finish = std::function<Napi::Value(Napi::Env)>;
using Work = std::function<Finish()>;

Napi::Promise run_async(Napi::Env env, const char* name, Work work, const std::vector<Napi::Object>& keep_alive = {});

}  // namespace svae
