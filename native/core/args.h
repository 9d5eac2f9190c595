// Reading JS arguments with sharp-style errors: "Expected X for NAME but received Y".
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace svae::args {

std::string describe(const Napi::Value& value);  // "-3 of type number", "an object", ...
std::string string(const Napi::CallbackInfo& info, size_t index, const char* name);
int64_t integer(const Napi::CallbackInfo& info, size_t index, const char* name, int64_t min, int64_t max);
double number(const Napi::CallbackInfo& info, size_t index, const char* name);
bool boolean(const Napi::CallbackInfo& info, size_t index, const char* name);
std::vector<int64_t> shape(const Napi::CallbackInfo& info, size_t index, const char* name);
Napi::Object object(const Napi::CallbackInfo& info, size_t index, const char* name);

}  // namespace svae::args
