#include "bindings/args.h"

#include "bindings/js_errors.h"

#include <cmath>

namespace svae::args {

std::string describe(const Napi::Value& value) {
  switch (value.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return std::string(value.As<Napi::Boolean>() ? "true" : "false") + " of type boolean";
    case napi_number: return value.ToString().Utf8Value() + " of type number";
    case napi_string: return "'" + value.As<Napi::String>().Utf8Value() + "' of type string";
    case napi_bigint: return value.ToString().Utf8Value() + " of type bigint";
    case napi_function: return "a function";
    default:
      if (value.IsArray()) return "an array";
      if (value.IsTypedArray()) return "a TypedArray";
      return "an object";
  }
}

namespace {
Napi::Value at(const Napi::CallbackInfo& info, size_t index) { return index < info.Length() ? info[index] : info.Env().Undefined(); }

[[noreturn]] void expected(const char* what, const char* name, const Napi::Value& got) {
  fail(ErrorCode::InvalidArgument, std::string("Expected ") + what + " for " + name + " but received " + describe(got));
}
}  // namespace

std::string string(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value v = at(info, index);
  if (!v.IsString()) expected("string", name, v);
  return v.As<Napi::String>().Utf8Value();
}

int64_t integer(const Napi::CallbackInfo& info, size_t index, const char* name, int64_t min, int64_t max) {
  Napi::Value v = at(info, index);
  if (!v.IsNumber()) expected("integer", name, v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < static_cast<double>(min) || d > static_cast<double>(max)) {
    fail(ErrorCode::InvalidArgument, std::string("Expected integer between ") + std::to_string(min) + " and " +
                                         std::to_string(max) + " for " + name + " but received " + describe(v));
  }
  return static_cast<int64_t>(d);
}

double number(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value v = at(info, index);
  if (!v.IsNumber()) expected("number", name, v);
  return v.As<Napi::Number>().DoubleValue();
}

bool boolean(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value v = at(info, index);
  if (!v.IsBoolean()) expected("boolean", name, v);
  return v.As<Napi::Boolean>();
}

std::vector<int64_t> shape(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value v = at(info, index);
  if (!v.IsArray()) expected("array of non-negative integers", name, v);
  Napi::Array array = v.As<Napi::Array>();
  std::vector<int64_t> dims;
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value d = array.Get(i);
    double x = d.IsNumber() ? d.As<Napi::Number>().DoubleValue() : -1;
    if (!d.IsNumber() || !std::isfinite(x) || x < 0 || std::floor(x) != x || x > 9.0e15) {
      fail(ErrorCode::Shape, std::string("Expected non-negative integer for ") + name + "[" + std::to_string(i) +
                                 "] but received " + describe(d));
    }
    dims.push_back(static_cast<int64_t>(x));
  }
  return dims;
}

Napi::Object object(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value v = at(info, index);
  if (!v.IsObject() || v.IsArray()) expected("object", name, v);
  return v.As<Napi::Object>();
}

}  // namespace svae::args

namespace svae::args {

namespace {
bool absent(const Napi::Value& v) { return v.IsUndefined() || v.IsNull(); }
}  // namespace

double opt_number(const Napi::Object& o, const char* key, double fallback, double min, double max) {
  Napi::Value v = o.Get(key);
  if (absent(v)) return fallback;
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!v.IsNumber() || !std::isfinite(d) || d < min || d > max) {
    fail(ErrorCode::InvalidArgument, std::string("Expected number between ") + std::to_string(min) + " and " + std::to_string(max) +
                                         " for " + key + " but received " + describe(v));
  }
  return d;
}

int64_t opt_integer(const Napi::Object& o, const char* key, int64_t fallback, int64_t min, int64_t max) {
  Napi::Value v = o.Get(key);
  if (absent(v)) return fallback;
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!v.IsNumber() || !std::isfinite(d) || std::floor(d) != d || d < static_cast<double>(min) || d > static_cast<double>(max)) {
    fail(ErrorCode::InvalidArgument, std::string("Expected integer between ") + std::to_string(min) + " and " + std::to_string(max) +
                                         " for " + key + " but received " + describe(v));
  }
  return static_cast<int64_t>(d);
}

bool opt_boolean(const Napi::Object& o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  if (absent(v)) return fallback;
  if (!v.IsBoolean()) fail(ErrorCode::InvalidArgument, std::string("Expected boolean for ") + key + " but received " + describe(v));
  return v.As<Napi::Boolean>();
}

std::string opt_string(const Napi::Object& o, const char* key, const std::string& fallback) {
  Napi::Value v = o.Get(key);
  if (absent(v)) return fallback;
  if (!v.IsString()) fail(ErrorCode::InvalidArgument, std::string("Expected string for ") + key + " but received " + describe(v));
  return v.As<Napi::String>().Utf8Value();
}

}  // namespace svae::args
