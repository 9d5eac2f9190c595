#pragma once
#include <napi.h>

namespace svae {
void InitRuntime(Napi::Env env, Napi::Object exports);
}
