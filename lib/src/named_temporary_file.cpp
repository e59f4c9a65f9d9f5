#include "atomfile/named_temporary_file.hpp"

#include <cerrno>

#include "detail/temp_support.hpp"
#include "error_support.hpp"
#include "platform/linux.hpp"

namespace atomfile {

NamedTemporaryFile::NamedTemporaryFile() : NamedTemporaryFile(NamedTemporaryFileOptions{}) {}

NamedTemporaryFile::NamedTemporaryFile(const NamedTemporaryFileOptions& options)
    : delete_file_(options.delete_file), delete_on_close_(options.delete_on_close) {
    detail::check_affixes(options.prefix, options.suffix);
    std::string directory = detail::temp_directory(options.dir.str());
    FileDescriptor dir_fd = detail::open_temp_directory(directory);
    std::string name;
    fd_ = detail::create_unique_file(dir_fd.get(), directory, options.prefix, options.suffix, name);
    name_ = detail::join_path(directory, name);
    // Remembered so that removal can tell our file from one put at the same path later.
    platform::FileStatus status;
    if (platform::stat_fd(fd_.get(), status) != 0) {
        int error = errno;
        platform::unlink_file_at(dir_fd.get(), name.c_str());
        throw_error(error, Step::inspect_temp, name_);
    }
    device_ = status.device;
    inode_ = status.inode;
}

NamedTemporaryFile::NamedTemporaryFile(const NamedTemporaryFileOptions& options,
                                       std::error_code& ec) noexcept {
    cleaned_up_ = true;  // owns nothing unless creation succeeds
    capture_error(ec, [&] { *this = NamedTemporaryFile(options); });
}

NamedTemporaryFile::NamedTemporaryFile(NamedTemporaryFile&& other) noexcept
    : TempFileIo(std::move(other)),
      device_(other.device_),
      inode_(other.inode_),
      delete_file_(other.delete_file_),
      delete_on_close_(other.delete_on_close_),
      cleaned_up_(std::exchange(other.cleaned_up_, true)) {
    other.name_.clear();
}

NamedTemporaryFile& NamedTemporaryFile::operator=(NamedTemporaryFile&& other) noexcept {
    if (this != &other) {
        std::error_code ignored;
        cleanup(ignored);
        TempFileIo::operator=(std::move(other));
        other.name_.clear();
        device_ = other.device_;
        inode_ = other.inode_;
        delete_file_ = other.delete_file_;
        delete_on_close_ = other.delete_on_close_;
        cleaned_up_ = std::exchange(other.cleaned_up_, true);
    }
    return *this;
}

NamedTemporaryFile::~NamedTemporaryFile() {
    std::error_code ignored;
    cleanup(ignored);
}

void NamedTemporaryFile::close() {
    if (!fd_) return;
    fd_.reset();
    if (delete_file_ && delete_on_close_ && !cleaned_up_) {
        cleaned_up_ = true;
        remove_if_ours();
    }
}

void NamedTemporaryFile::close(std::error_code& ec) noexcept {
    capture_error(ec, [&] { close(); });
}

void NamedTemporaryFile::cleanup() {
    fd_.reset();
    if (cleaned_up_) return;
    cleaned_up_ = true;
    if (delete_file_) remove_if_ours();
}

void NamedTemporaryFile::cleanup(std::error_code& ec) noexcept {
    capture_error(ec, [&] { cleanup(); });
}

void NamedTemporaryFile::keep() noexcept {
    delete_file_ = false;
}

std::string NamedTemporaryFile::release() noexcept {
    fd_.reset();
    cleaned_up_ = true;
    return std::exchange(name_, std::string());
}

// Removes the path only while it still names the file we created: after a rename away, the
// path may name someone else's file, which is not ours to delete. A file already gone is fine.
void NamedTemporaryFile::remove_if_ours() const {
    platform::FileStatus status;
    if (platform::stat_at(platform::current_directory, name_.c_str(), status, false) != 0) {
        if (errno == ENOENT) return;
        throw_errno(Step::inspect_temp_to_remove, name_);
    }
    if (status.device != device_ || status.inode != inode_) return;
    if (platform::unlink_file_at(platform::current_directory, name_.c_str()) != 0 &&
        errno != ENOENT)
        throw_errno(Step::remove_temp, name_);
}

}  // namespace atomfile
