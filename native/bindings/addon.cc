// Addon entry point: registers the native classes and functions, nothing else.
#include <napi.h>

#include "bindings/AddonDistributed.h"
#include "bindings/AddonOPT.h"
#include "bindings/AddonSLLM.h"
#include "bindings/AddonSlots.h"
#include "bindings/AddonSentenceVAE.h"
#include "bindings/AddonTensor.h"
#include "bindings/AddonTensorIO.h"
#include "bindings/kernel_bindings.h"
#include "bindings/ops.h"
#include "bindings/runtime_bindings.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  svae::InitRuntime(env, exports);
  svae::AddonTensor::Init(env, exports);
  svae::InitOps(env, exports);
  svae::InitKernels(env, exports);
  svae::InitTensorIO(env, exports);
  svae::AddonSentenceVAE::Init(env, exports);
  svae::AddonOPT::Init(env, exports);
  svae::AddonOPTSession::Init(env, exports);
  svae::AddonSLLM::Init(env, exports);
  svae::AddonSLLMSession::Init(env, exports);
  svae::AddonOPTSlots::Init(env, exports);
  svae::AddonSLLMSlots::Init(env, exports);
  svae::AddonDistributed::Init(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(sentencevae, Init)
