// AtomicFile: the streaming face of the replace engine; write_atomic and safe_update are built
// on it.
#include <cerrno>
#include <optional>
#include <vector>

#include "atomfile/replace.hpp"
#include "error_support.hpp"
#include "replace/commit_protocol.hpp"
#include "replace/metadata_copy.hpp"
#include "replace/replace_temp.hpp"
#include "replace/steps.hpp"
#include "replace/target_resolution.hpp"
#include "replace/update_lock.hpp"

namespace atomfile {

using namespace replace;

// Members are declared in the order they are acquired, so they are released in reverse: the
// temp and the lock refer to the target's directory descriptor.
struct AtomicFile::State {
    ReplaceOptions options;
    Target target;
    UpdateLock lock;
    Original original;
    std::optional<ReplaceTemp> temp;
    // Where the last piece handed to the disk by write() begins, -1 before the first: the next
    // piece retires the bytes from there (platform::write_behind).
    std::int64_t handed_from = -1;
};

namespace {

constexpr std::size_t transfer_chunk = std::size_t(1) << 20;
constexpr std::size_t writeback_piece = std::size_t(8) << 20;

// Hands the `length` bytes just written to the disk and retires the piece handed before them
// from the page cache (platform::write_behind), so a big buffer's copy in the page cache stays
// at two pieces. Its failure is the write's failure: an error reported here might not be
// reported again by the fsync.
void write_behind_last(ReplaceTemp& temp, std::size_t length, std::int64_t& handed_from,
                       const std::string& path) {
    std::int64_t end = platform::seek(temp.fd(), 0, platform::Whence::current);
    auto size = static_cast<std::int64_t>(length);
    if (end < 0) throw_errno(step::write, path);
    const std::int64_t begin = end - size;
    if (platform::write_behind(temp.fd(), handed_from < 0 ? begin : handed_from, begin, size) != 0)
        throw_errno(step::write, path);
    handed_from = begin;
}

std::string read_from_start(int fd, const std::string& path) {
    platform::FileStatus status;
    if (platform::stat_fd(fd, status) != 0) throw_errno(step::read_target, path);
    // Sized once from the file (plus one byte to see the end without growing): a string grown
    // by doubling would peak near twice the file, which matters for json-edit on big files.
    std::string content;
    content.reserve(static_cast<std::size_t>(status.size) + 1);
    platform::advise_huge_pages(content.data(), content.capacity());
    content.resize(static_cast<std::size_t>(status.size) + 1);
    std::size_t filled = 0;
    for (;;) {
        if (filled == content.size()) content.resize(content.size() * 2);  // grew meanwhile
        long got = platform::pread_some(fd, content.data() + filled, content.size() - filled,
                                        static_cast<std::int64_t>(filled));
        if (got < 0) throw_errno(step::read_target, path);
        if (got == 0) break;
        filled += static_cast<std::size_t>(got);
    }
    content.resize(filled);
    return content;
}

}  // namespace

AtomicFile::AtomicFile(const PathArg& path, const ReplaceOptions& options)
    : state_(std::make_unique<State>()) {
    State& state = *state_;
    state.options = options;
    state.target = resolve_target(path.str(), options);
    if (options.lock) {
        state.lock = UpdateLock(state.target, options.lock_timeout);
        // Looked at before the wait: a writer holding the lock may have created the file since,
        // and its content is what this update must start from.
        state.target.status = stat_target(state.target);
    }
    state.original = open_original(state.target, options);
    if (!state.original.fd && !options.missing_ok)
        throw_error(ENOENT, step::open_target, state.target.path);
    check_backup(state.target, options.backup_suffix);  // refused before anything is written
    state.temp.emplace(state.target);
}

AtomicFile::AtomicFile(const PathArg& path, const ReplaceOptions& options,
                       std::error_code& ec) noexcept {
    capture_error(ec, [&] { *this = AtomicFile(path, options); });
}

AtomicFile::AtomicFile(AtomicFile&&) noexcept = default;
AtomicFile& AtomicFile::operator=(AtomicFile&&) noexcept = default;
AtomicFile::~AtomicFile() {
    discard();
}

namespace {

// The live temp, or an error naming what was attempted on a spent object. (A template because
// AtomicFile::State is private.)
template <class StatePointer>
ReplaceTemp& live_temp(const StatePointer& state, Step what) {
    if (!state || !state->temp) throw_error(EBADF, what, state ? state->target.path : "");
    return *state->temp;
}

}  // namespace

void AtomicFile::write(std::string_view data) {
    ReplaceTemp& temp = live_temp(state_, step::write);
    // A big buffer goes in pieces, each handed to the disk as soon as it is written: writing
    // and writeback overlap, and commit()'s fsync finds little left to do.
    const bool syncing = state_->options.durability != Durability::none;
    while (syncing && data.size() > writeback_piece) {
        temp.write(data.substr(0, writeback_piece));
        write_behind_last(temp, writeback_piece, state_->handed_from, state_->target.path);
        data.remove_prefix(writeback_piece);
    }
    temp.write(data);
}

void AtomicFile::write(std::string_view data, std::error_code& ec) noexcept {
    capture_error(ec, [&] { write(data); });
}

std::uint64_t AtomicFile::write_from(int fd) {
    ReplaceTemp& temp = live_temp(state_, step::write);
    platform::InputKind kind;
    if (platform::classify_input(fd, kind) != 0)
        throw_errno(step::copy_into_temp, state_->target.path);
    std::uint64_t total = 0;
    std::vector<char> buffer;
    for (;;) {
        long moved = platform::transfer(fd, temp.fd(), transfer_chunk, kind, buffer);
        if (moved < 0 && errno == EINTR) continue;
        if (moved < 0) throw_errno(step::copy_into_temp, state_->target.path);
        if (moved == 0) return total;
        total += static_cast<std::uint64_t>(moved);
    }
}

std::uint64_t AtomicFile::write_from(int fd, std::error_code& ec) noexcept {
    std::uint64_t total = 0;
    capture_error(ec, [&] { total = write_from(fd); });
    return total;
}

std::string AtomicFile::read_original() {
    live_temp(state_, step::read_target);
    if (!state_->original.fd) return {};
    return read_from_start(state_->original.fd.get(), state_->target.path);
}

std::string AtomicFile::read_original(std::error_code& ec) noexcept {
    std::string content;
    capture_error(ec, [&] { content = read_original(); });
    return content;
}

int AtomicFile::original_descriptor() const noexcept {
    return state_ && state_->original.fd ? state_->original.fd.get() : -1;
}

int AtomicFile::temp_descriptor() const noexcept {
    return state_ && state_->temp ? state_->temp->fd() : -1;
}

const std::string& AtomicFile::target_path() const noexcept {
    static const std::string none;
    return state_ ? state_->target.path : none;
}

void AtomicFile::commit() {
    ReplaceTemp& temp = live_temp(state_, step::rename);
    try {
        commit_temp(temp, state_->original, state_->target, state_->options);
    } catch (...) {
        discard();
        throw;
    }
    discard();  // the temp has become the target: this only releases the lock and descriptors
}

void AtomicFile::commit(std::error_code& ec) noexcept {
    capture_error(ec, [&] { commit(); });
}

void AtomicFile::discard() noexcept {
    if (!state_) return;
    state_->temp.reset();
    state_->original.fd.reset();
    state_->lock.release();
}

}  // namespace atomfile
