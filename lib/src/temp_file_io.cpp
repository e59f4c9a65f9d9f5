#include "atomfile/temp_file_io.hpp"

#include "detail/temp_support.hpp"

namespace atomfile {

std::size_t TempFileIo::write(std::string_view data) {
    return detail::write_fd(fd_.get(), data, name_);
}

std::size_t TempFileIo::write(std::string_view data, std::error_code& ec) noexcept {
    return detail::write_fd(fd_.get(), data, name_, ec);
}

std::string TempFileIo::read(std::size_t size) {
    return detail::read_fd(fd_.get(), size, name_);
}

std::string TempFileIo::read(std::size_t size, std::error_code& ec) noexcept {
    return detail::read_fd(fd_.get(), size, name_, ec);
}

std::int64_t TempFileIo::seek(std::int64_t offset, Whence whence) {
    return detail::seek_fd(fd_.get(), offset, whence, name_);
}

std::int64_t TempFileIo::seek(std::int64_t offset, Whence whence, std::error_code& ec) noexcept {
    return detail::seek_fd(fd_.get(), offset, whence, name_, ec);
}

std::int64_t TempFileIo::tell() const {
    return detail::seek_fd(fd_.get(), 0, Whence::current, name_);
}

std::int64_t TempFileIo::tell(std::error_code& ec) const noexcept {
    return detail::seek_fd(fd_.get(), 0, Whence::current, name_, ec);
}

std::int64_t TempFileIo::truncate(std::int64_t size) {
    return detail::truncate_fd(fd_.get(), size, name_);
}

std::int64_t TempFileIo::truncate(std::int64_t size, std::error_code& ec) noexcept {
    return detail::truncate_fd(fd_.get(), size, name_, ec);
}

std::int64_t TempFileIo::truncate() {
    return truncate(tell());
}

void TempFileIo::flush() {
    detail::require_open(fd_.get(), name_);
}

void TempFileIo::flush(std::error_code& ec) noexcept {
    detail::require_open(fd_.get(), name_, ec);
}

void TempFileIo::sync() {
    detail::sync_fd(fd_.get(), name_);
}

void TempFileIo::sync(std::error_code& ec) noexcept {
    detail::sync_fd(fd_.get(), name_, ec);
}

}  // namespace atomfile
