// SpooledTemporaryFile: a temp file kept in memory until it grows past max_size, then moved to
// a TemporaryFile on disk (Python's tempfile.SpooledTemporaryFile).
//
// It rolls over exactly when Python 3.12's does:
//   - after a write that leaves the position beyond max_size (position and size agree here:
//     while in memory the size never exceeds max_size), when max_size is not 0;
//   - when fileno() is called (a descriptor needs a real file);
//   - when truncate(size) is called with size > max_size, when max_size is not 0;
//   - when rollover() is called.
// With max_size 0 (the default) size never triggers a rollover.
// Rolling over copies the content and keeps the position; if it fails the data stays in memory
// and the error is thrown. read/write/seek/tell/truncate behave the same before and after.
// One deliberate difference from Python: truncate() to a larger size extends the file with
// zeros in memory too (Python's in-memory BytesIO would not grow), so behaviour does not
// depend on where the data lives.
//
// Errors: atomfile::Error naming the step; in memory the only failures are a negative seek
// target or size (std::errc::invalid_argument) and a closed file
// (std::errc::bad_file_descriptor); a failed rollover reports the TemporaryFile's error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "atomfile/export.hpp"
#include "atomfile/temporary_file.hpp"

namespace atomfile {

// Python's SpooledTemporaryFile(max_size=0, suffix=None, prefix=None, dir=None); suffix, prefix
// and dir are used when it rolls over.
// Named, chainable setters as for every options struct (temporary_file.hpp says why this form):
//     SpooledTemporaryFile spool(SpooledTemporaryFileOptions().with_max_size(1 << 20));
struct SpooledTemporaryFileOptions {
    std::size_t max_size = 0;
    std::string suffix;
    std::string prefix = "tmp";
    PathArg dir = "";  // empty: gettempdir() at rollover time

    SpooledTemporaryFileOptions& with_max_size(std::size_t value) {
        max_size = value;
        return *this;
    }
    SpooledTemporaryFileOptions& with_suffix(std::string value) {
        suffix = std::move(value);
        return *this;
    }
    SpooledTemporaryFileOptions& with_prefix(std::string value) {
        prefix = std::move(value);
        return *this;
    }
    SpooledTemporaryFileOptions& with_dir(PathArg value) {
        dir = std::move(value);
        return *this;
    }
};

class ATOMFILE_API SpooledTemporaryFile {
  public:
    SpooledTemporaryFile();
    explicit SpooledTemporaryFile(std::size_t max_size);
    explicit SpooledTemporaryFile(const SpooledTemporaryFileOptions& options);
    SpooledTemporaryFile(SpooledTemporaryFile&& other) noexcept;
    SpooledTemporaryFile& operator=(SpooledTemporaryFile&& other) noexcept;
    SpooledTemporaryFile(const SpooledTemporaryFile&) = delete;
    SpooledTemporaryFile& operator=(const SpooledTemporaryFile&) = delete;
    ~SpooledTemporaryFile();

    // Whether the data has moved to disk (Python's _rolled).
    bool rolled_over() const noexcept;
    bool closed() const noexcept { return closed_; }
    std::size_t max_size() const noexcept { return options_.max_size; }

    std::size_t write(std::string_view data);
    std::size_t write(std::string_view data, std::error_code& ec) noexcept;
    std::string read(std::size_t size = std::string::npos);
    std::string read(std::size_t size, std::error_code& ec) noexcept;
    std::int64_t seek(std::int64_t offset, Whence whence = Whence::set);
    std::int64_t seek(std::int64_t offset, Whence whence, std::error_code& ec) noexcept;
    std::int64_t tell() const;
    std::int64_t tell(std::error_code& ec) const noexcept;
    std::int64_t truncate(std::int64_t size);
    std::int64_t truncate(std::int64_t size, std::error_code& ec) noexcept;
    std::int64_t truncate();
    void flush();
    void flush(std::error_code& ec) noexcept;
    // Rolls over, then returns the descriptor of the file on disk.
    int fileno();
    int fileno(std::error_code& ec) noexcept;
    // Moves the data to disk now (no-op once rolled over).
    void rollover();
    void rollover(std::error_code& ec) noexcept;
    // Frees the memory or closes the file. Idempotent, never throws.
    void close() noexcept;

  private:
    void check_open() const;
    void roll_over_if_beyond(std::uint64_t limit_reached);

    SpooledTemporaryFileOptions options_;
    std::string memory_;
    std::int64_t position_ = 0;
    std::unique_ptr<TemporaryFile> file_;  // set once rolled over
    bool closed_ = false;
};

}  // namespace atomfile
