// Filling an AtomicFile's temp in constant memory: write-behind for long streams, and copying a
// descriptor's content in pieces that a caller may stop between.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace atomfile::replace {

// Hands a long stream to the disk as it is written. Every 8 MiB past the last handed piece,
// that piece is handed to the disk at once and the piece before it, now on its way, dropped
// from the page cache (platform::write_behind): the stream keeps about 16 MiB cached, reusing
// the pages it has just released, and the final fsync has little left to do (docs/architecture.md,
// Big files). Not a durability step: only fsync is; but a write error it sees is reported, since
// fsync might not report it again. Disabled, it does nothing (durability none: no disk work).
class WriteBehind {
  public:
    static constexpr std::int64_t piece = std::int64_t(8) << 20;

    explicit WriteBehind(bool enabled) : enabled_(enabled) {}
    // Records that the temp fd now holds bytes up to `end` (written sequentially from
    // `written_from` on the first call); throws Error(Step::write_temp or `step`) for path.
    void advance(int fd, std::int64_t written_from, std::int64_t end, const std::string& path);

  private:
    bool enabled_;
    std::int64_t retired_ = -1;  // before the first advance: nothing handed yet
    std::int64_t handed_ = -1;
};

// Copies in_fd's content from its offset to its end into temp_fd at temp_fd's offset `at`
// (which the copy advances): copy_file_range or sendfile from a regular file, read and write
// through a 256 KiB buffer otherwise. stop, when set, is asked before each piece and about every
// 100 ms while waiting for input; true ends the copy. Returns the bytes moved; throws Error with
// Step::copy_into_temp for path.
std::uint64_t copy_into_temp(int in_fd, int temp_fd, std::int64_t at, WriteBehind& behind,
                             const std::function<bool()>& stop, const std::string& path);

}  // namespace atomfile::replace
