// Runs tasks on a fixed set of workers: the one place the pipelines create threads.
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
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

}  // namespace omsbackup
