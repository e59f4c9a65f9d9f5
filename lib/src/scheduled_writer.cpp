// ScheduledWriter: coalesces schedule() calls into at most one replace per interval, on a
// background thread, through the public replace engine only.
#include "atomfile/scheduled_writer.hpp"

#include <condition_variable>
#include <exception>
#include <mutex>
#include <new>
#include <optional>
#include <thread>
#include <variant>

namespace atomfile {

namespace {

using Clock = std::chrono::steady_clock;

// The content of one write: bytes, or the serializer that makes them at write time.
using Job = std::variant<std::string, ScheduledWriter::Serializer>;

// A failed write, kept in the two forms a caller may receive it in.
struct Failure {
    std::exception_ptr thrown;  // what flush() rethrows
    Error error;                // what on_error and flush(ec) get
};

// What the file is known to hold, which decides whether content counts as unchanged.
enum class Known {
    read_file,     // read it through the open replace (first write; every write under a lock)
    last_written,  // the bytes this writer last committed
    nothing,       // after a failure: write whatever comes
};

enum class Outcome { written, unchanged, failed };

struct Result {
    Outcome outcome = Outcome::failed;
    std::optional<Failure> failure;
};

// Wraps the exception being handled. An atomfile::Error from the engine is kept as it is;
// anything else (a serializer's exception, one from on_owner_not_kept) becomes an Error whose
// step names what threw.
Failure current_failure(const std::string& step, const std::string& path, bool keep_error) {
    std::exception_ptr thrown = std::current_exception();
    std::error_code code = std::make_error_code(std::errc::io_error);
    std::string what = "an exception not derived from std::exception";
    try {
        throw;
    } catch (const Error& e) {
        if (keep_error) return Failure{thrown, e};
        code = e.code();
        what = e.what();
    } catch (const std::system_error& e) {
        code = e.code();
        what = e.what();
    } catch (const std::bad_alloc& e) {
        code = std::make_error_code(std::errc::not_enough_memory);
        what = e.what();
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
    }
    return Failure{thrown, Error(code, step + " (threw: " + what + ")", path)};
}

Failure deadlock_failure(const std::string& path) {
    Error error(std::make_error_code(std::errc::resource_deadlock_would_occur),
                "flush from inside a serializer", path);
    return Failure{std::make_exception_ptr(error), error};
}

}  // namespace

struct ScheduledWriter::State {
    State(std::string path_value, ScheduledWriterOptions options_value)
        : path(std::move(path_value)), options(std::move(options_value)) {}

    const std::string path;
    const ScheduledWriterOptions options;

    mutable std::mutex mutex;
    std::condition_variable changed;  // pending, writing or stopping changed
    std::optional<Job> pending;
    Clock::time_point due;  // when the background thread writes pending
    bool writing = false;   // one write at a time, whichever thread does it
    std::thread::id writer;
    bool stopping = false;
    std::optional<Failure> unreported;  // first background failure since the last flush()
    ScheduledWriterStats stats;

    // Belong to the thread that holds `writing`.
    Known known = Known::read_file;
    std::string last_written;

    std::thread thread;

