// Running a batch's syncs together: the calls a journal can commit in one flush must be in
// flight at the same time, so they are issued from a small pool of threads.
#pragma once

#include <cstddef>
#include <functional>

namespace atomfile::replace {

// The most threads a batch uses: enough to keep a journal's commit full (each thread waits for
// its own fsync), few enough to cost nothing next to the flushes (docs/durability.md).
inline constexpr std::size_t max_sync_threads = 32;

// Calls work(i) for every i in [0, count), from min(count, max_sync_threads) threads, the
// caller's included, and returns when all calls have returned. The first exception thrown by a
// call is rethrown (the others are dropped). With stop_at_failure, no call starts once one has
// thrown; otherwise every i is still worked. Threads that cannot be started leave their share
// to the others (the caller's thread always works), so that is never an error.
void run_concurrently(std::size_t count, bool stop_at_failure,
                      const std::function<void(std::size_t)>& work);

}  // namespace atomfile::replace
