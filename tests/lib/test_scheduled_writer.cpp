// ScheduledWriter: coalesced, background, atomic writes of one file. Also built and run under
// ThreadSanitizer by scripts/test.sh (the TSan stage).
//
// No test times the code: where the background thread must have acted, a test waits for it
// (bounded); write counts are checked against upper bounds that hold however loaded the
// machine is.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "atomfile/scheduled_writer.hpp"
#include "support/test_support.hpp"

using namespace atomfile;
using namespace atomfile::test;
using namespace std::chrono_literals;

namespace {

constexpr auto forever = std::chrono::hours(1);

struct Boom : std::runtime_error {
    Boom() : std::runtime_error("model is locked") {}
};

struct Identity {
    ino_t inode = 0;
    long long mtime_ns = 0;
    bool operator==(const Identity& o) const { return inode == o.inode && mtime_ns == o.mtime_ns; }
};

Identity identity(const fs::path& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return {st.st_ino, st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec};
}

// Waits (at most 5 s) for the background thread to make done() true.
bool eventually(const std::function<bool()>& done) {
    auto give_up = std::chrono::steady_clock::now() + 5s;
    while (!done()) {
        if (std::chrono::steady_clock::now() > give_up) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

ScheduledWriterOptions every(std::chrono::milliseconds interval) {
    return ScheduledWriterOptions().with_interval(interval);
}

// Collects what on_error is told, from whichever thread tells it.
struct ErrorLog {
    std::mutex mutex;
    std::vector<Error> errors;
    std::function<void(const Error&)> callback() {
        return [this](const Error& e) {
            std::lock_guard<std::mutex> lock(mutex);
            errors.push_back(e);
        };
    }
    std::size_t size() {
        std::lock_guard<std::mutex> lock(mutex);
        return errors.size();
    }
    Error first() {
        std::lock_guard<std::mutex> lock(mutex);
        return errors.front();
    }
};

}  // namespace

TEST_CASE("many schedules within one interval become one background write of the latest content") {
    ScratchDir dir;
    const fs::path file = dir / "state.json";
    write_file(file, "old");
    std::atomic<int> serialized{0};
    ScheduledWriter writer(file, every(300ms));
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 1000; ++i) {
        writer.schedule([i, &serialized] {
            ++serialized;
            return "version " + std::to_string(i);
        });
    }
    REQUIRE(eventually([&] { return writer.stats().writes == 1; }));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(read_file(file) == "version 999");
    // Writes start at least one interval apart, the first one interval after the first schedule.
    CHECK(static_cast<long>(writer.stats().writes) <= elapsed / 300ms);
    CHECK(serialized == 1);  // only the last serializer ran; 999 were replaced unrun
    CHECK(writer.stats().scheduled == 1000);
    CHECK_FALSE(writer.pending());
}

TEST_CASE("schedules spread over several intervals are written at most once per interval") {
    ScratchDir dir;
    const fs::path file = dir / "state";
    std::atomic<int> serialized{0};
    ScheduledWriter writer(file, every(50ms));
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 60; ++i) {
        writer.schedule([i, &serialized] {
            ++serialized;
            return std::to_string(i);
        });
        std::this_thread::sleep_for(5ms);
    }
    // pending() turns false when the last write starts; its end shows in the file and the stats.
    REQUIRE(eventually([&] {
        return read_file(file) == "59" &&
               writer.stats().writes == static_cast<unsigned>(serialized);
    }));
    // Every write starts at least 50 ms after the previous one, so in the time elapsed (which
    // includes any scheduling delays) there can be no more of them than this.
    const auto elapsed = std::chrono::steady_clock::now() - start;
    const auto writes = writer.stats().writes;
    CHECK(static_cast<long>(writes) <= elapsed / 50ms);
    CHECK(serialized == static_cast<int>(writes));  // each write ran one serializer
    CHECK_FALSE(writer.pending());
}

TEST_CASE("the serializer runs at write time, so the write takes the state of that moment") {
    ScratchDir dir;
    std::mutex model_mutex;
    int model = 1;
    ScheduledWriter writer(dir / "model", every(forever));
    writer.schedule([&] {
        std::lock_guard<std::mutex> lock(model_mutex);
        return std::to_string(model);
    });
    {
        std::lock_guard<std::mutex> lock(model_mutex);
        model = 2;
    }
    writer.flush();
    CHECK(read_file(dir / "model") == "2");
}

TEST_CASE("flush writes the pending content at once, on the calling thread") {
    ScratchDir dir;
    ScheduledWriter writer(dir / "f", every(forever));
    std::thread::id ran_on;
    writer.schedule([&] {
        ran_on = std::this_thread::get_id();
        return std::string("now");
    });
    CHECK(writer.pending());
    writer.flush();
    CHECK(read_file(dir / "f") == "now");
    CHECK(ran_on == std::this_thread::get_id());
    CHECK_FALSE(writer.pending());
    CHECK(writer.stats().writes == 1);
    writer.flush();  // nothing pending: nothing written
    CHECK(writer.stats().writes == 1);
}

