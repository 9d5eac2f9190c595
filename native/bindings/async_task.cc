#include "bindings/async_task.h"

#include "bindings/addon_data.h"
#include "bindings/js_errors.h"
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

}  // namespace

// One per environment. The thread-safe function is referenced only while calls are pending, so
// an idle addon never keeps the process alive and a pending call always does. Node frees the
// function when the environment is torn down, whatever threads still hold it: the compute thread
// therefore announces each call into it (in_call), and a cleanup hook, which runs before the
// function's own teardown, closes the channel and waits for calls in progress to finish.
struct CompletionChannel {
  Napi::ThreadSafeFunction tsfn;
  size_t pending = 0;  // main thread only
  std::mutex mutex;
  std::condition_variable idle;
  int in_call = 0;
  bool closed = false;
};

namespace {

CompletionChannel& channel(Napi::Env env) {
  AddonData& data = addon_data(env);
  if (data.completions == nullptr) {
    auto* c = new CompletionChannel();  // never freed (see above)
    c->tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "svae.completions", 0, 1);
    c->tsfn.Unref(env);
    napi_add_env_cleanup_hook(
        env,
        [](void* arg) {
          auto* c = static_cast<CompletionChannel*>(arg);
          std::unique_lock<std::mutex> lock(c->mutex);
          c->closed = true;
          c->idle.wait(lock, [c] { return c->in_call == 0; });
        },
        c);
    data.completions = c;
  }
  return *data.completions;
}

}  // namespace

void run_on_compute_thread(std::function<void()> job) { ComputeThread::instance().post(std::move(job)); }

void release_on_compute_thread(at::Tensor tensor) {
  // The job owns the last reference; it is destroyed (and the memory freed) on the compute thread.
  ComputeThread::instance().post([t = std::move(tensor)]() {});
}

Napi::Promise run_async(Napi::Env env, const char* name, Work work, const std::vector<Napi::Object>& keep_alive) {
  (void)name;
  auto* task = new Task(env);
  task->work = std::move(work);
  for (const auto& object : keep_alive) task->refs.push_back(Napi::Persistent(object));
  Napi::Promise promise = task->deferred.Promise();
  CompletionChannel* c = &channel(env);
  if (c->pending++ == 0) c->tsfn.Ref(env);
  ComputeThread::instance().post([task, c] {
    try {
      apply_threads();
      task->finish = task->work();
    } catch (...) {
      task->failed = true;
      task->error = describe_current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(c->mutex);
      if (c->closed) return;  // the environment is gone: the task is leaked on purpose
      c->in_call++;
    }
    c->tsfn.BlockingCall(task, [c](Napi::Env env, Napi::Function, Task* t) {
      settle(env, t);
      delete t;  // releases the work, the finish and the references on the main thread
      if (--c->pending == 0) c->tsfn.Unref(env);
    });
    std::lock_guard<std::mutex> lock(c->mutex);
    c->in_call--;
    c->idle.notify_all();
  });
  return promise;
}

}  // namespace svae
