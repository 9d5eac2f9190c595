// Precompiled header for the addon: LibTorch's and Node-API's headers dominate compile time.
#pragma once
#include <torch/torch.h>
#include <napi.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>
