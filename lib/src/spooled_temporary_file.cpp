#include "atomfile/spooled_temporary_file.hpp"

#include <algorithm>
#include <cerrno>

#include "error_support.hpp"

namespace atomfile {
namespace {

const std::string in_memory = "(in memory)";

}  // namespace

SpooledTemporaryFile::SpooledTemporaryFile()
    : SpooledTemporaryFile(SpooledTemporaryFileOptions{}) {}

SpooledTemporaryFile::SpooledTemporaryFile(std::size_t max_size) {
    options_.max_size = max_size;
}

SpooledTemporaryFile::SpooledTemporaryFile(const SpooledTemporaryFileOptions& options)
    : options_(options) {}

SpooledTemporaryFile::SpooledTemporaryFile(SpooledTemporaryFile&& other) noexcept
    : options_(std::move(other.options_)),
      memory_(std::move(other.memory_)),
      position_(other.position_),
      file_(std::move(other.file_)),
      closed_(std::exchange(other.closed_, true)) {}

SpooledTemporaryFile& SpooledTemporaryFile::operator=(SpooledTemporaryFile&& other) noexcept {
    if (this != &other) {
        options_ = std::move(other.options_);
        memory_ = std::move(other.memory_);
        position_ = other.position_;
        file_ = std::move(other.file_);
        closed_ = std::exchange(other.closed_, true);
    }
    return *this;
}

SpooledTemporaryFile::~SpooledTemporaryFile() = default;

bool SpooledTemporaryFile::rolled_over() const noexcept {
    return file_ != nullptr;
}

void SpooledTemporaryFile::check_open() const {
    if (closed_) throw_error(EBADF, Step::use_closed_spooled, in_memory);
}

// Python checks the position after each write: while in memory the size never exceeds
// max_size, so a position beyond it is exactly "the file grew beyond max_size".
// reached is where the write ends or the size truncate() asks for.
void SpooledTemporaryFile::roll_over_if_beyond(std::uint64_t reached) {
    if (options_.max_size != 0 && reached > options_.max_size) rollover();
}

std::size_t SpooledTemporaryFile::write(std::string_view data) {
    check_open();
    // Rolling over before a write that would end beyond max_size gives the same result as
    // Python's rollover right after it, without first growing the buffer past max_size.
    if (!file_) roll_over_if_beyond(static_cast<std::uint64_t>(position_) + data.size());
    if (file_) return file_->write(data);
    std::size_t start = static_cast<std::size_t>(position_);
    if (memory_.size() < start + data.size()) memory_.resize(start + data.size(), '\0');
    std::copy(data.begin(), data.end(), memory_.begin() + static_cast<std::ptrdiff_t>(start));
    position_ += static_cast<std::int64_t>(data.size());
    return data.size();
}

std::size_t SpooledTemporaryFile::write(std::string_view data, std::error_code& ec) noexcept {
    std::size_t written = 0;
    capture_error(ec, [&] { written = write(data); });
    return written;
}

std::string SpooledTemporaryFile::read(std::size_t size) {
    check_open();
    if (file_) return file_->read(size);
    // At or beyond the end a read returns nothing and, as on a file, leaves the position alone.
    std::size_t start = static_cast<std::size_t>(position_);
    if (start >= memory_.size()) return std::string();
    std::string data = memory_.substr(start, size);
    position_ += static_cast<std::int64_t>(data.size());
    return data;
}

std::string SpooledTemporaryFile::read(std::size_t size, std::error_code& ec) noexcept {
    std::string data;
    capture_error(ec, [&] { data = read(size); });
    return data;
}

std::int64_t SpooledTemporaryFile::seek(std::int64_t offset, Whence whence) {
    check_open();
    if (file_) return file_->seek(offset, whence);
    std::int64_t base = whence == Whence::set       ? 0
                        : whence == Whence::current ? position_
                                                    : static_cast<std::int64_t>(memory_.size());
    if (base + offset < 0) throw_error(EINVAL, Step::seek_spooled, in_memory);
    position_ = base + offset;
    return position_;
}

std::int64_t SpooledTemporaryFile::seek(std::int64_t offset, Whence whence,
                                        std::error_code& ec) noexcept {
    std::int64_t position = -1;
    capture_error(ec, [&] { position = seek(offset, whence); });
    return position;
}

std::int64_t SpooledTemporaryFile::tell() const {
    check_open();
    return file_ ? file_->tell() : position_;
}

std::int64_t SpooledTemporaryFile::tell(std::error_code& ec) const noexcept {
    std::int64_t position = -1;
    capture_error(ec, [&] { position = tell(); });
    return position;
}

std::int64_t SpooledTemporaryFile::truncate(std::int64_t size) {
    check_open();
    if (size < 0) throw_error(EINVAL, Step::truncate_spooled, in_memory);
    roll_over_if_beyond(static_cast<std::uint64_t>(size));
    if (file_) return file_->truncate(size);
    memory_.resize(static_cast<std::size_t>(size), '\0');
    return size;
}

std::int64_t SpooledTemporaryFile::truncate(std::int64_t size, std::error_code& ec) noexcept {
    std::int64_t result = -1;
    capture_error(ec, [&] { result = truncate(size); });
    return result;
}

std::int64_t SpooledTemporaryFile::truncate() {
    return truncate(tell());
}

void SpooledTemporaryFile::flush() {
    check_open();
    if (file_) file_->flush();
}

void SpooledTemporaryFile::flush(std::error_code& ec) noexcept {
    capture_error(ec, [&] { flush(); });
}

int SpooledTemporaryFile::fileno() {
    rollover();
    return file_->fileno();
}

int SpooledTemporaryFile::fileno(std::error_code& ec) noexcept {
    int fd = -1;
    capture_error(ec, [&] { fd = fileno(); });
    return fd;
}

void SpooledTemporaryFile::rollover() {
    check_open();
    if (file_) return;
    TemporaryFileOptions file_options{options_.suffix, options_.prefix, options_.dir};
    auto file = std::make_unique<TemporaryFile>(file_options);
    file->write(memory_);
    file->seek(position_);
    file_ = std::move(file);
    memory_.clear();
    memory_.shrink_to_fit();
}

void SpooledTemporaryFile::rollover(std::error_code& ec) noexcept {
    capture_error(ec, [&] { rollover(); });
}

void SpooledTemporaryFile::close() noexcept {
    closed_ = true;
    file_.reset();
    memory_.clear();
    memory_.shrink_to_fit();
    position_ = 0;
}

}  // namespace atomfile