TEST_CASE("a schedule after a flush is written by the background thread one interval later") {
    ScratchDir dir;
    ScheduledWriter writer(dir / "f", every(50ms));
    writer.schedule(std::string("first"));
    writer.flush();
    writer.schedule(std::string("second"));
    REQUIRE(eventually([&] { return writer.stats().writes == 2; }));
    CHECK(read_file(dir / "f") == "second");
}

TEST_CASE("the destructor writes the pending content") {
    ScratchDir dir;
    {
        ScheduledWriter writer(dir / "f", every(forever));
        writer.schedule(std::string("at exit"));
        CHECK_FALSE(fs::exists(dir / "f"));
    }
    CHECK(read_file(dir / "f") == "at exit");
}

TEST_CASE("the destructor waits for a write in progress, then writes what was scheduled since") {
    ScratchDir dir;
    std::atomic<bool> started{false};
    {
        ScheduledWriter writer(dir / "f", every(0ms));
        writer.schedule([&] {
            started = true;
            std::this_thread::sleep_for(200ms);  // the destructor runs meanwhile
            return std::string("slow");
        });
        REQUIRE(eventually([&] { return started.load(); }));
        writer.schedule(std::string("latest"));
    }
    CHECK(read_file(dir / "f") == "latest");
}

TEST_CASE("content equal to the file's is not written: the file keeps its inode and mtime") {
    ScratchDir dir;
    const fs::path file = dir / "f";
    write_file(file, "same");
    const Identity before = identity(file);
    ScheduledWriter writer(file, every(forever));
    writer.schedule(std::string("same"));
    writer.flush();
    CHECK(identity(file) == before);
    CHECK(writer.stats().unchanged == 1);
    CHECK(writer.stats().writes == 0);

    writer.schedule(std::string("new"));
    writer.flush();
    const Identity after_write = identity(file);
    CHECK_FALSE(after_write == before);
    writer.schedule(std::string("new"));  // equal to the last write
    writer.flush();
    CHECK(identity(file) == after_write);
    CHECK(read_file(file) == "new");
    CHECK(writer.stats().writes == 1);
    CHECK(writer.stats().unchanged == 2);
}

TEST_CASE("empty content creates a missing file: a missing file is never unchanged") {
    ScratchDir dir;
    ScheduledWriter writer(dir / "f", every(forever));
    writer.schedule(std::string());
    writer.flush();
    CHECK(fs::exists(dir / "f"));
    CHECK(read_file(dir / "f").empty());
    CHECK(writer.stats().writes == 1);
}

TEST_CASE("with the lock, content is compared with the file, which another writer may change") {
    ScratchDir dir;
    const fs::path file = dir / "f";
    ScheduledWriter writer(file, every(forever).with_replace(ReplaceOptions().with_lock(true)));
    writer.schedule(std::string("mine"));
    writer.flush();
    write_atomic(file.string(), "theirs");
    writer.schedule(std::string("mine"));  // equal to our last write, not to the file
    writer.flush();
    CHECK(read_file(file) == "mine");
    CHECK(writer.stats().writes == 2);

    write_atomic(file.string(), "theirs again");
    const Identity theirs = identity(file);
    writer.schedule(std::string("theirs again"));  // equal to the file: not written
    writer.flush();
    CHECK(identity(file) == theirs);
    CHECK(writer.stats().unchanged == 1);
}

TEST_CASE("a background failure reaches on_error, then the next flush, once") {
    ScratchDir dir;
    const fs::path file = dir / "missing-dir" / "f";
    ErrorLog log;
    ScheduledWriter writer(file, every(20ms).with_on_error(log.callback()));
    writer.schedule(std::string("lost"));
    REQUIRE(eventually([&] { return log.size() == 1; }));
    CHECK(log.first().path().find("missing-dir") != std::string::npos);
    CHECK(log.first().code() == std::errc::no_such_file_or_directory);
    try {
        writer.flush();
        FAIL("flush did not report the background failure");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::no_such_file_or_directory);
        CHECK(std::string(e.what()).find("missing-dir") != std::string::npos);
    }
    CHECK_NOTHROW(writer.flush());  // reported once
    CHECK(writer.stats().failures == 1);
    CHECK_FALSE(fs::exists(file));
}

TEST_CASE("flush reports the failure of its own write, not to on_error, through both overloads") {
    ScratchDir dir;
    ErrorLog log;
    ScheduledWriter writer(dir / "missing-dir" / "f", every(forever).with_on_error(log.callback()));
    writer.schedule(std::string("x"));
    CHECK_THROWS_AS(writer.flush(), Error);
    writer.schedule(std::string("y"));
    std::error_code ec;
    writer.flush(ec);
    CHECK(ec == std::errc::no_such_file_or_directory);
    CHECK(log.size() == 0);
}

