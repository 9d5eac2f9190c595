#include "bindings/js_errors.h"

namespace svae {

Napi::Error to_js_error(Napi::Env env, const CaughtError& error) {
  Napi::Error js = Napi::Error::New(env, error.message);
  js.Set("code", Napi::String::New(env, error.code));
  return js;
}

}  // namespace svae
