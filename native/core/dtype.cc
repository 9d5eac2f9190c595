#include "core/dtype.h"

#include "core/errors.h"

namespace svae {

namespace {
struct DTypeName {
  const char* name;
  at::ScalarType type;
};

constexpr DTypeName kDTypes[] = {
    {"float32", at::kFloat}, {"float64", at::kDouble}, {"float16", at::kHalf}, {"bfloat16", at::kBFloat16},
    {"int8", at::kChar},     {"int16", at::kShort},    {"int32", at::kInt},    {"int64", at::kLong},
    {"uint8", at::kByte},    {"bool", at::kBool},
};
}  // namespace

at::ScalarType parse_dtype(const std::string& name) {
  for (const auto& e : kDTypes)
    if (name == e.name) return e.type;
  fail(ErrorCode::DType,
       "Expected dtype float32, float64, float16, bfloat16, int8, int16, int32, int64, uint8 or bool but received '" + name + "'");
}

std::string dtype_name(at::ScalarType type) {
  for (const auto& e : kDTypes)
    if (type == e.type) return e.name;
  return c10::toString(type);
}

}  // namespace svae
