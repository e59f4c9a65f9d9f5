#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include "atomfile/file_descriptor.hpp"

using atomfile::FileDescriptor;

namespace {
bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1;
}
}  // namespace

TEST_CASE("a file descriptor is closed when its owner goes out of scope") {
    int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    { FileDescriptor fd(raw); }
    CHECK_FALSE(is_open(raw));
}

TEST_CASE("moving a file descriptor transfers ownership and release gives it up") {
    int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    FileDescriptor first(raw);
    FileDescriptor second(std::move(first));
    CHECK_FALSE(first.valid());
    CHECK(second.get() == raw);
    CHECK(second.release() == raw);
    CHECK_FALSE(second.valid());
    CHECK(is_open(raw));
    ::close(raw);
}
