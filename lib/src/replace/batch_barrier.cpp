#include "replace/batch_barrier.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace atomfile::replace {
namespace {

// What the threads share: the next index to hand out and the first failure.
class WorkQueue {
  public:
    WorkQueue(std::size_t count, bool stop_at_failure, const std::function<void(std::size_t)>& work)
        : count_(count), stop_at_failure_(stop_at_failure), work_(work) {}

    // Works indices until none is left (or, with stop_at_failure, one has failed).
    void drain() noexcept {
        for (;;) {
            if (stop_at_failure_ && failed_.load(std::memory_order_acquire)) return;
            const std::size_t i = next_.fetch_add(1, std::memory_order_relaxed);
            if (i >= count_) return;
            try {
                work_(i);
            } catch (...) {
                record(std::current_exception());
            }
        }
    }

    void rethrow_first_failure() const {
        if (first_failure_) std::rethrow_exception(first_failure_);
    }

  private:
    void record(std::exception_ptr failure) noexcept {
        std::lock_guard<std::mutex> hold(mutex_);
        if (!first_failure_) first_failure_ = std::move(failure);
        failed_.store(true, std::memory_order_release);
    }

    const std::size_t count_;
    const bool stop_at_failure_;
    const std::function<void(std::size_t)>& work_;
    std::atomic<std::size_t> next_{0};
    std::atomic<bool> failed_{false};
    std::mutex mutex_;
    std::exception_ptr first_failure_;
};

}  // namespace

void run_concurrently(std::size_t count, bool stop_at_failure,
                      const std::function<void(std::size_t)>& work) {
    WorkQueue queue(count, stop_at_failure, work);
    std::vector<std::thread> helpers;
    const std::size_t wanted = std::min(count, max_sync_threads);
    try {
        for (std::size_t i = 1; i < wanted; ++i) helpers.emplace_back([&queue] { queue.drain(); });
    } catch (...) {
        // Fewer threads than wanted (out of memory or of threads): the rest share the work.
    }
    queue.drain();
    for (std::thread& helper : helpers) helper.join();
    queue.rethrow_first_failure();
}

}  // namespace atomfile::replace
