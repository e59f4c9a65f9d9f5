// An owned file descriptor: move-only, closed by its destructor.
#pragma once

#include <utility>

#include "atomfile/export.hpp"

namespace atomfile {

class ATOMFILE_API FileDescriptor {
  public:
    FileDescriptor() noexcept = default;
    explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
    FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    FileDescriptor& operator=(FileDescriptor&& other) noexcept {
        if (this != &other) reset(std::exchange(other.fd_, -1));
        return *this;
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() { reset(); }

    int get() const noexcept { return fd_; }
    bool valid() const noexcept { return fd_ >= 0; }
    explicit operator bool() const noexcept { return valid(); }
    // Gives up ownership; the caller must close the descriptor.
    int release() noexcept { return std::exchange(fd_, -1); }
    // Closes the current descriptor (errors ignored: nothing useful can be done with them
    // here, and durability is established by explicit syncs, never by close).
    void reset(int fd = -1) noexcept;

  private:
    int fd_ = -1;
};

}  // namespace atomfile
