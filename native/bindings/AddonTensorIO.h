#pragma once
#include <napi.h>

namespace svae {
void InitTensorIO(Napi::Env env, Napi::Object exports);
}
