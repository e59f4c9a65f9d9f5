#include "replace/temp_stream.hpp"

#include <cerrno>
#include <vector>

#include "error_support.hpp"
#include "platform/linux.hpp"
#include "replace/steps.hpp"

namespace atomfile::replace {

namespace {

// The most one transfer moves: large enough that a regular file is copied in few system calls
// (a pipe is read 256 KiB at a time anyway), small enough that a stop is noticed quickly.
constexpr std::size_t transfer_chunk = std::size_t(8) << 20;
// A 1 MiB pipe (the default limit for unprivileged processes) holds 16 times the default
// 64 KiB, so the command upstream keeps writing while this end writes the file.
constexpr std::size_t pipe_buffer_size = std::size_t(1) << 20;
constexpr long stop_poll_ms = 100;

// Waits for input while asking stop: true when there is input (or its end) to read, false when
// stop asked to end.
bool wait_for_input(int fd, const std::function<bool()>& stop, const std::string& path) {
    for (;;) {
        if (stop()) return false;
        const int ready = platform::wait_readable(fd, stop_poll_ms);
        if (ready > 0) return true;
        if (ready < 0 && errno != EINTR) throw_errno(step::copy_into_temp, path);
    }
}

}  // namespace

void WriteBehind::advance(int fd, std::int64_t written_from, std::int64_t end,
                          const std::string& path) {
    if (!enabled_) return;
    if (handed_ < 0) retired_ = handed_ = written_from;
    if (end - handed_ < piece) return;
    if (platform::write_behind(fd, retired_, handed_, end - handed_) != 0)
        throw_errno(step::write, path);
    retired_ = handed_;
    handed_ = end;
}

std::uint64_t copy_into_temp(int in_fd, int temp_fd, std::int64_t at, WriteBehind& behind,
                             const std::function<bool()>& stop, const std::string& path) {
    platform::InputKind kind;
    if (platform::classify_input(in_fd, kind) != 0) throw_errno(step::copy_into_temp, path);
    if (kind == platform::InputKind::pipe) platform::grow_pipe_buffer(in_fd, pipe_buffer_size);
    const bool waits = stop && kind != platform::InputKind::regular_file;
    std::uint64_t total = 0;
    std::vector<char> buffer;
    for (;;) {
        // wait_for_input asks stop first: asked once per read either way.
        if (waits ? !wait_for_input(in_fd, stop, path) : stop && stop()) return total;
        long moved = platform::transfer(in_fd, temp_fd, transfer_chunk, kind, buffer);
        if (moved < 0 && errno == EINTR) continue;
        if (moved < 0) throw_errno(step::copy_into_temp, path);
        if (moved == 0) return total;
        total += static_cast<std::uint64_t>(moved);
        behind.advance(temp_fd, at, at + static_cast<std::int64_t>(total), path);
    }
}

}  // namespace atomfile::replace