    void run();
    Job take(std::unique_lock<std::mutex>& lock);
    void finish(std::unique_lock<std::mutex>& lock, const Result& result);
    void put(Job& job);
    Result perform(Job job) noexcept;
    Outcome replace(const std::string& content);
    void remember(const std::string& content);
    std::optional<Failure> flush();
    void write_last() noexcept;
    void report(const Error& error) const noexcept;
};

// Hands the pending job to the calling thread, which now holds the right to write.
Job ScheduledWriter::State::take(std::unique_lock<std::mutex>&) {
    Job job = std::move(*pending);
    pending.reset();
    writing = true;
    writer = std::this_thread::get_id();
    return job;
}

void ScheduledWriter::State::finish(std::unique_lock<std::mutex>&, const Result& result) {
    writing = false;
    writer = std::thread::id();
    if (result.outcome == Outcome::written) ++stats.writes;
    if (result.outcome == Outcome::unchanged) ++stats.unchanged;
    if (result.outcome == Outcome::failed) ++stats.failures;
    changed.notify_all();
}

Outcome ScheduledWriter::State::replace(const std::string& content) {
    // Without a lock this writer takes itself for the file's only writer: content equal to its
    // last write costs nothing, not even an open.
    if (known == Known::last_written && content == last_written) return Outcome::unchanged;
    AtomicFile file(path, options.replace);
    // A missing file (no original) is never unchanged: empty content must still create it.
    const bool same = known == Known::read_file && file.original_descriptor() >= 0 &&
                      file.read_original() == content;
    if (same) {
        file.discard();
    } else {
        known = Known::nothing;  // until the commit is known to have succeeded
        file.write(content);
        file.commit();
    }
    remember(content);
    return same ? Outcome::unchanged : Outcome::written;
}

// Under the lock other writers may change the file between our writes, so it is read each time.
void ScheduledWriter::State::remember(const std::string& content) {
    known = options.replace.lock ? Known::read_file : Known::last_written;
    if (known == Known::last_written) last_written = content;
}

Result ScheduledWriter::State::perform(Job job) noexcept {
    Result result;
    std::string content;
    try {
        if (auto* bytes = std::get_if<std::string>(&job))
            content = std::move(*bytes);
        else
            content = std::get<Serializer>(job)();
    } catch (...) {
        result.failure = current_failure("serialize content", path, false);
        return result;
    }
    try {
        result.outcome = replace(content);
    } catch (...) {
        result.failure = current_failure("replace file", path, true);
    }
    return result;
}

void ScheduledWriter::State::report(const Error& error) const noexcept {
    if (!options.on_error) return;
    try {
        options.on_error(error);
    } catch (...) {
        // Documented: what on_error throws is dropped; it has nowhere to go.
    }
}

// The background thread: sleeps until content is pending and its interval has passed.
void ScheduledWriter::State::run() {
    std::unique_lock<std::mutex> lock(mutex);
    while (!stopping) {
        if (!pending || writing) {
            changed.wait(lock);
            continue;
        }
        if (Clock::now() < due) {
            changed.wait_until(lock, due);
            continue;
        }
        Job job = take(lock);
        lock.unlock();
        Result result = perform(std::move(job));
        lock.lock();
        finish(lock, result);
        if (!result.failure) continue;
        if (!unreported) unreported = result.failure;
        lock.unlock();
        report(result.failure->error);
        lock.lock();
    }
}

// Writes what is pending on this thread; returns the failure flush() reports.
std::optional<Failure> ScheduledWriter::State::flush() {
    std::unique_lock<std::mutex> lock(mutex);
    if (writing && writer == std::this_thread::get_id()) return deadlock_failure(path);
    changed.wait(lock, [this] { return !writing; });
    std::optional<Failure> earlier = std::move(unreported);
    unreported.reset();
    if (!pending) return earlier;
    Job job = take(lock);
    lock.unlock();
    Result result = perform(std::move(job));
    lock.lock();
    finish(lock, result);
    return result.failure ? result.failure : earlier;
}

// Written when the background thread has stopped; the failure goes to on_error.
void ScheduledWriter::State::write_last() noexcept {
    std::unique_lock<std::mutex> lock(mutex);
    if (!pending) return;
    Job job = take(lock);
    lock.unlock();
    Result result = perform(std::move(job));
    lock.lock();
    finish(lock, result);
    lock.unlock();
    if (result.failure) report(result.failure->error);
}

ScheduledWriter::ScheduledWriter(const PathArg& path, ScheduledWriterOptions options)
    : state_(std::make_unique<State>(path.str(), std::move(options))) {
    State* state = state_.get();
    state_->thread = std::thread([state] { state->run(); });
}

ScheduledWriter::~ScheduledWriter() {
    {
        std::lock_guard<std::mutex> lock(state_->mutex);
        state_->stopping = true;
    }
    state_->changed.notify_all();
    try {
        state_->thread.join();
    } catch (...) {
        // join fails only for a thread that is not running (or is this one, which the header
        // forbids); the pending content is still written below.
    }
    state_->write_last();
}

void ScheduledWriter::schedule(Serializer serializer) {
    Job job(std::in_place_type<Serializer>, std::move(serializer));
    state_->put(job);
}  // the job replaced (now in `job`) is destroyed here, with no lock held

void ScheduledWriter::schedule(std::string content) {
    Job job(std::in_place_type<std::string>, std::move(content));
    state_->put(job);
}

// Swaps job in as the pending content; job leaves with what it replaced.
void ScheduledWriter::State::put(Job& job) {
    std::unique_lock<std::mutex> lock(mutex);
    ++stats.scheduled;
    if (pending) {
        std::swap(*pending, job);
        return;
    }
    pending.emplace(std::move(job));
    due = Clock::now() + options.interval;
    lock.unlock();
    changed.notify_all();
}

void ScheduledWriter::flush() {
    std::optional<Failure> failure = state_->flush();
    if (failure) std::rethrow_exception(failure->thrown);
}

void ScheduledWriter::flush(std::error_code& ec) noexcept {
    ec.clear();
    try {
        std::optional<Failure> failure = state_->flush();
        if (failure) ec = failure->error.code();
    } catch (const std::system_error& e) {
        ec = e.code();  // the mutex
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
}

bool ScheduledWriter::pending() const noexcept {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->pending.has_value();
}

ScheduledWriterStats ScheduledWriter::stats() const noexcept {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->stats;
}

const std::string& ScheduledWriter::path() const noexcept {
    return state_->path;
}

}  // namespace atomfile
