#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
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

TEST_CASE("task graph: a free worker passes over a task whose group is busy, but never idles",
          "[parallel]") {
  // Group 7 is one table's loads, group 9 another's. While the first load of table 7 runs,
  // the second worker must take table 9's load (queued last), then, with only table 7's
  // loads left, take one of them rather than wait.
  TaskGraph g;
  std::mutex mu;
  std::condition_variable cv;
  bool b_started = false, a2_started = false, saw_b = false, saw_a2 = false;
  std::vector<std::string> order;
  auto note = [&](const char* name, bool* flag) {
    std::lock_guard lock(mu);
    order.push_back(name);
    if (flag != nullptr) *flag = true;
    cv.notify_all();
  };
  g.add(0, [&](std::size_t) {
    note("a1", nullptr);
    std::unique_lock lock(mu);
    saw_b = cv.wait_for(lock, std::chrono::seconds(10), [&] { return b_started; });
    saw_a2 = cv.wait_for(lock, std::chrono::seconds(10), [&] { return a2_started; });
  }, 7);
  g.add(0, [&](std::size_t) { note("a2", &a2_started); }, 7);
  g.add(0, [&](std::size_t) { note("a3", nullptr); }, 7);
  g.add(0, [&](std::size_t) { note("b1", &b_started); }, 9);
  std::atomic<bool> stop{false};
  g.run(2, stop);
  CHECK(saw_b);   // b1 ran beside a1, ahead of the older a2
  CHECK(saw_a2);  // and a2 ran beside a1 once only group 7 was left
  REQUIRE(order.size() == 4);
  auto at = [&](const char* n) { return std::find(order.begin(), order.end(), n) - order.begin(); };
  CHECK(at("b1") < at("a2"));  // b1 was taken before the older a2
  CHECK(at("a2") < at("a3"));  // the group's own order is kept
}
