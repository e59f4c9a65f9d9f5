// ScheduledWriter: a file saved often, written at most once per interval.
//
// Programs that save state on every change (editors, games, daemons) would otherwise pay a
// durable replace per change. A ScheduledWriter takes the latest content on each schedule() and
// writes it at most once per interval on a background thread, through the replace engine
// (replace.hpp), so every write keeps write_atomic's guarantee: a reader sees the whole old or
// the whole new content, and a write reported done survives a power cut (Durability::full by
// default).
//
//     atomfile::ScheduledWriter state("state.json", {std::chrono::seconds(1)});
//     state.schedule([&] { return serialize(model); });  // cheap; at most one write per second
//     state.flush();                                     // write now (the destructor does too)
//
// What is guaranteed.
//   - Latest content wins: each write takes the content of the last schedule() before it;
//     content scheduled and replaced before a write is never written.
//   - At most one write per interval: the first schedule() after a write (or after
//     construction) starts the interval, and the write happens when it ends. Two background
//     writes therefore start at least `interval` apart; flush() writes at once.
//   - schedule() never touches the disk and never waits for a write in progress: it stores the
//     content (or the serializer) under a mutex and, at most once per interval, wakes the
//     thread.
//   - Writes happen in schedule order and never overlap: one write at a time, whichever thread
//     performs it.
//   - flush() and the destructor write what is pending (the destructor after waiting for a
//     write in progress).
//   - Unchanged content is not written: content equal to what the file holds keeps the file
//     as it is (inode, mtime, links). "What the file holds" is the file's content read through
//     the replace engine (the descriptor that would be replaced) on the first write, and then
//     the last content this writer wrote; with ReplaceOptions::lock it is read again on every
//     write, under the lock, because other writers may change the file. After a failed write
//     the next one always writes (a failed directory sync leaves the content in place but not
//     known to be durable). A missing file is never equal to any content: empty content
//     creates it.
//   - A relative path is resolved at each write, against the working directory of that
//     moment (as write_atomic would be): pass an absolute path if the program changes
//     directory.
//
// The serializer. schedule(serializer) stores the function; it runs when the content is
// written, on the thread that writes: the background thread, a thread calling flush(), or the
// thread destroying the writer, and is destroyed there. Only the last serializer scheduled
// before a write runs; the others are destroyed unrun, by the schedule() that replaces them
// (with no lock held, so destroying one may call schedule()). So whatever it captures must
// stay alive until the writer is flushed or destroyed, and must be safe to read from another
// thread (take your own lock in it). It may call schedule() (not flush()). schedule(content)
// takes the bytes instead, for callers that prefer to serialize on their own thread.
//
// Errors. A write fails as write_atomic fails (Error naming the step and path, see
// replace.hpp); the file then keeps its previous content, or, for the step "sync directory
// after replace" (errc::replaced_not_durable), holds the new content with its durability
// unknown. A serializer that throws fails its write before anything is created; the file is
// unchanged. A failed write is not retried: the next schedule() brings newer content.
//   - A background write's failure is given to on_error (on the background thread) and kept
//     for the next flush(), which throws it: a flush() that returns normally means that no
//     write failed since the previous flush().
//   - flush()'s own write throws its failure (not given to on_error). If both it and an
//     earlier background write failed, its own is thrown.
//   - The destructor never throws: the failure of its own write goes to on_error (and is lost
//     without one). Without on_error, a background failure is seen only by a flush().
//   - How a serializer's exception is reported: flush() rethrows it unchanged (like
//     safe_update's transform); on_error and flush(ec) get an Error with step "serialize
//     content (threw: WHAT)", the path, and the exception's code if it is a
//     std::system_error, std::errc::not_enough_memory for std::bad_alloc, std::errc::io_error
//     otherwise.
//   - flush() called inside a serializer (which would wait for itself) fails at once with
//     std::errc::resource_deadlock_would_occur, step "flush from inside a serializer".
//
// Threading. schedule(), flush(), pending() and stats() may be called from any threads at
// once. on_error runs on the thread that met the failure, with no lock held: it may call
// schedule() and flush() (a flush() there throws the failure being reported, once). What it
// throws is dropped. The writer must not be destroyed from its own serializer or on_error.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "atomfile/error.hpp"
#include "atomfile/export.hpp"
#include "atomfile/path_arg.hpp"
#include "atomfile/replace.hpp"

namespace atomfile {

// How a ScheduledWriter writes. Aggregate, so {std::chrono::seconds(1)} sets the interval, or
// with the chainable setters (temporary_file.hpp says why this form):
//     ScheduledWriterOptions().with_interval(std::chrono::milliseconds(100)).with_on_error(log)
struct ScheduledWriterOptions {
    // The shortest time between two background writes; zero or negative writes as soon as the
    // thread wakes.
    std::chrono::milliseconds interval{std::chrono::seconds(1)};
    // How each write is done: durability, metadata, backup, lock (replace.hpp). Durable by
    // default. create_only fails every write after the first.
    ReplaceOptions replace;
    // Told of each failure that is not thrown to a caller (see the header's comment). Empty:
    // such failures wait for the next flush(), or are lost at destruction.
    std::function<void(const Error&)> on_error;

    ScheduledWriterOptions& with_interval(std::chrono::milliseconds value) {
        interval = value;
        return *this;
    }
    ScheduledWriterOptions& with_replace(ReplaceOptions value) {
        replace = std::move(value);
        return *this;
    }
    ScheduledWriterOptions& with_on_error(std::function<void(const Error&)> value) {
        on_error = std::move(value);
        return *this;
    }
};

// What a ScheduledWriter has done so far.
struct ScheduledWriterStats {
    std::uint64_t scheduled = 0;  // schedule() calls
    std::uint64_t writes = 0;     // replaces committed (each a new inode at the path)
    std::uint64_t unchanged = 0;  // writes skipped: the content equalled the file's
    std::uint64_t failures = 0;   // writes that failed (serializer included)
};

class ATOMFILE_API ScheduledWriter {
  public:
    using Serializer = std::function<std::string()>;

    // Starts the background thread; touches no file. Throws std::system_error if the thread
    // cannot be started.
    explicit ScheduledWriter(const PathArg& path, ScheduledWriterOptions options = {});
    // Waits for a write in progress, writes what is pending, stops the thread. Never throws.
    ~ScheduledWriter();
    ScheduledWriter(const ScheduledWriter&) = delete;
    ScheduledWriter& operator=(const ScheduledWriter&) = delete;

    // Replaces the pending content with what serializer returns at write time.
    void schedule(Serializer serializer);
    // Replaces the pending content with these bytes.
    void schedule(std::string content);

    // Writes the pending content now, on this thread (after waiting for a write in progress),
    // and reports the first background failure since the previous flush(). See "Errors".
    void flush();
    void flush(std::error_code& ec) noexcept;

    // True while content is scheduled and not yet taken by a write.
    bool pending() const noexcept;
    ScheduledWriterStats stats() const noexcept;
    const std::string& path() const noexcept;

  private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace atomfile
