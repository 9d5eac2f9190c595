#include "bindings/addon_data.h"

namespace svae {

AddonData& addon_data(Napi::Env env) {
  auto* data = env.GetInstanceData<AddonData>();
  if (data == nullptr) {
    data = new AddonData();
    env.SetInstanceData(data);  // deleted by Node when the environment shuts down
  }
  return *data;
}

}  // namespace svae