TEST_CASE("after a failure the writer writes again once the directory is back") {
    ScratchDir dir;
    const fs::path file = dir / "sub" / "f";
    ScheduledWriter writer(file, every(forever));
    writer.schedule(std::string("content"));
    std::error_code ec;
    writer.flush(ec);
    CHECK(ec);
    fs::create_directory(dir / "sub");
    writer.schedule(std::string("content"));
    writer.flush();
    CHECK(read_file(file) == "content");
}

TEST_CASE("after a failed directory sync the same content is written again, not skipped") {
    ScratchDir dir;
    const fs::path file = dir / "f";
    ScheduledWriter writer(file, every(forever));
    writer.schedule(std::string("v1"));
    {
        ScopedFault fault(platform::Call::fsync, EIO, 2);  // the directory's fsync
        std::error_code ec;
        writer.flush(ec);
        CHECK(ec == atomfile::errc::replaced_not_durable);
    }
    CHECK(read_file(file) == "v1");
    const Identity not_durable = identity(file);
    writer.schedule(std::string("v1"));
    writer.flush();
    CHECK_FALSE(identity(file) == not_durable);
    CHECK(writer.stats().writes == 1);  // the first one failed
    CHECK(writer.stats().unchanged == 0);
}

TEST_CASE("a serializer that throws leaves the file unchanged; flush rethrows its exception") {
    ScratchDir dir;
    const fs::path file = dir / "f";
    write_file(file, "old");
    ScheduledWriter writer(file, every(forever));
    writer.schedule([]() -> std::string { throw Boom(); });
    CHECK_THROWS_AS(writer.flush(), Boom);
    CHECK(read_file(file) == "old");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
    CHECK(writer.stats().failures == 1);
}

TEST_CASE(
    "a serializer that throws on the background thread is reported as step serialize content") {
    ScratchDir dir;
    const fs::path file = dir / "f";
    write_file(file, "old");
    ErrorLog log;
    ScheduledWriter writer(file, every(10ms).with_on_error(log.callback()));
    writer.schedule([]() -> std::string { throw Boom(); });
    REQUIRE(eventually([&] { return log.size() == 1; }));
    const Error error = log.first();
    CHECK(error.step() == "serialize content (threw: model is locked)");
    CHECK(error.path() == file.string());
    CHECK(error.code() == std::errc::io_error);
    CHECK_THROWS_AS(writer.flush(), Boom);  // the original exception, unchanged
    CHECK(read_file(file) == "old");
}

TEST_CASE("flush inside a serializer fails with resource_deadlock_would_occur instead of hanging") {
    ScratchDir dir;
    ScheduledWriter writer(dir / "f", every(forever));
    std::error_code inner;
    writer.schedule([&] {
        writer.flush(inner);
        return std::string("written");
    });
    writer.flush();
    CHECK(inner == std::errc::resource_deadlock_would_occur);
    CHECK(read_file(dir / "f") == "written");
}

TEST_CASE("on_error may schedule and flush: the flush there reports the failure being handled") {
    ScratchDir dir;
    const fs::path file = dir / "missing-dir" / "f";
    std::atomic<int> calls{0};
    std::error_code inner;
    ScheduledWriter* self = nullptr;
    ScheduledWriterOptions options = every(10ms);
    options.on_error = [&](const Error&) {
        if (calls++ > 0) return;
        self->flush(inner);
        self->schedule(std::string("again"));
    };
    ScheduledWriter writer(file, options);
    self = &writer;
    writer.schedule(std::string("first"));
    REQUIRE(eventually([&] { return calls.load() >= 2; }));  // "again" failed too
    CHECK(inner == std::errc::no_such_file_or_directory);
}

TEST_CASE("schedules from many threads while the file is written: readers see whole contents") {
    ScratchDir dir;
    const fs::path file = dir / "f";
    const std::string a(4096, 'a');
    const std::string b(4096, 'b');
    std::atomic<bool> done{false};
    std::atomic<int> torn{0};
    ScheduledWriter writer(
        file, every(5ms).with_replace(ReplaceOptions().with_durability(Durability::none)));
    writer.schedule(a);
    writer.flush();
    std::thread reader([&] {
        while (!done) {
            std::string seen = read_file(file);
            if (seen != a && seen != b && seen != "final") ++torn;
        }
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 300; ++i) {
                if ((i + t) % 2)
                    writer.schedule(a);
                else
                    writer.schedule([&b] { return b; });
                if (i % 50 == 0) writer.flush();
                writer.stats();
            }
        });
    }
    for (std::thread& thread : threads) thread.join();
    writer.schedule(std::string("final"));
    writer.flush();
    done = true;
    reader.join();
    CHECK(torn == 0);
    CHECK(read_file(file) == "final");
    CHECK(writer.stats().scheduled == 1202);
}
