#include "core/async_task.h"

#include "core/addon_data.h"
#include "core/errors.h"
#include "core/runtime.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace svae {

namespace {

// All native math runs on ONE compute thread, not on libuv's pool: LibTorch parallelizes
// inside each op with OpenMP, and every thread that issues ops owns its own OpenMP team. With
// several issuing threads, idle teams spin while another works and oversubscribe the cores
// (measured: training ~25% slower with libuv's 4 threads). One thread also runs calls in the
// order they were made.
class ComputeThread {
 public:
  static ComputeThread& instance() {
    static ComputeThread* t = new ComputeThread();  // never destroyed: jobs may outlive main()
    return *t;
  }

  void post(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }

 private:
  ComputeThread() : thread_([this] { loop(); }) { thread_.detach(); }

  void loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [this] { return !jobs_.empty(); });
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::thread thread_;
};

// One call in flight: what the compute thread fills in and the main thread settles.
struct Task {
  Napi::Promise::Deferred deferred;
  Work work;
  Finish finish;
  bool failed = false;
  CaughtError error;
  std::vector<Napi::ObjectReference> refs;
  explicit Task(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

void settle(Napi::Env env, Task* task) {
  Napi::HandleScope scope(env);
  if (task->failed) {
    task->deferred.Reject(to_js_error(env, task->error).Value());
    return;
  }
  try {
    task->deferred.Resolve(task->finish ? task->finish(env) : env.Undefined());
  } catch (const Napi::Error& e) {
    task->deferred.Reject(e.Value());
  } catch (...) {
    task->deferred.Reject(to_js_error(env, describe_current_exception()).Value());
  }
}

// The environment's completion channel, created on first use. It is referenced only while calls
// are pending, so an idle addon never keeps the process alive and a pending call always does.
AddonData& channel(Napi::Env env) {
  AddonData& data = addon_data(env);
  if (!data.completions) {
    data.completions = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "svae.completions", 0, 1);
    data.completions.Unref(env);
  }
  return data;
}

}  // namespace

Napi::Promise run_async(Napi::Env env, const char* name, Work work, const std::vector<Napi::Object>& keep_alive) {
  (void)name;
  auto* task = new Task(env);
  task->work = std::move(work);
  for (const auto& object : keep_alive) task->refs.push_back(Napi::Persistent(object));
  Napi::Promise promise = task->deferred.Promise();
  AddonData& data = channel(env);
  if (data.pending++ == 0) data.completions.Ref(env);
  // Each task holds the thread-safe function until it has handed its result back: if the
  // environment shuts down first (process.exit() mid-call), the call is refused, not a crash.
  Napi::ThreadSafeFunction tsfn = data.completions;
  tsfn.Acquire();
  AddonData* owner = &data;
  ComputeThread::instance().post([task, tsfn, owner]() mutable {
    try {
      apply_threads();
      task->finish = task->work();
    } catch (...) {
      task->failed = true;
      task->error = describe_current_exception();
    }
    napi_status status = tsfn.BlockingCall(task, [owner](Napi::Env env, Napi::Function, Task* t) {
      settle(env, t);
      delete t;  // releases the work, the finish and the references on the main thread
      if (--owner->pending == 0) owner->completions.Unref(env);
    });
    // On failure the environment is gone: the task is leaked on purpose (deleting it here would
    // release JS references off the main thread).
    (void)status;
    tsfn.Release();
  });
  return promise;
}

}  // namespace svae
