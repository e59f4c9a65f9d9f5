// TempFileIo: the file methods that TemporaryFile and NamedTemporaryFile share (Python's file
// object: write, read, seek, tell, truncate, flush), plus sync. One implementation behind both.
//
// I/O is unbuffered: write() hands the bytes to the kernel before returning, so flush() has
// nothing to do and exists for parity. Data is binary; there is no text mode. Errors:
// atomfile::Error naming the step ("write temp file", "seek temp file", ...) and the path the
// file is known by (the temp's path, or for an unnamed temp its directory); a closed file fails
// with std::errc::bad_file_descriptor. Every throwing method has a noexcept overload taking
// std::error_code&.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "atomfile/export.hpp"
#include "atomfile/file_descriptor.hpp"

namespace atomfile {

// Origin of a seek, as Python's whence (0, 1, 2).
enum class Whence { set, current, end };

class ATOMFILE_API TempFileIo {
  public:
    // The descriptor (read-write, close-on-exec), or -1 once closed. Still owned by this object.
    int fileno() const noexcept { return fd_.get(); }
    bool closed() const noexcept { return !fd_.valid(); }

    // Writes all of data at the current position; returns data.size().
    std::size_t write(std::string_view data);
    std::size_t write(std::string_view data, std::error_code& ec) noexcept;
    // Reads up to size bytes (fewer only at end of file); read() reads to the end.
    std::string read(std::size_t size = std::string::npos);
    std::string read(std::size_t size, std::error_code& ec) noexcept;
    // Moves the position; returns the new one.
    std::int64_t seek(std::int64_t offset, Whence whence = Whence::set);
    std::int64_t seek(std::int64_t offset, Whence whence, std::error_code& ec) noexcept;
    std::int64_t tell() const;
    std::int64_t tell(std::error_code& ec) const noexcept;
    // Sets the size to size (extending with zeros); the position does not move. Returns size.
    std::int64_t truncate(std::int64_t size);
    std::int64_t truncate(std::int64_t size, std::error_code& ec) noexcept;
    // Truncates at the current position.
    std::int64_t truncate();
    // Nothing is buffered: present for parity, checks only that the file is open.
    void flush();
    void flush(std::error_code& ec) noexcept;
    // fsync: beyond Python, for callers that keep, link or persist the file and need it durable.
    void sync();
    void sync(std::error_code& ec) noexcept;

  protected:
    TempFileIo() = default;
    TempFileIo(TempFileIo&&) noexcept = default;
    TempFileIo& operator=(TempFileIo&&) noexcept = default;
    TempFileIo(const TempFileIo&) = delete;
    TempFileIo& operator=(const TempFileIo&) = delete;
    ~TempFileIo() = default;

    FileDescriptor fd_;
    // The path errors name: NamedTemporaryFile's path, TemporaryFile's directory.
    std::string name_;
};

}  // namespace atomfile
