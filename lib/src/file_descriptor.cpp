#include "atomfile/file_descriptor.hpp"

#include "platform/linux.hpp"

namespace atomfile {

void FileDescriptor::reset(int fd) noexcept {
    if (fd_ >= 0) platform::close_fd(fd_);
    fd_ = fd;
}

}  // namespace atomfile
