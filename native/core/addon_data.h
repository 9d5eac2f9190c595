// Per-environment addon state (one per Node.js environment / worker thread).
#pragma once
#include <napi.h>

namespace svae {

struct AddonData {
  // Brings finished native calls back to this environment's main thread (core/async_task.cc).
  Napi::ThreadSafeFunction completions;
  size_t pending = 0;  // calls in flight; the function is referenced only while > 0

  Napi::FunctionReference tensor_constructor;
  Napi::FunctionReference svae_constructor;
  Napi::FunctionReference opt_constructor;
  Napi::FunctionReference opt_session_constructor;
};

AddonData& addon_data(Napi::Env env);

}  // namespace svae
