// Error vocabulary of the native layer (pure C++: the translation into JS errors is
// bindings/js_errors.h). Every exception that leaves native code becomes a JS Error with a
// `code` the TypeScript layer maps onto its typed error classes (lib/errors/).
#pragma once

#include <stdexcept>
#include <string>

namespace svae {

enum class ErrorCode { InvalidArgument, Shape, DType, Device, Disposed, Torch, Native, Distributed };

const char* error_code_name(ErrorCode code);

struct Error : std::runtime_error {
  ErrorCode code;
  Error(ErrorCode c, const std::string& message) : std::runtime_error(message), code(c) {}
};

[[noreturn]] inline void fail(ErrorCode code, const std::string& message) { throw Error(code, message); }

// A caught exception reduced to data, so it can cross from a worker thread to the main thread.
struct CaughtError {
  std::string code;
  std::string message;
};

// Call only inside a catch block: describes the exception being handled.
CaughtError describe_current_exception();

}  // namespace svae
