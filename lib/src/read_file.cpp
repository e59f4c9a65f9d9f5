#include "atomfile/read_file.hpp"

#include <algorithm>
#include <cerrno>
#include <utility>

#include "atomfile/error.hpp"
#include "atomfile/file_descriptor.hpp"
#include "error_support.hpp"
#include "platform/linux.hpp"

namespace atomfile {

namespace {

constexpr std::size_t chunk = 256 * 1024;

// Sized from the status when there is one to size from (plus one byte, to see the end without
// growing): a string grown by doubling would peak near twice the file.
std::size_t initial_capacity(int fd, std::uint64_t max_size) {
    platform::FileStatus status;
    if (platform::stat_fd(fd, status) != 0 || status.type != platform::FileType::regular)
        return chunk;
    std::uint64_t wanted = static_cast<std::uint64_t>(status.size) + 1;
    if (max_size != no_size_limit) wanted = std::min(wanted, max_size + 1);
    return static_cast<std::size_t>(wanted);
}

}  // namespace

std::string read_descriptor(int fd, const std::string& path, std::uint64_t max_size) {
    std::string content;
    content.reserve(initial_capacity(fd, max_size));
    platform::advise_huge_pages(content.data(), content.capacity());
    content.resize(content.capacity());
    std::size_t filled = 0;
    for (;;) {
        if (filled > max_size) throw_error(EFBIG, "check size", path);
        if (filled == content.size()) content.resize(content.size() * 2);
        std::size_t room = content.size() - filled;
        if (max_size != no_size_limit) room = std::min<std::uint64_t>(room, max_size + 1 - filled);
        long got = platform::read_some(fd, content.data() + filled, room);
        if (got < 0) throw_errno("read", path);
        if (got == 0) break;
        filled += static_cast<std::size_t>(got);
    }
    content.resize(filled);
    return content;
}

std::string read_descriptor(int fd, const std::string& path, std::uint64_t max_size,
                            std::error_code& ec) noexcept {
    std::string content;
    capture_error(ec, [&] { content = read_descriptor(fd, path, max_size); });
    return content;
}

std::string read_file(const PathArg& path, std::uint64_t max_size) {
    FileDescriptor fd(platform::open_read(platform::current_directory, path.c_str()));
    if (!fd) throw_errno("open", path.str());
    platform::FileStatus status;
    if (platform::stat_fd(fd.get(), status) == 0 && status.type == platform::FileType::directory)
        throw_error(EISDIR, "open", path.str());
    return read_descriptor(fd.get(), path.str(), max_size);
}

std::string read_file(const PathArg& path, std::uint64_t max_size, std::error_code& ec) noexcept {
    std::string content;
    capture_error(ec, [&] { content = read_file(path, max_size); });
    return content;
}

FileContent::FileContent(std::string text) noexcept : text_(std::move(text)) {}

FileContent::FileContent(const char* mapping, std::size_t size) noexcept
    : mapping_(mapping), size_(size) {}

FileContent::FileContent(FileContent&& other) noexcept
    : mapping_(std::exchange(other.mapping_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      text_(std::move(other.text_)) {}

FileContent& FileContent::operator=(FileContent&& other) noexcept {
    if (this != &other) {
        if (mapping_) platform::unmap_file(mapping_, size_);
        mapping_ = std::exchange(other.mapping_, nullptr);
        size_ = std::exchange(other.size_, 0);
        text_ = std::move(other.text_);
    }
    return *this;
}

FileContent::~FileContent() {
    if (mapping_) platform::unmap_file(mapping_, size_);
}

std::string_view FileContent::view() const noexcept {
    return mapping_ ? std::string_view(mapping_, size_) : std::string_view(text_);
}

FileContent map_descriptor(int fd, const std::string& path, std::uint64_t max_size) {
    platform::FileStatus status;
    if (platform::stat_fd(fd, status) != 0 || status.type != platform::FileType::regular ||
        status.size <= 0)
        return FileContent(read_descriptor(fd, path, max_size));
    auto size = static_cast<std::uint64_t>(status.size);
    if (size > max_size) throw_error(EFBIG, "check size", path);
    const char* mapping = platform::map_file(fd, static_cast<std::size_t>(size));
    if (!mapping) throw_errno("read", path);
    return FileContent(mapping, static_cast<std::size_t>(size));
}

FileContent map_descriptor(int fd, const std::string& path, std::uint64_t max_size,
                           std::error_code& ec) noexcept {
    FileContent content;
    capture_error(ec, [&] { content = map_descriptor(fd, path, max_size); });
    return content;
}

FileContent map_file(const PathArg& path, std::uint64_t max_size) {
    FileDescriptor fd(platform::open_read(platform::current_directory, path.c_str()));
    if (!fd) throw_errno("open", path.str());
    platform::FileStatus status;
    if (platform::stat_fd(fd.get(), status) == 0 && status.type == platform::FileType::directory)
        throw_error(EISDIR, "open", path.str());
    return map_descriptor(fd.get(), path.str(), max_size);
}

FileContent map_file(const PathArg& path, std::uint64_t max_size, std::error_code& ec) noexcept {
    FileContent content;
    capture_error(ec, [&] { content = map_file(path, max_size); });
    return content;
}

}  // namespace atomfile
