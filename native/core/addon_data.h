// Per-environment addon state (one per Node.js environment / worker thread).
#pragma once
#include <napi.h>

namespace svae {

struct AddonData {
  Napi::FunctionReference tensor_constructor;
  Napi::FunctionReference svae_constructor;
  Napi::FunctionReference opt_constructor;
  Napi::FunctionReference opt_session_constructor;
};

AddonData& addon_data(Napi::Env env);

}  // namespace svae
