#include "atomfile/ostream.hpp"

#include <cerrno>
#include <cstring>
#include <exception>
#include <functional>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "atomfile/error.hpp"
#include "error_support.hpp"

namespace atomfile {
namespace detail {

// The buffer behind both streams: 64 KiB handed to a sink (the file's write()). It never
// throws: a failure is kept, reported to the stream as a failed put, and rethrown on demand.
class OStreamBuffer final : public std::streambuf {
  public:
    using Sink = std::function<void(std::string_view)>;
    static constexpr std::size_t capacity = std::size_t(64) << 10;

    explicit OStreamBuffer(Sink sink) : storage_(new char[capacity]), sink_(std::move(sink)) {
        setp(storage_.get(), storage_.get() + capacity);
    }

    bool attached() const noexcept { return static_cast<bool>(sink_); }
    std::error_code error() const noexcept { return code_; }
    void rethrow_kept() const {
        if (kept_) std::rethrow_exception(kept_);
    }

    // Hands what is buffered to the sink, throwing the kept error (old or new). Does nothing
    // once detached.
    void drain() {
        if (!attached()) return;
        rethrow_kept();
        if (!forward_pending()) rethrow_kept();
    }

    // Drops the buffer and the sink: later output fails.
    void detach() noexcept {
        sink_ = nullptr;
        setp(nullptr, nullptr);
    }

    // Hands what is buffered to the sink; false when it failed now or before.
    bool forward_pending() noexcept {
        if (kept_ || !attached()) return false;
        std::size_t size = static_cast<std::size_t>(pptr() - pbase());
        if (size > 0 && !forward(std::string_view(pbase(), size))) return false;
        setp(storage_.get(), storage_.get() + capacity);
        return true;
    }

  protected:
    int_type overflow(int_type ch) override {
        if (!forward_pending()) return traits_type::eof();
        if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
        *pptr() = traits_type::to_char_type(ch);
        pbump(1);
        return ch;
    }

    // Large pieces bypass the buffer, so memory stays at the buffer whatever is written.
    std::streamsize xsputn(const char* data, std::streamsize count) override {
        if (count <= 0) return 0;
        std::size_t size = static_cast<std::size_t>(count);
        if (room() < size) {
            if (!forward_pending()) return 0;
            if (size >= capacity) return forward(std::string_view(data, size)) ? count : 0;
        }
        std::memcpy(pptr(), data, size);
        pbump(static_cast<int>(size));
        return count;
    }

    int sync() override { return forward_pending() ? 0 : -1; }

  private:
    std::size_t room() const noexcept { return static_cast<std::size_t>(epptr() - pptr()); }

    // Inside a handler only: std::current_exception() is empty once the handler has ended.
    void keep(std::error_code code) noexcept {
        code_ = code;
        kept_ = std::current_exception();
    }

    bool forward(std::string_view data) noexcept {
        try {
            sink_(data);
            return true;
        } catch (const std::system_error& e) {
            keep(e.code());
        } catch (const std::bad_alloc&) {
            keep(std::make_error_code(std::errc::not_enough_memory));
        } catch (...) {
            keep(std::make_error_code(std::errc::io_error));
        }
        setp(nullptr, nullptr);  // every later put comes here and fails
        return false;
    }

