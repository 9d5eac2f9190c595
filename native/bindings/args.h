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

namespace svae::args {

// Optional fields of an options object; `name` is the field's name in error messages.
double opt_number(const Napi::Object& o, const char* key, double fallback, double min, double max);
int64_t opt_integer(const Napi::Object& o, const char* key, int64_t fallback, int64_t min, int64_t max);
bool opt_boolean(const Napi::Object& o, const char* key, bool fallback);
std::string opt_string(const Napi::Object& o, const char* key, const std::string& fallback);

}  // namespace svae::args
