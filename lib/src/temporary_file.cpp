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
    name_ = detail::temp_directory(options.dir.str());
    FileDescriptor dir_fd = detail::open_temp_directory(name_);
    fd_.reset(platform::create_anonymous(dir_fd.get(), 0600));
    if (fd_) {
        anonymous_ = true;
        return;
    }
    if (!platform::anonymous_unsupported(errno)) throw_errno(Step::create_anonymous_temp, name_);
    fd_ = create_and_unlink(dir_fd.get(), name_, options);
}

TemporaryFile::TemporaryFile(const TemporaryFileOptions& options, std::error_code& ec) noexcept {
    capture_error(ec, [&] { *this = TemporaryFile(options); });
}

TemporaryFile::TemporaryFile(TemporaryFile&& other) noexcept
    : TempFileIo(std::move(other)), anonymous_(other.anonymous_) {}

TemporaryFile& TemporaryFile::operator=(TemporaryFile&& other) noexcept {
    if (this != &other) {
        TempFileIo::operator=(std::move(other));
        anonymous_ = other.anonymous_;
    }
    return *this;
}

TemporaryFile::~TemporaryFile() = default;

void TemporaryFile::link_to(const PathArg& path) {
    detail::require_open(fd_.get(), name_);
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
