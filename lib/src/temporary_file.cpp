#include "atomfile/temporary_file.hpp"

#include <cerrno>
#include <filesystem>

#include "detail/temp_support.hpp"
#include "error_support.hpp"
#include "platform/linux.hpp"

namespace atomfile {
namespace {

// The fallback: a named exclusive file whose name is removed at once.
FileDescriptor create_and_unlink(int dir_fd, const std::string& directory,
                                 const TemporaryFileOptions& options) {
    std::string name;
    FileDescriptor fd =
        detail::create_unique_file(dir_fd, directory, options.prefix, options.suffix, name);
    if (platform::unlink_file_at(dir_fd, name.c_str()) != 0)
        throw_errno(Step::remove_temp_name, detail::join_path(directory, name));
    return fd;
}

}  // namespace

TemporaryFile::TemporaryFile() : TemporaryFile(TemporaryFileOptions{}) {}

TemporaryFile::TemporaryFile(const TemporaryFileOptions& options) {
    detail::check_affixes(options.prefix, options.suffix);
    directory_ = detail::temp_directory(options.dir.str());
    FileDescriptor dir_fd = detail::open_temp_directory(directory_);
    fd_.reset(platform::create_anonymous(dir_fd.get(), 0600));
    if (fd_) {
        anonymous_ = true;
        return;
    }
    if (!platform::anonymous_unsupported(errno))
        throw_errno(Step::create_anonymous_temp, directory_);
    fd_ = create_and_unlink(dir_fd.get(), directory_, options);
}

TemporaryFile::TemporaryFile(const TemporaryFileOptions& options, std::error_code& ec) noexcept {
    capture_error(ec, [&] { *this = TemporaryFile(options); });
}

TemporaryFile::TemporaryFile(TemporaryFile&& other) noexcept
    : fd_(std::move(other.fd_)),
      directory_(std::move(other.directory_)),
      anonymous_(other.anonymous_) {}

TemporaryFile& TemporaryFile::operator=(TemporaryFile&& other) noexcept {
    if (this != &other) {
        fd_ = std::move(other.fd_);
        directory_ = std::move(other.directory_);
        anonymous_ = other.anonymous_;
    }
    return *this;
}

TemporaryFile::~TemporaryFile() = default;

std::size_t TemporaryFile::write(std::string_view data) {
    return detail::write_fd(fd_.get(), data, directory_);
}

std::size_t TemporaryFile::write(std::string_view data, std::error_code& ec) noexcept {
    return detail::write_fd(fd_.get(), data, directory_, ec);
}

std::string TemporaryFile::read(std::size_t size) {
    return detail::read_fd(fd_.get(), size, directory_);
}

std::string TemporaryFile::read(std::size_t size, std::error_code& ec) noexcept {
    return detail::read_fd(fd_.get(), size, directory_, ec);
}

std::int64_t TemporaryFile::seek(std::int64_t offset, Whence whence) {
    return detail::seek_fd(fd_.get(), offset, whence, directory_);
}

std::int64_t TemporaryFile::seek(std::int64_t offset, Whence whence, std::error_code& ec) noexcept {
    return detail::seek_fd(fd_.get(), offset, whence, directory_, ec);
}

std::int64_t TemporaryFile::tell() const {
    return detail::seek_fd(fd_.get(), 0, Whence::current, directory_);
}

std::int64_t TemporaryFile::tell(std::error_code& ec) const noexcept {
    return detail::seek_fd(fd_.get(), 0, Whence::current, directory_, ec);
}

std::int64_t TemporaryFile::truncate(std::int64_t size) {
    return detail::truncate_fd(fd_.get(), size, directory_);
}

std::int64_t TemporaryFile::truncate(std::int64_t size, std::error_code& ec) noexcept {
    return detail::truncate_fd(fd_.get(), size, directory_, ec);
}

std::int64_t TemporaryFile::truncate() {
    return truncate(tell());
}

void TemporaryFile::flush() {
    detail::require_open(fd_.get(), directory_);
}

void TemporaryFile::flush(std::error_code& ec) noexcept {
    detail::require_open(fd_.get(), directory_, ec);
}

void TemporaryFile::sync() {
    detail::sync_fd(fd_.get(), directory_);
}

void TemporaryFile::sync(std::error_code& ec) noexcept {
    detail::sync_fd(fd_.get(), directory_, ec);
}

void TemporaryFile::link_to(const PathArg& path) {
    detail::require_open(fd_.get(), directory_);
    if (!anonymous_) throw_error(EOPNOTSUPP, Step::link_named_temp, path.str());
    std::filesystem::path target(detail::absolute_path(path.str()));
    std::string parent = target.parent_path().string();
    FileDescriptor dir_fd(platform::open_directory(platform::current_directory, parent.c_str()));
    if (!dir_fd) throw_errno(Step::open_directory_to_link, parent);
    std::string name = target.filename().string();
    if (platform::link_anonymous(fd_.get(), dir_fd.get(), name.c_str()) != 0)
        throw_errno(Step::link_temp, target.string());
}

void TemporaryFile::link_to(const PathArg& path, std::error_code& ec) noexcept {
    capture_error(ec, [&] { link_to(path); });
}

void TemporaryFile::close() noexcept {
    fd_.reset();
}

}  // namespace atomfile
