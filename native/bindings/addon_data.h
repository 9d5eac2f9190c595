// Per-environment addon state (one per Node.js environment / worker thread).
#pragma once
#include <napi.h>

namespace svae {

struct CompletionChannel;

struct AddonData {
  // Brings finished native calls back to this environment's main thread (core/async_task.cc;
  // never freed: the compute thread may look at it after the environment is gone).
  struct CompletionChannel* completions = nullptr;

  Napi::FunctionReference tensor_constructor;
  Napi::FunctionReference svae_constructor;
  Napi::FunctionReference opt_constructor;
  Napi::FunctionReference opt_session_constructor;
  Napi::FunctionReference sllm_constructor;
  Napi::FunctionReference sllm_session_constructor;
  Napi::FunctionReference opt_slots_constructor;
  Napi::FunctionReference sllm_slots_constructor;
  Napi::FunctionReference process_group_constructor;
};

AddonData& addon_data(Napi::Env env);

}  // namespace svae
