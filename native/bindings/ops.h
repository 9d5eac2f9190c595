#pragma once
#include <napi.h>

namespace svae {
void InitOps(Napi::Env env, Napi::Object exports);
}
