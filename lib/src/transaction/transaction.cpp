#include "atomfile/transaction.hpp"

#include <cerrno>
#include <chrono>
#include <functional>
#include <optional>

#include "error_support.hpp"
#include "replace/batch_barrier.hpp"
#include "replace/metadata_copy.hpp"
#include "replace/temp_stream.hpp"
#include "transaction/recover.hpp"

namespace atomfile {

using namespace transaction;

namespace {

struct Staged {
    JournalEntry entry;
    FileDescriptor temp;  // new-INDEX, for writes
};

struct Expected {
    std::string path;
    std::optional<std::string> content;  // nullopt: must not exist
};

std::string full_path(const Root& root, const std::string& relative) {
    return root.path + "/" + relative;
}

// Removes what a failed staging call made, so that it stages nothing.
class StagingUndo {
  public:
    StagingUndo(int staging_fd, std::size_t index) : staging_fd_(staging_fd), index_(index) {}
    ~StagingUndo() {
        if (!armed_) return;
        platform::unlink_file_at(staging_fd_, new_name(index_).c_str());
        platform::unlink_file_at(staging_fd_, old_name(index_).c_str());
    }
    void keep() { armed_ = false; }

  private:
    int staging_fd_;
    std::size_t index_;
    bool armed_ = true;
};

// The target as the replace engine's metadata copy sees it: its directory and lstat.
replace::Target target_of(const Root& root, const std::string& relative,
                          const std::vector<std::string>& parts) {
    replace::Target target;
    target.path = full_path(root, relative);
    target.name = parts.back();
    target.directory = target.path.substr(0, target.path.size() - target.name.size() - 1);
    target.dir = open_parent(root, parts, false, Step::open_directory);
    platform::FileStatus status;
    if (target.dir && platform::stat_at(target.dir.get(), target.name.c_str(), status, false) == 0)
        target.status = status;
    else if (target.dir && errno != ENOENT)
        throw_errno(Step::open_target, target.path);
    if (target.status && target.status->type == platform::FileType::symlink)
        throw_error(ELOOP, Step::open_target, target.path);
    return target;
}

void link_old(int staging_fd, const replace::Target& target, std::size_t index) {
    if (platform::link_at(target.dir.get(), target.name.c_str(), staging_fd,
                          old_name(index).c_str()) != 0)
        throw_errno(Step::backup, target.path);
}

struct TxState {
    Root root;
    ReplaceOptions options;
    FileDescriptor lock;
    FileDescriptor staging;
    std::vector<Staged> staged;
    std::vector<Expected> expected;
    bool spent = false;
    bool committed = false;  // the journal is on disk

    TxState& live(const std::string& path) {
        if (spent) throw_error(EBADF, "use a finished transaction", full_path(root, path));
        return *this;
    }

    void check_new(const std::string& relative) {
        for (const Staged& staged_file : staged)
            if (staged_file.entry.path == relative)
                throw_error(EINVAL, "stage a file already staged in this transaction",
                            full_path(root, relative));
    }

    // A file unlinked while open is renamed to ".fuse_hiddenXXXX" on FUSE instead of being
    // removed, and the staging directory could then not be removed: every descriptor into it
    // is closed before its entries go.
    void close_staged() noexcept {
        for (Staged& staged_file : staged) staged_file.temp.reset();
    }

    int staging_fd() {
        if (!staging) staging = open_staging(root, true);
        return staging.get();
    }

    // Drops the staging directory; nothing outside it was touched.
    void abandon() noexcept {
        close_staged();
        try {
            if (staging) remove_staging(root, staging.get());
        } catch (...) {
            // The next Transaction or recover() on the root removes it.
        }
        staging.reset();
        staged.clear();
    }

