#include "transaction/recover.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <utility>

#include "error_support.hpp"
#include "replace/batch_barrier.hpp"

namespace atomfile::transaction {

namespace {

// lstat of name in dir: false when it does not exist.
bool exists_at(int dir_fd, const std::string& name, platform::FileStatus& status,
               const std::string& path, Step step) {
    if (platform::stat_at(dir_fd, name.c_str(), status, false) == 0) return true;
    if (errno != ENOENT) throw_errno(step, path);
    return false;
}

std::vector<std::string> journal_parts(const Root& root, const std::string& path) {
    try {
        return split_relative(path);
    } catch (const Error&) {
        throw_error(EINVAL, Step::refuse_journal, root.path + "/" + path);
    }
}

// Every entry is checked before anything is touched: a path that leaves the root, crosses a
// symlink or a mount, or ends at something else than a file is refused.
void check_journal(const Root& root, const Journal& journal) {
    for (const JournalEntry& entry : journal.entries) {
        const std::string path = root.path + "/" + entry.path;
        std::vector<std::string> parts = journal_parts(root, entry.path);
        FileDescriptor parent = open_parent(root, parts, false, Step::refuse_journal);
        platform::FileStatus status;
        if (!parent || !exists_at(parent.get(), parts.back(), status, path, Step::refuse_journal))
            continue;
        if (status.type == platform::FileType::symlink)
            throw_error(ELOOP, Step::refuse_journal, path);
        if (status.type != platform::FileType::regular)
            throw_error(EINVAL, Step::refuse_journal, path);
    }
}

// The journal, or nullopt when there is none or it is not complete and valid.
std::optional<Journal> read_journal(const Root& root, int staging_fd) {
    const std::string path = root.path + "/" + staging_name + "/" + journal_name;
    FileDescriptor fd(platform::open_read_no_wait(staging_fd, journal_name, false));
    if (!fd && errno == ENOENT) return std::nullopt;
    if (!fd && errno == ELOOP) throw_error(ELOOP, Step::refuse_journal, path);
    if (!fd) throw_errno(Step::read_journal, path);
    platform::FileStatus status;
    if (platform::stat_fd(fd.get(), status) != 0) throw_errno(Step::read_journal, path);
    if (status.type != platform::FileType::regular || status.link_count != 1 ||
        (status.uid != platform::current_uid() && status.uid != 0))
        throw_error(EPERM, Step::refuse_journal, path);
    if (status.size > journal_size_limit) throw_error(EFBIG, Step::refuse_journal, path);
    std::string text;
    if (platform::read_all(fd.get(), text) != 0) throw_errno(Step::read_journal, path);
    return decode_journal(text);
}

void publish_write(const Root& root, int staging_fd, const JournalEntry& entry,
                   const std::vector<std::string>& parts, std::vector<FileDescriptor>& dirs) {
    const std::string path = root.path + "/" + entry.path;
    platform::FileStatus status;
    const std::string temp = new_name(entry.index);
    if (!exists_at(staging_fd, temp, status, path, Step::publish)) return;
    FileDescriptor parent = open_parent(root, parts, true, Step::publish, &dirs);
    if (platform::rename_at(staging_fd, temp.c_str(), parent.get(), parts.back().c_str()) != 0)
        throw_errno(Step::publish, path);
    dirs.push_back(std::move(parent));
}

void publish_removal(const Root& root, int staging_fd, const JournalEntry& entry,
                     const std::vector<std::string>& parts, std::vector<FileDescriptor>& dirs) {
    const std::string path = root.path + "/" + entry.path;
    platform::FileStatus old, target;
    if (!entry.has_old || !exists_at(staging_fd, old_name(entry.index), old, path, Step::publish))
        return;
    FileDescriptor parent = open_parent(root, parts, false, Step::publish);
    if (!parent || !exists_at(parent.get(), parts.back(), target, path, Step::publish)) return;
    if (target.device != old.device || target.inode != old.inode) return;
    if (platform::unlink_file_at(parent.get(), parts.back().c_str()) != 0)
        throw_errno(Step::publish, path);
    dirs.push_back(std::move(parent));
}

}  // namespace

void publish_entry(const Root& root, int staging_fd, const JournalEntry& entry,
                   std::vector<FileDescriptor>& dirs) {
    std::vector<std::string> parts = split_relative(entry.path);
    if (entry.remove) return publish_removal(root, staging_fd, entry, parts, dirs);
    publish_write(root, staging_fd, entry, parts, dirs);
}

void sync_directories(const Root& root, std::vector<FileDescriptor>& dirs) {
    std::map<std::pair<std::uint64_t, std::uint64_t>, int> unique;
    for (const FileDescriptor& dir : dirs) {
        platform::FileStatus status;
        if (platform::stat_fd(dir.get(), status) != 0) throw_errno(Step::directory_sync, root.path);
        unique.emplace(std::make_pair(status.device, status.inode), dir.get());
    }
    std::vector<int> fds;
    for (const auto& [key, fd] : unique) fds.push_back(fd);
    replace::run_concurrently(fds.size(), false, [&](std::size_t i) {
        sync_directory(fds[i], root.path, Step::directory_sync);
    });
}

Recovery recover_locked(const Root& root, const ReplaceOptions& options) {
    FileDescriptor staging = open_staging(root, false);
    if (!staging) return Recovery::nothing;
    std::optional<Journal> journal = read_journal(root, staging.get());
    if (!journal) {
        // Never committed: nothing outside the staging directory was touched. An empty one is
        // what a retirement interrupted after the journal left.
        std::vector<std::string> names;
        if (platform::list_directory(staging.get(), names) != 0)
            throw_errno(Step::read_journal, root.path + "/" + staging_name);
        remove_staging(root, staging.get());
        return names.empty() ? Recovery::nothing : Recovery::rolled_back;
    }
    check_journal(root, *journal);
    std::vector<FileDescriptor> dirs;
    for (const JournalEntry& entry : journal->entries)
        publish_entry(root, staging.get(), entry, dirs);
    if (options.durability != Durability::none) sync_directories(root, dirs);
    remove_staging(root, staging.get());
    return Recovery::rolled_forward;
}

namespace {

// How often a wait for the root's lock asks ReplaceOptions::cancel_lock_wait, as the update lock
// and a covering writer's wait do.
constexpr std::chrono::milliseconds cancel_slice{100};

bool lock_busy(const Error& e) {
    return e.step_id() == Step::lock_root && (e.errno_code() == std::errc::timed_out ||
                                              e.errno_code() == std::errc::operation_would_block);
}

}  // namespace

FileDescriptor lock_for_writing(const Root& root, const ReplaceOptions& options) {
    using std::chrono::milliseconds;
    using std::chrono::steady_clock;
    if (!options.cancel_lock_wait) return lock_root(root, true, options.lock_timeout);
    const milliseconds timeout = options.lock_timeout;
    const auto deadline = steady_clock::now() + timeout;
    for (;;) {
        if (options.cancel_lock_wait())
            throw_error(ECANCELED, Step::lock_root, root.path + "/" + lock_name);
        milliseconds slice = cancel_slice;
        if (timeout.count() >= 0) {  // rounded up: a part of a millisecond left is still a wait
            const auto left = std::chrono::ceil<milliseconds>(deadline - steady_clock::now());
            slice = std::clamp(left, milliseconds(0), cancel_slice);
        }
        try {
            return lock_root(root, true, slice);
        } catch (const Error& e) {
            if (!lock_busy(e)) throw;
            if (timeout.count() < 0 || steady_clock::now() < deadline) continue;
            if (timeout.count() == 0) throw;  // one try, as asked: EWOULDBLOCK
            // A last slice cut to nothing says EWOULDBLOCK; the wait as a whole timed out.
            throw_error(ETIMEDOUT, Step::lock_root, root.path + "/" + lock_name);
        }
    }
}

}  // namespace atomfile::transaction

namespace atomfile {

Recovery recover(const PathArg& root_path, const ReplaceOptions& options) {
    transaction::Root root = transaction::open_root(root_path.str());
    // No staging directory: no transaction to finish, and none of ours can be mid-way (each
    // makes it before it changes anything). Not taking the lock then leaves no lock file in a
    // directory that never had a transaction, and needs no write permission on it.
    if (!transaction::staging_exists(root)) return Recovery::nothing;
    FileDescriptor lock = transaction::lock_for_writing(root, options);
    return transaction::recover_locked(root, options);
}

Recovery recover(const PathArg& root, std::error_code& ec) noexcept {
    Recovery result = Recovery::nothing;
    capture_error(ec, [&] { result = recover(root, ReplaceOptions{}); });
    return result;
}

}  // namespace atomfile
