// Train/eval mode of a module for one scope, restored when the scope ends, also when it ends
// by an exception: a training forward that throws (a batch longer than maxTokens, an id out of
// range) must not leave dropout on for the next inference call.
#pragma once
#include <torch/torch.h>

namespace svae {

class ModeScope {
 public:
  ModeScope(torch::nn::Module& module, bool training) : module_(module), previous_(module.is_training()) {
    if (previous_ != training) module_.train(training);
  }
  ~ModeScope() {
    if (module_.is_training() != previous_) module_.train(previous_);
  }
  ModeScope(const ModeScope&) = delete;
  ModeScope& operator=(const ModeScope&) = delete;

 private:
  torch::nn::Module& module_;
  bool previous_;
};

}  // namespace svae
