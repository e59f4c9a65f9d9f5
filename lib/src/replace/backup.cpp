#include "replace/backup.hpp"

#include <cerrno>

#include "detail/random_name.hpp"
#include "error_support.hpp"
#include "replace/steps.hpp"
#include "replace/temp_names.hpp"

namespace atomfile::replace {
namespace {

constexpr std::size_t max_name_length = 255;  // NAME_MAX on every Linux file system we target
constexpr unsigned sticky_bit = 01000;

// Spelled like target.path (which ends in the name), so errors name the two alike.
std::string backup_path(const Target& target, const std::string& suffix) {
    return target.path + suffix;
}

void check_suffix(const Target& target, const std::string& suffix) {
    const std::string name = target.name + suffix;
    if (suffix.find('/') != std::string::npos || is_temp_name(name) || is_lock_name(name))
        throw_error(EINVAL, step::backup, backup_path(target, suffix));
    if (name.size() > max_name_length)
        throw_error(ENAMETOOLONG, step::backup, backup_path(target, suffix));
}

// In a sticky directory only the file's owner, the directory's owner or a privileged process
// may replace a name (unlink(2), rename(2)).
bool may_replace(const Target& target, const platform::FileStatus& existing,
                 const std::string& path) {
    platform::FileStatus directory;
    if (platform::stat_fd(target.dir.get(), directory) != 0) throw_errno(step::backup, path);
    if (!(directory.mode & sticky_bit)) return true;
    unsigned me = platform::current_uid();
    return me == 0 || existing.uid == me || directory.uid == me;
}

bool is_followed_link(const Target& target, const platform::FileStatus& existing) {
    for (const platform::FileStatus& link : target.links_followed)
        if (same_inode(link, existing)) return true;
    return false;
}

// The backup name's status, or nullopt when it does not exist.
std::optional<platform::FileStatus> stat_backup(const Target& target, const std::string& suffix) {
    platform::FileStatus status;
    const std::string name = target.name + suffix;
    if (platform::stat_at(target.dir.get(), name.c_str(), status, false) == 0) return status;
    if (errno != ENOENT) throw_errno(step::backup, backup_path(target, suffix));
    return std::nullopt;
}

// A fresh temp-pattern name hard-linked to the target (so a crash leaves a recognisable orphan).
std::string link_to_temp_name(const Target& target, const std::string& path) {
    const int dir = target.dir.get();
    return claim_temp_name(target.name, path, step::backup, [&](const std::string& name) {
        return platform::link_at(dir, target.name.c_str(), dir, name.c_str());
    });
}

// check_backup, returning what is at the backup name now (nullopt: nothing).
std::optional<platform::FileStatus> checked_backup_status(const Target& target,
                                                          const std::string& suffix) {
    if (suffix.empty()) return std::nullopt;
    check_suffix(target, suffix);
    if (!target.status) return std::nullopt;
    std::optional<platform::FileStatus> existing = stat_backup(target, suffix);
    if (!existing) return std::nullopt;
    const std::string path = backup_path(target, suffix);
    if (existing->type == platform::FileType::directory) throw_error(EISDIR, step::backup, path);
    if (is_followed_link(target, *existing)) throw_error(EINVAL, step::backup, path);
    if (!may_replace(target, *existing, path)) throw_error(EPERM, step::backup, path);
    return existing;
}

}  // namespace

void check_backup(const Target& target, const std::string& suffix) {
    checked_backup_status(target, suffix);
}

void publish_backup(const Target& target, const std::string& suffix) {
    if (suffix.empty() || !target.status) return;
    std::optional<platform::FileStatus> existing = checked_backup_status(target, suffix);
    // Already a hard link of the target: it holds the version being replaced. (A rename between
    // two links of one inode does nothing and would leave the temp link behind.)
    if (existing && same_inode(*existing, *target.status)) return;
    const std::string path = backup_path(target, suffix);
    const std::string temp = link_to_temp_name(target, path);
    const std::string name = target.name + suffix;
    int dir = target.dir.get();
    if (platform::rename_at(dir, temp.c_str(), dir, name.c_str()) == 0) return;
    int error = errno;
    platform::unlink_file_at(dir, temp.c_str());  // the old content is still at NAME
    throw_error(error, step::backup, path);
}

}  // namespace atomfile::replace