    void finish() noexcept {
        spent = true;
        staging.reset();
        staged.clear();
        lock.reset();
    }
};

using State = TxState;

// Writes a staged file's content into its temp; returns the bytes written.
using Fill = std::function<std::uint64_t(int temp_fd, const std::string& path)>;

void stage_write(State& s, const std::string& relative, const Fill& fill) {
    std::vector<std::string> parts = split_relative(relative);
    s.check_new(relative);
    const int staging_fd = s.staging_fd();
    Staged staged{{false, false, s.staged.size(), relative}, {}};
    StagingUndo undo(staging_fd, staged.entry.index);
    replace::Target target = target_of(s.root, relative, parts);
    replace::Original original = replace::open_original(target, s.options);
    staged.entry.has_old = target.status.has_value();
    if (staged.entry.has_old) link_old(staging_fd, target, staged.entry.index);
    staged.temp.reset(
        platform::create_exclusive(staging_fd, new_name(staged.entry.index).c_str(), 0600));
    if (!staged.temp) throw_errno(Step::create_temp, target.path);
    const std::uint64_t size = fill(staged.temp.get(), target.path);
    replace::copy_metadata(original, staged.temp.get(), target, s.options);
    if (s.options.durability != Durability::none &&
        platform::start_writeback(staged.temp.get(), 0, std::int64_t(size)) != 0)
        throw_errno(Step::sync_temp, target.path);
    s.staged.push_back(std::move(staged));
    undo.keep();
}

void stage_removal(State& s, const std::string& relative) {
    std::vector<std::string> parts = split_relative(relative);
    s.check_new(relative);
    const int staging_fd = s.staging_fd();
    Staged staged{{true, true, s.staged.size(), relative}, {}};
    StagingUndo undo(staging_fd, staged.entry.index);
    replace::Target target = target_of(s.root, relative, parts);
    if (!target.status) throw_error(ENOENT, Step::open_target, target.path);
    if (target.status->type != platform::FileType::regular)
        throw_error(EINVAL, Step::not_regular, target.path);
    link_old(staging_fd, target, staged.entry.index);
    s.staged.push_back(std::move(staged));
    undo.keep();
}

// What the file holds now, or nullopt when it does not exist.
std::optional<std::string> current_content(const Root& root, const std::string& relative) {
    const std::string path = full_path(root, relative);
    std::vector<std::string> parts = split_relative(relative);
    FileDescriptor parent = open_parent(root, parts, false, Step::expect);
    if (!parent) return std::nullopt;
    FileDescriptor fd(platform::open_read_no_wait(parent.get(), parts.back().c_str(), false));
    if (!fd && errno == ENOENT) return std::nullopt;
    if (!fd) throw_errno(Step::expect, path);
    platform::FileStatus status;
    if (platform::stat_fd(fd.get(), status) != 0) throw_errno(Step::expect, path);
    if (status.type != platform::FileType::regular) throw_error(EBUSY, Step::expect, path);
    std::string content;
    if (platform::read_all(fd.get(), content) != 0) throw_errno(Step::expect, path);
    return content;
}

void check_expectations(const State& s) {
    for (const Expected& expected : s.expected)
        if (current_content(s.root, expected.path) != expected.content)
            throw_error(EBUSY, Step::expect, full_path(s.root, expected.path));
}

// Every new file and the staging directory's names on disk, in one concurrent flush.
void sync_staged(State& s) {
    const platform::SyncKind kind = s.options.durability == Durability::data
                                        ? platform::SyncKind::data
                                        : platform::SyncKind::full;
    std::vector<const Staged*> writes;
    for (const Staged& staged : s.staged)
        if (staged.temp) writes.push_back(&staged);
    // Besides the temps: the staging directory (its entries) and the root, which holds the
    // staging directory's name, made for this commit. Without the root's sync a power cut
    // after some renames could lose the journal's directory, and with it the way back.
    replace::run_concurrently(writes.size() + 2, true, [&](std::size_t i) {
        if (i == writes.size())
            return sync_directory(s.staging.get(), s.root.path + "/" + staging_name,
                                  Step::sync_journal);
        if (i == writes.size() + 1)
            return sync_directory(s.root.fd.get(), s.root.path, Step::sync_journal);
        if (platform::sync_fd(writes[i]->temp.get(), kind) != 0)
            throw_errno(Step::sync_temp, full_path(s.root, writes[i]->entry.path));
    });
}

void write_journal(State& s, int journal_fd) {
    Journal journal;
    for (const Staged& staged : s.staged) journal.entries.push_back(staged.entry);
    const std::string text = encode_journal(journal);
    const std::string path = s.root.path + "/" + staging_name + "/" + journal_name;
    if (std::int64_t(text.size()) > journal_size_limit)
        throw_error(EFBIG, Step::write_journal, path);
    if (platform::write_all(journal_fd, text.data(), text.size()) != 0)
        throw_errno(Step::write_journal, path);
    if (s.options.durability != Durability::none &&
        platform::sync_fd(journal_fd, platform::SyncKind::data) != 0)
        throw_errno(Step::sync_journal, path);
}

// Undoes the first `count` published entries, newest first, in steps that keep the journal
// valid at every point: the new file goes back to new-INDEX before the old one comes back.
void put_back(State& s, std::size_t count) {
    std::vector<FileDescriptor> dirs;
    const int staging_fd = s.staging.get();
    for (std::size_t i = count; i-- > 0;) {
        const JournalEntry& entry = s.staged[i].entry;
        std::vector<std::string> parts = split_relative(entry.path);
        const std::string path = full_path(s.root, entry.path);
        FileDescriptor parent = open_parent(s.root, parts, false, Step::publish);
        if (!parent) throw_error(ENOENT, Step::publish, path);
        const char* name = parts.back().c_str();
        if (!entry.remove &&
            platform::rename_at(parent.get(), name, staging_fd, new_name(entry.index).c_str()) != 0)
            throw_errno(Step::publish, path);
        if (entry.has_old &&
            platform::link_at(staging_fd, old_name(entry.index).c_str(), parent.get(), name) != 0)
            throw_errno(Step::publish, path);
        dirs.push_back(std::move(parent));
    }
    if (s.options.durability != Durability::none) sync_directories(s.root, dirs);
    remove_staging(s.root, staging_fd);
}

void publish_all(State& s) {
    std::vector<FileDescriptor> dirs;
    std::size_t published = 0;
    try {
        for (; published < s.staged.size(); ++published)
            publish_entry(s.root, s.staging.get(), s.staged[published].entry, dirs);
    } catch (...) {
        try {
            put_back(s, published);
        } catch (...) {
            // The journal stays: the transaction is committed and recover() finishes it.
        }
        throw;
    }
    if (s.options.durability != Durability::none) sync_directories(s.root, dirs);
    remove_staging(s.root, s.staging.get());
}

void commit_staged(State& s) {
    check_expectations(s);
    if (s.staged.empty()) return s.abandon();
    const std::string path = s.root.path + "/" + staging_name + "/" + journal_name;
    FileDescriptor journal(platform::create_exclusive(s.staging.get(), journal_name, 0600));
    if (!journal) throw_errno(Step::write_journal, path);
    if (s.options.durability != Durability::none) sync_staged(s);
    s.close_staged();
    write_journal(s, journal.get());
    journal.reset();
    s.committed = true;
    publish_all(s);
}

}  // namespace

struct Transaction::State : TxState {};

Transaction::Transaction(const PathArg& root, ReplaceOptions options)
    : state_(std::make_unique<State>()) {
    state_->options = std::move(options);
    state_->root = open_root(root.str());
    state_->lock = lock_for_writing(state_->root, state_->options);
    recover_locked(state_->root, state_->options);
}

Transaction::Transaction(Transaction&&) noexcept = default;
Transaction& Transaction::operator=(Transaction&& other) noexcept {
    if (this != &other) {
        discard();
        state_ = std::move(other.state_);
    }
    return *this;
}

Transaction::~Transaction() {
    discard();
}

void Transaction::write(const std::string& relative_path, std::string_view data) {
    if (!state_) throw_error(EBADF, "use a moved-from transaction", relative_path);
    stage_write(state_->live(relative_path), relative_path,
                [data](int temp_fd, const std::string& path) {
                    if (platform::write_all(temp_fd, data.data(), data.size()) != 0)
                        throw_errno(Step::write_temp, path);
                    return std::uint64_t(data.size());
                });
}

std::uint64_t Transaction::write_from(const std::string& relative_path, int fd,
                                      const StopRequested& stop) {
    if (!state_) throw_error(EBADF, "use a moved-from transaction", relative_path);
    std::uint64_t moved = 0;
    const bool behind_enabled = state_->options.durability != Durability::none;
    stage_write(state_->live(relative_path), relative_path,
                [&](int temp_fd, const std::string& path) {
                    replace::WriteBehind behind(behind_enabled);
                    moved = replace::copy_into_temp(fd, temp_fd, 0, behind, stop, path);
                    // A stream cut short is not the content asked for: stage nothing.
                    if (stop && stop()) throw_error(ECANCELED, Step::copy_into_temp, path);
                    return moved;
                });
    return moved;
}

std::uint64_t Transaction::write_from(const std::string& relative_path, int fd,
                                      const StopRequested& stop, std::error_code& ec) noexcept {
    std::uint64_t moved = 0;
    capture_error(ec, [&] { moved = write_from(relative_path, fd, stop); });
    return moved;
}

void Transaction::write(const std::string& relative_path, std::string_view data,
                        std::error_code& ec) noexcept {
    capture_error(ec, [&] { write(relative_path, data); });
}

void Transaction::remove(const std::string& relative_path) {
    if (!state_) throw_error(EBADF, "use a moved-from transaction", relative_path);
    stage_removal(state_->live(relative_path), relative_path);
}

void Transaction::remove(const std::string& relative_path, std::error_code& ec) noexcept {
    capture_error(ec, [&] { remove(relative_path); });
}

void Transaction::expect(const std::string& relative_path, std::string_view old_content) {
    if (!state_) throw_error(EBADF, "use a moved-from transaction", relative_path);
    split_relative(relative_path);
    state_->live(relative_path).expected.push_back({relative_path, std::string(old_content)});
}

void Transaction::expect(const std::string& relative_path, std::string_view old_content,
                         std::error_code& ec) noexcept {
    capture_error(ec, [&] { expect(relative_path, old_content); });
}

void Transaction::expect_missing(const std::string& relative_path) {
    if (!state_) throw_error(EBADF, "use a moved-from transaction", relative_path);
    split_relative(relative_path);
    state_->live(relative_path).expected.push_back({relative_path, std::nullopt});
}

void Transaction::commit() {
    if (!state_) throw_error(EBADF, "use a moved-from transaction", "");
    TxState& s = state_->live("");
    try {
        commit_staged(s);
    } catch (...) {
        if (!s.committed) s.abandon();
        s.finish();
        throw;
    }
    s.finish();
}

void Transaction::commit(std::error_code& ec) noexcept {
    capture_error(ec, [&] { commit(); });
}

void Transaction::discard() noexcept {
    if (!state_ || state_->spent) return;
    state_->abandon();
    state_->finish();
}

TransactionReadLock::TransactionReadLock(const PathArg& root, std::chrono::milliseconds timeout) {
    Root opened = open_root(root.str());
    fd_ = lock_root(opened, false, timeout);
}

TransactionReadLock::TransactionReadLock(TransactionReadLock&&) noexcept = default;
TransactionReadLock& TransactionReadLock::operator=(TransactionReadLock&&) noexcept = default;
TransactionReadLock::~TransactionReadLock() = default;

bool TransactionReadLock::held() const noexcept {
    return fd_.valid();
}

void TransactionReadLock::release() noexcept {
    fd_.reset();
}

}  // namespace atomfile
