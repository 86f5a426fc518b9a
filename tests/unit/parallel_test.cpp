#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "util/parallel.h"

using namespace omsbackup;

TEST_CASE("task graph: one worker takes the highest priority first, oldest among equals",
          "[parallel]") {
  TaskGraph g;
  std::vector<std::string> order;
  g.add(0, [&](std::size_t) { order.push_back("low"); });
  g.add(1, [&](std::size_t) {
    order.push_back("mid-a");
    g.add(2, [&](std::size_t) { order.push_back("high, added by mid-a"); });
  });
  g.add(1, [&](std::size_t) { order.push_back("mid-b"); });
  std::atomic<bool> stop{false};
  g.run(1, stop);
  CHECK(order == std::vector<std::string>{"mid-a", "high, added by mid-a", "mid-b", "low"});
  CHECK_FALSE(stop);
}

TEST_CASE("task graph: tasks added by running tasks all run, on every worker", "[parallel]") {
  // A chain that fans out: each task adds two children until depth 10 (2047 tasks). A worker
  // that finds the queue empty while others still run must wait, not leave.
  TaskGraph g;
  std::atomic<int> ran{0};
  std::mutex mu;
  std::vector<int> per_worker(4, 0);
  std::function<void(int)> spawn = [&](int depth) {
    g.add(depth, [&, depth](std::size_t w) {
      ++ran;
      {
        std::lock_guard lock(mu);
        ++per_worker.at(w);
      }
      if (depth < 10) {
        spawn(depth + 1);
        spawn(depth + 1);
      }
    });
  };
  spawn(0);
  std::atomic<bool> stop{false};
  g.run(4, stop);
  CHECK(ran == 2047);
  int sum = 0;
  for (int n : per_worker) sum += n;
  CHECK(sum == 2047);
}

TEST_CASE("task graph: the first exception stops the graph and is rethrown", "[parallel]") {
  TaskGraph g;
  std::atomic<int> ran{0};
  g.add(1, [&](std::size_t) {
    ++ran;
    throw std::runtime_error("chunk 3 failed");
  });
  for (int i = 0; i < 100; ++i) g.add(0, [&](std::size_t) { ++ran; });
  std::atomic<bool> stop{false};
  CHECK_THROWS_WITH(g.run(1, stop), "chunk 3 failed");
  CHECK(stop);
  CHECK(ran == 1);  // nothing started after the failure
}

TEST_CASE("task graph: an empty graph returns at once", "[parallel]") {
  TaskGraph g;
  std::atomic<bool> stop{false};
  g.run(3, stop);
  CHECK_FALSE(stop);
}
