#include "core/async_task.h"

#include "core/errors.h"
#include "core/runtime.h"

namespace svae {

namespace {

class TaskWorker : public Napi::AsyncWorker {
 public:
  TaskWorker(Napi::Env env, const char* name, Work work, const std::vector<Napi::Object>& keep_alive)
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)) {
    for (const auto& object : keep_alive) refs_.push_back(Napi::Persistent(object));
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      apply_threads();
      finish_ = work_();
    } catch (...) {
      error_ = describe_current_exception();
      SetError(error_.message);
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    try {
      deferred_.Resolve(finish_ ? finish_(env) : env.Undefined());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (...) {
      deferred_.Reject(to_js_error(env, describe_current_exception()).Value());
    }
  }

  void OnError(const Napi::Error&) override {
    Napi::HandleScope scope(Env());
    deferred_.Reject(to_js_error(Env(), error_).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Work work_;      // destroyed with the worker, on the main thread
  Finish finish_;  // idem
  CaughtError error_;
  std::vector<Napi::ObjectReference> refs_;
};

}  // namespace

Napi::Promise run_async(Napi::Env env, const char* name, Work work, const std::vector<Napi::Object>& keep_alive) {
  auto* worker = new TaskWorker(env, name, std::move(work), keep_alive);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace svae
