#include "replace/commit_protocol.hpp"

#include <algorithm>
#include <cerrno>
#include <vector>

#include "error_support.hpp"
#include "replace/in_place.hpp"
#include "replace/steps.hpp"

namespace atomfile::replace {
namespace {

bool unchanged(const platform::FileStatus& before, const platform::FileStatus& now) {
    return same_inode(before, now) && before.size == now.size &&
           before.modified_ns == now.modified_ns && before.changed_ns == now.changed_ns;
}

// renameat2(RENAME_NOREPLACE), or where the kernel or file system lacks it, link + unlink:
// linkat fails with EEXIST just as atomically.
void rename_no_replace(ReplaceTemp& temp, const Target& target) {
    int dir = target.dir.get();
    const char* name = target.name.c_str();
    if (platform::rename_at(dir, temp.name().c_str(), dir, name,
                            platform::RenameMode::no_replace) == 0)
        return temp.published();
    if (errno != EINVAL && errno != ENOSYS)
        throw_errno(errno == EEXIST ? step::target_exists : step::rename, target.path);
    if (platform::link_at(dir, temp.name().c_str(), dir, name) != 0)
        throw_errno(errno == EEXIST ? step::target_exists : step::rename, target.path);
    // Published. Drop the temp name before the directory sync so it cannot come back after a
    // power cut; if that fails, the extra name is a recognisable orphan, not an error.
    platform::unlink_file_at(dir, temp.name().c_str());
    temp.published();
}

void replace_target(ReplaceTemp& temp, const Target& target) {
    temp.give_name();
    int dir = target.dir.get();
    if (platform::rename_at(dir, temp.name().c_str(), dir, target.name.c_str()) != 0)
        throw_errno(step::rename, target.path);
    temp.published();
}

// The directory was opened O_PATH (we may write it but not read it), and an O_PATH descriptor
// cannot be fsync()ed. syncfs of the file system holding it is the durable substitute: it
// commits every directory entry on that file system, ours included. It costs more than a
// directory fsync on a busy file system, so it is used only here. Any descriptor on that file
// system will do: the new file's, or one opened on the target name.
void sync_file_system_of(const Target& target, int file_fd) {
    FileDescriptor opened;
    if (file_fd < 0) {
        opened.reset(platform::open_read(target.dir.get(), target.name.c_str(), false));
        if (!opened) throw_errno(step::directory_sync, target.path);
        file_fd = opened.get();
    }
    if (platform::sync_file_system(file_fd) != 0) throw_errno(step::directory_sync, target.path);
}

// Fills buffer from fd at offset; false when the file ends first.
bool read_exactly(int fd, char* buffer, std::size_t size, std::int64_t offset, Step what,
                  const Target& target) {
    std::size_t filled = 0;
    while (filled < size) {
        long got = platform::pread_some(fd, buffer + filled, size - filled,
                                        offset + static_cast<std::int64_t>(filled));
        if (got < 0) throw_errno(what, target.path);
        if (got == 0) return false;
        filled += static_cast<std::size_t>(got);
    }
    return true;
}

bool same_bytes(int new_fd, int old_fd, std::int64_t size, const Target& target) {
    constexpr std::int64_t piece = 64 * 1024;
    std::vector<char> fresh(static_cast<std::size_t>(std::min(piece, size)));
    std::vector<char> old(fresh.size());
    for (std::int64_t at = 0; at < size; at += piece) {
        const auto length = static_cast<std::size_t>(std::min(piece, size - at));
        if (!read_exactly(new_fd, fresh.data(), length, at, Step::inspect_temp, target) ||
            !read_exactly(old_fd, old.data(), length, at, step::read_target, target))
            return false;  // one shrank meanwhile: not the same
        if (!std::equal(fresh.begin(), fresh.begin() + static_cast<std::ptrdiff_t>(length),
                        old.begin()))
            return false;
    }
    return true;
}

}  // namespace

bool changes_nothing(int file_fd, const Original& original, const Target& target,
                     const ReplaceOptions& options) {
    if (!options.skip_unchanged || !original.fd || !original.status ||
        original.status->type != platform::FileType::regular)
        return false;
    platform::FileStatus fresh, old;
    if (platform::stat_fd(file_fd, fresh) != 0) throw_errno(Step::inspect_temp, target.path);
    if (platform::stat_fd(original.fd.get(), old) != 0) throw_errno(step::read_target, target.path);
    if (fresh.size != old.size || !keeps_metadata(old, options)) return false;
    // Without the lock another writer may have put a new file at the name since open: skipping
    // would then leave its content there instead of ours.
    std::optional<platform::FileStatus> now = stat_target(target);
    if (!now || !same_inode(*now, old)) return false;
    return same_bytes(file_fd, original.fd.get(), old.size, target);
}

void sync_file(int fd, Durability durability, const Target& target) {
    if (durability == Durability::none) return;
    auto kind =
        durability == Durability::data ? platform::SyncKind::data : platform::SyncKind::full;
    if (platform::sync_fd(fd, kind) != 0) throw_errno(step::sync, target.path);
}

void check_unchanged(const Original& original, const Target& target) {
    std::optional<platform::FileStatus> now = stat_target(target);
    bool same = original.status ? now && unchanged(*original.status, *now) : !now;
    if (!same) throw Error(conflict_error(), step::conflict, target.path);
}

void sync_directory(const Target& target, Durability durability, int file_fd) {
    if (durability == Durability::none) return;
    if (target.dir_path_only) return sync_file_system_of(target, file_fd);
    if (platform::sync_fd(target.dir.get(), platform::SyncKind::full) == 0) return;
    // EINVAL: this file system cannot sync a directory (FUSE, some network file systems).
    // Syncing the whole file system is the one way left to make the rename durable there.
    if (errno == EINVAL) return sync_file_system_of(target, file_fd);
    throw_errno(step::directory_sync, target.path);
}

void publish(ReplaceTemp& temp, const Target& target, const ReplaceOptions& options) {
    if (!options.create_only) {
        try {
            replace_target(temp, target);
        } catch (const Error& refused) {
            if (!falls_back_on_rename(refused, options)) throw;
            overwrite_in_place(temp.fd(), target, options, refused);
        }
    } else if (temp.anonymous()) {
        temp.link_as_target();
    } else {
        rename_no_replace(temp, target);
    }
}

void commit_file(int file_fd, const Original& original, const Target& target,
                 const ReplaceOptions& options, const std::function<void()>& publish_new) {
    copy_metadata(original, file_fd, target, options);
    sync_file(file_fd, options.durability, target);
    if (options.detect_conflicts) check_unchanged(original, target);
    publish_backup(target, options.backup_suffix);
    publish_new();
    sync_directory(target, options.durability, file_fd);
}

void commit_temp(ReplaceTemp& temp, const Original& original, const Target& target,
                 const ReplaceOptions& options) {
    commit_file(temp.fd(), original, target, options, [&] { publish(temp, target, options); });
}

}  // namespace atomfile::replace
