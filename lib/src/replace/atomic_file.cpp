// AtomicFile: the streaming face of the replace engine; write_atomic and safe_update are built
// on it.
#include <algorithm>
#include <cerrno>
#include <limits>
#include <optional>
#include <vector>

#include "atomfile/replace.hpp"
#include "error_support.hpp"
#include "platform/linux.hpp"
#include "replace/atomic_file_state.hpp"
#include "replace/batch_targets.hpp"
#include "replace/commit_protocol.hpp"
#include "replace/in_place.hpp"
#include "replace/metadata_copy.hpp"
#include "replace/replace_temp.hpp"
#include "replace/steps.hpp"
#include "replace/target_resolution.hpp"
#include "replace/temp_stream.hpp"
#include "replace/update_lock.hpp"

namespace atomfile {

using namespace replace;

namespace {

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

// The temp next to the target, or with the in-place fallback where the directory refuses it,
// in the undo directory.
template <class State>
void create_temp(State& state) {
    try {
        state.temp.emplace(state.target);
    } catch (const Error& refused) {
        if (!falls_back_on_temp(refused, state.original, state.options)) throw;
        state.staging = staging_place(state.target, state.options);
        state.temp.emplace(*state.staging);
        state.temp_refused = refused;
    }
}

}  // namespace

AtomicFile::AtomicFile(const PathArg& path, const ReplaceOptions& options)
    : state_(std::make_unique<State>()) {
    State& state = *state_;
    state.options = options;
    state.target = resolve_for_open(path.str(), options);  // a Batch may have resolved it
    // A transaction covering the target is finished, undone or waited for before anything is
    // read or written: its roll-forward must not come after this replace and undo it.
    recover_covering(state.target, options);
    if (options.lock) {
        state.lock = UpdateLock(state.target, options.lock_timeout, options.cancel_lock_wait);
        // Looked at before the wait: a writer holding the lock may have created the file since,
        // and its content is what this update must start from.
        state.target.status = stat_target(state.target);
    }
    // An overwrite a crash interrupted is undone before anything reads the file.
    if (options.in_place_fallback && restore_in_place(state.target, options))
        state.target.status = stat_target(state.target);
    state.original = open_original(state.target, options);
    if (!state.original.fd && !options.missing_ok)
        throw_error(ENOENT, step::open_target, state.target.path);
    check_backup(state.target, options.backup_suffix);  // refused before anything is written
    create_temp(state);
    state.behind.emplace(options.durability != Durability::none);
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
    while (!data.empty()) {
        std::string_view piece = data.substr(0, WriteBehind::piece);
        temp.write(piece);
        const std::int64_t from = state_->position;
        state_->position += static_cast<std::int64_t>(piece.size());
        state_->behind->advance(temp.fd(), from, state_->position, state_->target.path);
        data.remove_prefix(piece.size());
    }
}

void AtomicFile::write(std::string_view data, std::error_code& ec) noexcept {
    capture_error(ec, [&] { write(data); });
}

namespace {

// Copies in_fd into the temp from the temp's current offset, keeping State's position.
template <class StatePointer>
std::uint64_t stream_into(const StatePointer& state, int in_fd,
                          const AtomicFile::StopRequested& stop) {
    ReplaceTemp& temp = live_temp(state, step::copy_into_temp);
    const std::int64_t at = platform::seek(temp.fd(), 0, platform::Whence::current);
    if (at < 0) throw_errno(step::copy_into_temp, state->target.path);
    std::uint64_t moved =
        copy_into_temp(in_fd, temp.fd(), at, *state->behind, stop, state->target.path);
    state->position = at + static_cast<std::int64_t>(moved);
    return moved;
}

}  // namespace

std::uint64_t AtomicFile::write_from(int fd, const StopRequested& stop) {
    return stream_into(state_, fd, stop);
}

std::uint64_t AtomicFile::write_from(int fd, std::error_code& ec) noexcept {
    return write_from(fd, StopRequested(), ec);
}

std::uint64_t AtomicFile::write_from(int fd, const StopRequested& stop,
                                     std::error_code& ec) noexcept {
    std::uint64_t total = 0;
    capture_error(ec, [&] { total = write_from(fd, stop); });
    return total;
}

std::uint64_t AtomicFile::write_original(const StopRequested& stop) {
    live_temp(state_, step::copy_into_temp);
    const int original = original_descriptor();
    if (original < 0) return 0;
    if (platform::seek(original, 0, platform::Whence::set) < 0)
        throw_errno(step::read_target, state_->target.path);
    return stream_into(state_, original, stop);
}

std::uint64_t AtomicFile::write_original(const StopRequested& stop, std::error_code& ec) noexcept {
    std::uint64_t total = 0;
    capture_error(ec, [&] { total = write_original(stop); });
    return total;
}

namespace {

// How much of [offset, offset + length) a regular file holds now, 0 for anything else: blocks
// reserved beyond that would stay allocated past the end of a temp committed after ENODATA.
std::int64_t fillable(int fd, std::uint64_t offset, std::uint64_t length) {
    platform::FileStatus status;
    if (platform::stat_fd(fd, status) != 0 || status.type != platform::FileType::regular ||
        static_cast<std::uint64_t>(status.size) <= offset)
        return 0;
    return static_cast<std::int64_t>(
        std::min(length, static_cast<std::uint64_t>(status.size) - offset));
}

}  // namespace

void AtomicFile::copy_from(int fd, std::uint64_t offset, std::uint64_t length) {
    ReplaceTemp& temp = live_temp(state_, step::copy_into_temp);
    const std::string& path = state_->target.path;
    // A range ending past the largest file offset would wrap to an empty one below.
    constexpr auto largest = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (offset > largest || length > largest - offset)
        throw_error(EINVAL, step::copy_into_temp, path);
    const std::int64_t at = platform::seek(temp.fd(), 0, platform::Whence::current);
    if (at < 0) throw_errno(step::copy_into_temp, path);
    platform::preallocate(temp.fd(), at, fillable(fd, offset, length));
    auto from = static_cast<std::int64_t>(offset);
    const std::int64_t end = from + static_cast<std::int64_t>(length);
    std::vector<char> buffer;
    // In pieces of at most 8 MiB, each handed to write-behind as it is done.
    while (from < end) {
        const auto size = static_cast<std::size_t>(std::min(end - from, WriteBehind::piece));
        long moved = platform::transfer_range(fd, from, temp.fd(), size, buffer);
        if (moved < 0 && errno == EINTR) continue;
        if (moved < 0) throw_errno(step::copy_into_temp, path);
        if (moved == 0) throw_error(ENODATA, step::copy_into_temp, path);
        const std::int64_t before = state_->position;
        state_->position = at + (from - static_cast<std::int64_t>(offset));
        state_->behind->advance(temp.fd(), before, state_->position, path);
    }
}

void AtomicFile::copy_from(int fd, std::uint64_t offset, std::uint64_t length,
                           std::error_code& ec) noexcept {
    capture_error(ec, [&] { copy_from(fd, offset, length); });
}

std::uint64_t AtomicFile::size() const {
    const ReplaceTemp& temp = live_temp(state_, Step::inspect_temp);
    platform::FileStatus status;
    if (platform::stat_fd(temp.fd(), status) != 0)
        throw_errno(Step::inspect_temp, state_->target.path);
    return static_cast<std::uint64_t>(status.size);
}

std::uint64_t AtomicFile::size(std::error_code& ec) const noexcept {
    std::uint64_t result = 0;
    capture_error(ec, [&] { result = size(); });
    return result;
}

FileDescriptor AtomicFile::duplicate_original() const {
    live_temp(state_, step::read_target);
    const int original = original_descriptor();
    if (original < 0) return FileDescriptor();
    FileDescriptor copy(platform::duplicate(original));
    if (!copy || platform::seek(copy.get(), 0, platform::Whence::set) < 0)
        throw_errno(step::read_target, state_->target.path);
    return copy;
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
        if (changes_nothing(temp.fd(), state_->original, state_->target, state_->options))
            return discard();  // nothing written: the target keeps its inode, mtime and links
        if (state_->temp_refused) {
            commit_file(temp.fd(), state_->original, state_->target, state_->options, [&] {
                overwrite_in_place(temp.fd(), state_->target, state_->options,
                                   *state_->temp_refused);
            });
        } else {
            commit_temp(temp, state_->original, state_->target, state_->options);
        }
        state_->replaced = true;
    } catch (...) {
        discard();
        throw;
    }
    discard();  // the temp has become the target: this only releases the lock and descriptors
}

void AtomicFile::commit(std::error_code& ec) noexcept {
    capture_error(ec, [&] { commit(); });
}

bool AtomicFile::replaced() const noexcept {
    return state_ && state_->replaced;
}

void AtomicFile::discard() noexcept {
    if (!state_) return;
    state_->temp.reset();
    state_->original.fd.reset();
    state_->lock.release();
}

}  // namespace atomfile
