#include "core/errors.h"

#include "core/torch_shim.h"

namespace svae {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return "ERR_SVAE_INVALID_ARGUMENT";
    case ErrorCode::Shape: return "ERR_SVAE_SHAPE";
    case ErrorCode::DType: return "ERR_SVAE_DTYPE";
    case ErrorCode::Device: return "ERR_SVAE_DEVICE";
    case ErrorCode::Disposed: return "ERR_SVAE_DISPOSED";
    case ErrorCode::Torch: return "ERR_SVAE_TORCH";
    case ErrorCode::Native: return "ERR_SVAE_NATIVE";
    case ErrorCode::Distributed: return "ERR_SVAE_DISTRIBUTED";
  }
  return "ERR_SVAE_NATIVE";
}

CaughtError describe_current_exception() {
  try {
    throw;
  } catch (const Error& e) {
    return {error_code_name(e.code), e.what()};
  } catch (const c10::Error& e) {
    return {error_code_name(ErrorCode::Torch), shim::clean_torch_message(e)};
  } catch (const std::bad_alloc&) {
    return {error_code_name(ErrorCode::Native), "out of memory"};
  } catch (const std::exception& e) {
    return {error_code_name(ErrorCode::Native), e.what()};
  } catch (...) {
    return {error_code_name(ErrorCode::Native), "unknown native exception"};
  }
}

}  // namespace svae
