// Runs tasks on a fixed set of workers: the one place the pipelines create threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace omsbackup {

// Runs fn(worker, task) for every task in [0, tasks) on `workers` threads, tasks in
// order, each worker taking the next free task. The first exception stops the
// handing out of tasks and is rethrown once every thread has finished. `stop` is
// also set then, so long tasks can watch it and end early.
inline void run_on_workers(std::size_t workers, std::size_t tasks,
                           const std::function<void(std::size_t worker, std::size_t task)>& fn,
                           std::atomic<bool>& stop) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (std::size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      while (!stop) {
        std::size_t i = next.fetch_add(1);
        if (i >= tasks) break;
        try {
          fn(w, i);
        } catch (...) {
          std::lock_guard lock(mu);
          if (!failure) failure = std::current_exception();
          stop = true;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
}

// Tasks that may add further tasks (a table's indexes once its last chunk is loaded, its
// proof once it is indexed), run on a fixed set of workers without a barrier between
// stages. A free worker takes the queued task of the highest priority, the oldest first
// among equals, except that it passes over a task whose group (if it has one) is running
// on another worker while some other queued task's is not: two loads into one InnoDB
// table mostly wait for each other (docs/benchmarks.md). If every queued task's group is
// busy, it takes the first anyway rather than idle. run() returns when no task is queued
// or running; the first exception sets `stop`, so no further task starts, and is rethrown
// once every thread has finished.
class TaskGraph {
 public:
  using Task = std::function<void(std::size_t worker)>;
  static constexpr std::size_t kNoGroup = static_cast<std::size_t>(-1);

  // Thread-safe; tasks may call it.
  void add(int priority, Task task, std::size_t group = kNoGroup) {
    {
      std::lock_guard lock(mu_);
      queue_.emplace(std::make_pair(-priority, seq_++), Entry{std::move(task), group});
    }
    cv_.notify_one();
  }

  void run(std::size_t workers, std::atomic<bool>& stop) {
    std::vector<std::thread> threads;
    for (std::size_t w = 0; w < workers; ++w) threads.emplace_back([this, w, &stop] { work(w, stop); });
    for (auto& t : threads) t.join();
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  void work(std::size_t w, std::atomic<bool>& stop) {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stop || !queue_.empty() || running_ == 0; });
      if (stop || queue_.empty()) break;  // stopped, or nothing queued and nothing running
      auto it = queue_.begin();
      for (auto c = queue_.begin(); c != queue_.end(); ++c)
        if (c->second.group == kNoGroup || busy_groups_.count(c->second.group) == 0) {
          it = c;
          break;
        }
      Task task = std::move(it->second.task);
      std::size_t group = it->second.group;
      queue_.erase(it);
      if (group != kNoGroup) ++busy_groups_[group];
      ++running_;
      lock.unlock();
      try {
        task(w);
      } catch (...) {
        std::lock_guard failed(mu_);
        if (!failure_) failure_ = std::current_exception();
        stop = true;
      }
      lock.lock();
      if (group != kNoGroup && --busy_groups_[group] == 0) busy_groups_.erase(group);
      --running_;
      cv_.notify_all();  // a task ended: new tasks, or the end of the graph
    }
    cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  struct Entry {
    Task task;
    std::size_t group;
  };
  std::map<std::pair<int, std::size_t>, Entry> queue_;  // (-priority, sequence) -> task
  std::map<std::size_t, std::size_t> busy_groups_;      // group -> its tasks running now
  std::size_t seq_ = 0;
  std::size_t running_ = 0;
  std::exception_ptr failure_;
};

}  // namespace omsbackup
