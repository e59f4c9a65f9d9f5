#include "cli/stream_copy.hpp"

#include <cerrno>
#include <string>
#include <vector>

#include "atomfile/file_descriptor.hpp"
#include "cli/signal_catcher.hpp"
#include "error_support.hpp"
#include "platform/posix.hpp"

namespace atomfile::cli {

namespace {

// The most one transfer moves: large enough that a regular file is copied in few system calls
// (a pipe is read 256 KiB at a time anyway), small enough that a signal is noticed quickly.
constexpr std::size_t chunk_size = 8 * 1024 * 1024;
// A 1 MiB pipe (the default limit for unprivileged processes) holds 16 times the default 64 KiB,
// so the command upstream keeps writing while this end writes the file.
constexpr std::size_t pipe_buffer_size = 1024 * 1024;
// Write-behind every 8 MiB (platform::write_behind): the disk works while more input arrives,
// and the stream keeps about 16 MiB of the temp in the page cache, reusing the pages it has just
// released instead of taking fresh memory for every page (on a 1 GiB stream, measured, the
// fresh pages cost more system time than all the rest; see docs/architecture.md, Big files).
constexpr std::int64_t writeback_interval = 8 * 1024 * 1024;

// Where the stream stands in the temp: what is written, what is handed to the disk, what has
// been retired from the page cache.
struct WriteBehind {
    std::int64_t retired;
    std::int64_t handed;

    // Hands [handed, written) to the disk once it is a full interval; throws on a write error.
    void advance(std::int64_t written, int fd, const char* step, const std::string& path) {
        if (written - handed < writeback_interval) return;
        if (platform::write_behind(fd, retired, handed, written - handed) != 0)
            throw_errno(step, path);
        retired = handed;
        handed = written;
    }
};

}  // namespace

std::uint64_t copy_stream(int in_fd, AtomicFile& file, const char* step) {
    const int temp_fd = file.temp_descriptor();
    const std::int64_t start = platform::seek(temp_fd, 0, platform::Whence::current);
    if (start < 0) throw_errno(step, file.target_path());
    WriteBehind behind{start, start};
    std::uint64_t total = 0;
    platform::InputKind kind;
    if (platform::classify_input(in_fd, kind) != 0) throw_errno(step, file.target_path());
    if (kind == platform::InputKind::pipe) platform::grow_pipe_buffer(in_fd, pipe_buffer_size);
    std::vector<char> buffer;
    for (;;) {
        int ready = platform::wait_readable_or_signal(in_fd);
        if (ready == 0) return total;
        if (ready < 0) throw_errno(step, file.target_path());
        long moved = platform::transfer(in_fd, temp_fd, chunk_size, kind, buffer);
        if (moved < 0) throw_errno(step, file.target_path());
        if (moved == 0) return total;
        total += static_cast<std::uint64_t>(moved);
        behind.advance(start + static_cast<std::int64_t>(total), temp_fd, step, file.target_path());
    }
}

void copy_original_content(AtomicFile& file, const SignalCatcher& signals) {
    const char* step = "copy old content into temp file";
    // Through the descriptor the engine opened, never the path: the path may lead elsewhere now
    // (or, through a link another user planted, to a file we must not copy).
    const int original = file.original_descriptor();
    if (original < 0) return;
    if (platform::seek(original, 0, platform::Whence::set) < 0)
        throw_errno(step, file.target_path());
    platform::InputKind kind;
    if (platform::classify_input(original, kind) != 0) throw_errno(step, file.target_path());
    std::vector<char> buffer;
    while (signals.caught() == 0) {
        long moved = platform::transfer(original, file.temp_descriptor(), chunk_size, kind, buffer);
        if (moved < 0) throw_errno(step, file.target_path());
        if (moved == 0) return;
    }
}

}  // namespace atomfile::cli
