// Benchmark: ScheduledWriter under a stream of updates, against the floors of the same run.
//   scheduled_writer: --ops schedule() calls spread evenly over one second (one every
//     100 us for 10,000), each replacing the pending content of a 4 KiB file, at interval
//     100 ms and 1 s, durable (Durability::full). Counts the writes the background thread made
//     within that second (the goal: at most 1 s / interval) and in all (the destructor writes
//     the last content), and times every schedule() call on the calling thread: median, p99,
//     max. Both forms: schedule(serializer) and schedule(std::string) of 4 KiB (the string is
//     built before the clock starts; the call moves it in).
//   floors, timed per call the same way: an in-memory std::string assignment of 4 KiB under a
//     mutex (what any coalescing writer must do at least), and a bare write_atomic with
//     Durability::none (what writing every update would cost, without any sync), for --ops
//     calls each (not spread: they are back to back).
// Rounds repeat everything; figures are per round.
// Output: CSV rows "scheduled_writer,METHOD,4096,ROUND,METRIC,VALUE" on stdout; a summary on
// stderr.
//
// Usage: bench_scheduled_writer [--dir DIR] [--rounds 9] [--ops 10000]
// DIR must be on a real disk (not tmpfs) for the write counts to cost what they do; default ".".
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "atomfile/replace.hpp"
#include "atomfile/scheduled_writer.hpp"
#include "bench_rounds.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t file_size = 4096;

struct Latency {
    double median_us = 0;
    double p99_us = 0;
    double max_us = 0;
};

Latency summarize(std::vector<double> samples) {
    std::sort(samples.begin(), samples.end());
    auto at = [&](double q) { return samples[static_cast<std::size_t>(q * (samples.size() - 1))]; };
    return {at(0.5), at(0.99), samples.back()};
}

// Times one call, in microseconds.
template <class Call>
double time_call(Call&& call) {
    auto start = Clock::now();
    call();
    std::chrono::duration<double, std::micro> took = Clock::now() - start;
    return took.count();
}

std::string content_of(int i) {
    std::string text(file_size, 'x');
    std::string tag = std::to_string(i);
    text.replace(0, tag.size(), tag);
    return text;
}

void row(const std::string& method, int round, const char* metric, double value) {
    std::printf("scheduled_writer,%s,%zu,%d,%s,%.3f\n", method.c_str(), file_size, round, metric,
                value);
}

void report(const std::string& method, int round, const Latency& latency) {
    row(method, round, "median_us", latency.median_us);
    row(method, round, "p99_us", latency.p99_us);
    row(method, round, "max_us", latency.max_us);
    std::fprintf(stderr, "  %-52s median %7.3f us  p99 %8.3f us  max %9.1f us\n", method.c_str(),
                 latency.median_us, latency.p99_us, latency.max_us);
}

// The model a program would serialize: guarded by its own mutex, as the header asks.
struct Model {
    std::mutex mutex;
    int version = 0;
};

// --ops schedule() calls spread over one second, timed one by one; then counts the writes.
void run_writer(const std::string& path, std::chrono::milliseconds interval, bool serializer,
                int calls, int round) {
    ::unlink(path.c_str());
    Model model;
    std::vector<double> samples;
    samples.reserve(static_cast<std::size_t>(calls));
    auto writer = std::make_unique<atomfile::ScheduledWriter>(
        path, atomfile::ScheduledWriterOptions().with_interval(interval));
    const auto start = Clock::now();
    const auto step = std::chrono::nanoseconds(std::chrono::seconds(1)) / calls;
    for (int i = 0; i < calls; ++i) {
        std::this_thread::sleep_until(start + step * i);
        {
            std::lock_guard<std::mutex> lock(model.mutex);
            model.version = i;
        }
        if (serializer) {
            samples.push_back(time_call([&] {
                writer->schedule([&model] {
                    std::lock_guard<std::mutex> lock(model.mutex);
                    return content_of(model.version);
                });
            }));
        } else {
            std::string content = content_of(i);
            samples.push_back(time_call([&] { writer->schedule(std::move(content)); }));
        }
    }
    // The calls may run late on a loaded machine: the window is what they really took.
    std::this_thread::sleep_until(start + std::chrono::seconds(1));
    const std::chrono::duration<double> window = Clock::now() - start;
    const std::uint64_t in_window = writer->stats().writes;
    writer->flush();  // what the destructor would write
    const std::uint64_t total = writer->stats().writes;
    writer.reset();

    const std::string method = std::string("ScheduledWriter schedule(") +
                               (serializer ? "serializer" : "std::string") + "), interval " +
                               std::to_string(interval.count()) + " ms";
    const double goal = window.count() * 1000.0 / static_cast<double>(interval.count());
    report(method, round, summarize(samples));
    row(method, round, "window_s", window.count());
    row(method, round, "writes_in_window", static_cast<double>(in_window));
    row(method, round, "writes_with_final", static_cast<double>(total));
    std::fprintf(
        stderr,
        "  %-52s %d calls in %.3f s: %llu writes (goal <= %.0f), %llu with the final flush\n", "",
        calls, window.count(), static_cast<unsigned long long>(in_window), std::floor(goal),
        static_cast<unsigned long long>(total));
}

void run_floors(const std::string& path, int calls, int round) {
    std::mutex mutex;
    std::string pending;
    std::vector<double> memory;
    memory.reserve(static_cast<std::size_t>(calls));
    for (int i = 0; i < calls; ++i) {
        std::string content = content_of(i);
        memory.push_back(time_call([&] {
            std::lock_guard<std::mutex> lock(mutex);
            pending = content;
        }));
    }
    report("floor: 4 KiB std::string assignment under a mutex", round, summarize(memory));

    const auto none = atomfile::ReplaceOptions().with_durability(atomfile::Durability::none);
    std::vector<double> disk;
    disk.reserve(static_cast<std::size_t>(calls));
    for (int i = 0; i < calls; ++i) {
        std::string content = content_of(i);
        disk.push_back(time_call([&] { atomfile::write_atomic(path, content, none); }));
    }
    report("floor: write_atomic per call, Durability::none", round, summarize(disk));
}

}  // namespace

int main(int argc, char** argv) try {
    const auto settings = atomfile::bench::parse_round_settings(argc, argv, 10000);
    const std::string path = settings.dir + "/bench-scheduled-writer";
    for (int round = 1; round <= settings.rounds; ++round) {
        std::fprintf(stderr, "round %d: %d calls\n", round, settings.ops);
        for (auto interval : {std::chrono::milliseconds(100), std::chrono::milliseconds(1000)}) {
            run_writer(path, interval, true, settings.ops, round);
            run_writer(path, interval, false, settings.ops, round);
        }
        run_floors(path, settings.ops, round);
        std::fflush(stdout);
    }
    ::unlink(path.c_str());
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "bench_scheduled_writer: %s\n", e.what());
    return 1;
}
