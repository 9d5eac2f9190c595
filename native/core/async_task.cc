#include "core/async_task.h"

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

// Per environment: the thread-safe function that brings finished tasks back to the main
// thread. It is referenced only while tasks are pending, so an idle addon never keeps the
// process alive, and a pending call always does.
struct Completions {
  Napi::ThreadSafeFunction tsfn;
  size_t pending = 0;
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

Completions& completions(Napi::Env env) {
  auto* c = env.GetInstanceData<Completions>();
  (void)c;
  static thread_local Completions* cached = nullptr;  // one env per JS thread
  if (cached == nullptr) {
    cached = new Completions();
    cached->tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "svae.completions", 0, 1);
    cached->tsfn.Unref(env);
  }
  return *cached;
}

}  // namespace

Napi::Promise run_async(Napi::Env env, const char* name, Work work, const std::vector<Napi::Object>& keep_alive) {
  (void)name;
  auto* task = new Task(env);
  task->work = std::move(work);
  for (const auto& object : keep_alive) task->refs.push_back(Napi::Persistent(object));
  Napi::Promise promise = task->deferred.Promise();
  Completions& c = completions(env);
  if (c.pending++ == 0) c.tsfn.Ref(env);
  Completions* cp = &c;
  ComputeThread::instance().post([task, cp] {
    try {
      apply_threads();
      task->finish = task->work();
    } catch (...) {
      task->failed = true;
      task->error = describe_current_exception();
    }
    auto status = cp->tsfn.BlockingCall(task, [cp](Napi::Env env, Napi::Function, Task* t) {
      settle(env, t);
      delete t;  // releases the work, the finish and the references on the main thread
      if (--cp->pending == 0) cp->tsfn.Unref(env);
    });
    if (status != napi_ok) {
      // The environment is shutting down: nothing can be settled. The task is leaked on
      // purpose; deleting it here would release JS references off the main thread.
    }
  });
  return promise;
}

}  // namespace svae
