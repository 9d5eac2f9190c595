// The native error vocabulary (core/errors.h) turned into JS errors: nothing may abort, every
// exception that reaches the Node-API boundary becomes an Error with a `code`.
#pragma once
#include <napi.h>

#include "core/errors.h"

namespace svae {

Napi::Error to_js_error(Napi::Env env, const CaughtError& error);

// Runs `fn` on the main thread, turning any C++ exception into a thrown JS error.
template <class F>
auto guard(Napi::Env env, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw to_js_error(env, describe_current_exception());
  }
}

}  // namespace svae
