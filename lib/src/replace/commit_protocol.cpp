#include "replace/commit_protocol.hpp"

#include <cerrno>

#include "atomfile/error.hpp"
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

}  // namespace

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

void sync_directory(const Target& target, Durability durability) {
    if (durability == Durability::none) return;
    if (platform::sync_fd(target.dir.get(), platform::SyncKind::full) == 0) return;
    if (errno == EINVAL) return;  // the file system cannot sync directories: docs/durability.md
    throw_errno(step::directory_sync, target.path);
}

void publish(ReplaceTemp& temp, const Target& target, const ReplaceOptions& options) {
    if (!options.create_only) {
        replace_target(temp, target);
    } else if (temp.anonymous()) {
        temp.link_as_target();
    } else {
        rename_no_replace(temp, target);
    }
}

void finish_replace(Backup& backup, const Target& target, Durability durability) {
    try {
        backup.finish();
    } catch (const Error&) {
        sync_directory(target, durability);
        throw;
    }
    sync_directory(target, durability);
}

void commit_temp(ReplaceTemp& temp, const Original& original, const Target& target,
                 const ReplaceOptions& options) {
    copy_metadata(original, temp.fd(), target, options);
    sync_file(temp.fd(), options.durability, target);
    if (options.detect_conflicts) check_unchanged(original, target);
    Backup backup(target, options.backup_suffix);
    publish(temp, target, options);
    finish_replace(backup, target, options.durability);
}

}  // namespace atomfile::replace