    std::unique_ptr<char[]> storage_;
    Sink sink_;
    std::exception_ptr kept_;
    std::error_code code_;
};

}  // namespace detail

namespace {

// The caller's stream state, not a step of the engine: named in words (Step::other).
constexpr const char* step_failed_state = "commit a stream in a failed state";
constexpr const char* step_moved_from = "use a moved-from stream";

// Points a stream at buf, or at nothing (badbit) when there is none. Never throws, even when
// the stream's exceptions() asks for badbit: the state is set before that throw.
void attach(std::ostream& stream, std::streambuf* buf) noexcept {
    try {
        stream.rdbuf(buf);
    } catch (...) {
    }
}

}  // namespace

struct AtomicOStream::Impl {
    explicit Impl(AtomicFile opened)
        : file(std::move(opened)), buffer([this](std::string_view data) { file.write(data); }) {}
    AtomicFile file;
    detail::OStreamBuffer buffer;
};

AtomicOStream::AtomicOStream(const PathArg& path, const ReplaceOptions& options)
    : AtomicOStream(AtomicFile(path, options)) {}

AtomicOStream::AtomicOStream(AtomicFile file)
    : std::ostream(nullptr), impl_(std::make_unique<Impl>(std::move(file))) {
    rdbuf(&impl_->buffer);
}

AtomicOStream::AtomicOStream(AtomicOStream&& other) noexcept
    : std::ostream(std::move(other)), impl_(std::move(other.impl_)) {
    attach(*this, impl_ ? &impl_->buffer : nullptr);
    attach(other, nullptr);
}

AtomicOStream& AtomicOStream::operator=(AtomicOStream&& other) noexcept {
    if (this == &other) return *this;
    discard();
    std::ostream::operator=(std::move(other));
    impl_ = std::move(other.impl_);
    attach(*this, impl_ ? &impl_->buffer : nullptr);
    attach(other, nullptr);
    return *this;
}

AtomicOStream::~AtomicOStream() {
    discard();
}

void AtomicOStream::commit() {
    if (!impl_) throw_error(EBADF, Step::rename, "");  // as a spent AtomicFile's commit()
    Impl& impl = *impl_;
    // Spent: the discarded AtomicFile reports bad_file_descriptor with the target's path.
    if (!impl.buffer.attached()) return impl.file.commit();
    try {
        impl.buffer.rethrow_kept();
        if (fail()) throw_error(EIO, std::string(step_failed_state), impl.file.target_path());
        impl.buffer.drain();
        impl.buffer.detach();
        impl.file.commit();
    } catch (...) {
        discard();
        throw;
    }
}

void AtomicOStream::commit(std::error_code& ec) noexcept {
    capture_error(ec, [&] { commit(); });
}

void AtomicOStream::discard() noexcept {
    if (!impl_) return;
    impl_->buffer.detach();
    impl_->file.discard();
}

std::error_code AtomicOStream::error() const noexcept {
    return impl_ ? impl_->buffer.error() : std::error_code();
}

const std::string& AtomicOStream::target_path() const noexcept {
    static const std::string none;
    return impl_ ? impl_->file.target_path() : none;
}

AtomicFile& AtomicOStream::file() {
    if (!impl_) throw_error(EBADF, std::string(step_moved_from), "");
    return impl_->file;
}

namespace {

template <class File>
std::unique_ptr<detail::OStreamBuffer> buffer_for(File& file) {
    return std::make_unique<detail::OStreamBuffer>(
        [&file](std::string_view data) { file.write(data); });
}

}  // namespace

TempOStream::TempOStream(std::unique_ptr<detail::OStreamBuffer> buffer)
    : std::ostream(nullptr), buffer_(std::move(buffer)) {
    rdbuf(buffer_.get());
}

TempOStream::TempOStream(NamedTemporaryFile& file) : TempOStream(buffer_for(file)) {}
TempOStream::TempOStream(TemporaryFile& file) : TempOStream(buffer_for(file)) {}
TempOStream::TempOStream(SpooledTemporaryFile& file) : TempOStream(buffer_for(file)) {}

TempOStream::TempOStream(TempOStream&& other) noexcept
    : std::ostream(std::move(other)), buffer_(std::move(other.buffer_)) {
    attach(*this, buffer_.get());
    attach(other, nullptr);
}

TempOStream& TempOStream::operator=(TempOStream&& other) noexcept {
    if (this == &other) return *this;
    if (buffer_) buffer_->forward_pending();
    std::ostream::operator=(std::move(other));
    buffer_ = std::move(other.buffer_);
    attach(*this, buffer_.get());
    attach(other, nullptr);
    return *this;
}

TempOStream::~TempOStream() {
    if (buffer_) buffer_->forward_pending();  // a failure is lost here, as the header says
}

void TempOStream::close() {
    if (!buffer_) return;
    try {
        buffer_->drain();
    } catch (...) {
        buffer_->detach();
        throw;
    }
    buffer_->detach();
}

void TempOStream::close(std::error_code& ec) noexcept {
    capture_error(ec, [&] { close(); });
}

std::error_code TempOStream::error() const noexcept {
    return buffer_ ? buffer_->error() : std::error_code();
}

}  // namespace atomfile
