#include "replace/metadata_copy.hpp"

#include <cerrno>
#include <string>
#include <vector>

#include "error_support.hpp"
#include "replace/steps.hpp"

namespace atomfile::replace {
namespace {

constexpr unsigned temp_mode = 0600;
constexpr unsigned no_change = static_cast<unsigned>(-1);

thread_local const Identity* scoped_identity = nullptr;

// Whether the caller (effective ids) owns a file of owner uid and group gid.
bool is_callers(unsigned uid, unsigned gid) {
    if (scoped_identity) return uid == scoped_identity->uid && gid == scoped_identity->gid;
    return uid == platform::current_uid() && gid == platform::current_gid();
}

void check_kind(const Target& target, const platform::FileStatus& status,
                const ReplaceOptions& options) {
    if (options.create_only) throw_error(EEXIST, step::target_exists, target.path);
    if (status.type == platform::FileType::symlink) return;  // replaced itself: not followed
    if (status.type == platform::FileType::directory)
        throw_error(EISDIR, step::not_regular, target.path);
    if (status.type != platform::FileType::regular)
        throw_error(EINVAL, step::not_regular, target.path);
    if (options.hard_links == HardLinkPolicy::refuse && status.link_count > 1)
        throw_error(EMLINK, step::hard_links, target.path);
}

bool is_regular(int fd, const Target& target) {
    platform::FileStatus status;
    if (platform::stat_fd(fd, status) != 0) throw_errno(step::open_target, target.path);
    return status.type == platform::FileType::regular;
}

// The link itself is replaced, but its content is what an editor wants to start from. Opened
// without waiting: a link to a FIFO, or a FIFO swapped in since the lstat, must not hang the
// open until some writer comes along.
// The link is followed by the same checked walk as a followed target, never by the kernel: a
// link another user planted in a sticky directory must not make us copy a file they may not read
// into one they may. A destination the walk refuses (such a link, or a directory we may not
// search) holds no content for us, like a dangling link: the link itself is still replaced, and
// nothing is read through it. (It is only read, so protected_regular does not apply to it.)
FileDescriptor open_content(const Target& target, const platform::FileStatus& status,
                            const ReplaceOptions& options) {
    if (status.type != platform::FileType::symlink) {
        FileDescriptor fd(
            platform::open_read_no_wait(target.dir.get(), target.name.c_str(), false));
        if (!fd) throw_errno(step::open_target, target.path);
        return fd;
    }
    ReplaceOptions follow = options;
    follow.follow_symlinks = true;
    follow.protected_regular = false;
    std::optional<Target> destination;
    try {
        destination = resolve_target(target.path, follow);
    } catch (const Error& e) {
        if (e.code() == std::errc::permission_denied) return {};
        throw;
    }
    if (!destination->status) return {};  // a dangling link: no content to keep
    FileDescriptor fd(
        platform::open_read_no_wait(destination->dir.get(), destination->name.c_str(), false));
    if (!fd && errno != ENOENT) throw_errno(step::open_target, target.path);
    if (fd && !is_regular(fd.get(), target)) fd.reset();  // no content to keep
    return fd;
}

// Between the lstat and the open another process may have swapped the file: trust the open.
void verify_opened(const Target& target, Original& original, const ReplaceOptions& options) {
    platform::FileStatus opened;
    if (platform::stat_fd(original.fd.get(), opened) != 0)
        throw_errno(step::open_target, target.path);
    if (same_inode(opened, *original.status)) return;
    original.status = opened;
    check_kind(target, opened, options);
}

// Tells the caller what the new file got instead of the old owner or group.
void report_not_kept(const platform::FileStatus& old, int temp_fd, const Target& target,
                     const ReplaceOptions& options) {
    if (!options.on_owner_not_kept) return;
    platform::FileStatus now;
    if (platform::stat_fd(temp_fd, now) != 0) throw_errno(step::owner, target.path);
    OwnerNotKept report;
    report.path = target.path;
    report.old_uid = old.uid;
    report.old_gid = old.gid;
    report.new_uid = now.uid;
    report.new_gid = now.gid;
    report.owner_kept = now.uid == old.uid;
    report.group_kept = now.gid == old.gid;
    options.on_owner_not_kept(report);
}

void copy_owner(const platform::FileStatus& old, int temp_fd, const Target& target,
                const ReplaceOptions& options) {
    if (is_callers(old.uid, old.gid)) return;
    if (platform::change_owner(temp_fd, old.uid, old.gid) == 0) return;
    if (!platform::cannot_give_away(errno) || options.owner_policy == OwnerPolicy::strict)
        throw_errno(step::owner, target.path);
    // Not allowed to give the file away: keep at least the group, if we are in it.
    if (platform::change_owner(temp_fd, no_change, old.gid) != 0 &&
        !platform::cannot_give_away(errno))
        throw_errno(step::owner, target.path);
    report_not_kept(old, temp_fd, target, options);
}

void set_mode(int temp_fd, unsigned mode, const Target& target) {
    if (mode == temp_mode) return;
    if (platform::change_mode(temp_fd, mode) != 0) throw_errno(step::mode, target.path);
}

// The step names the attribute that failed.
[[noreturn]] void fail_xattr(int error, const std::string& name, const std::string& path) {
    throw_error(error,
                StepWords{step::xattrs, std::string(step_text(step::xattrs)) + " (" + name + ")"},
                path);
}

void copy_xattrs(int from_fd, int temp_fd, const Target& target) {
    std::vector<std::string> names;
    if (platform::list_xattrs(from_fd, names) != 0) {
        if (errno == ENOTSUP) return;  // the file system has none to copy
        throw_errno(step::xattrs, target.path);
    }
    std::string value;
    for (const std::string& name : names) {
        if (platform::get_xattr(from_fd, name.c_str(), value) != 0 ||
            platform::set_xattr(temp_fd, name.c_str(), value) != 0)
            fail_xattr(errno, name, target.path);
    }
}

unsigned new_file_mode(const ReplaceOptions& options) {
    if (options.mode) return *options.mode & 07777;
    return 0666 & ~platform::current_umask();
}

}  // namespace

Original open_original(const Target& target, const ReplaceOptions& options) {
    Original original;
    original.status = target.status;
    if (!original.status) return original;
    check_kind(target, *original.status, options);
    original.fd = open_content(target, *original.status, options);
    if (original.fd && original.status->type == platform::FileType::regular)
        verify_opened(target, original, options);
    return original;
}

void copy_metadata(const Original& original, int temp_fd, const Target& target,
                   const ReplaceOptions& options) {
    bool inherit =
        original.status && original.status->type == platform::FileType::regular && original.fd;
    if (!inherit) return set_mode(temp_fd, new_file_mode(options), target);
    const platform::FileStatus& old = *original.status;
    if (options.keep_owner && options.owner_policy != OwnerPolicy::ignore)
        copy_owner(old, temp_fd, target, options);
    set_mode(temp_fd, options.keep_mode ? old.mode : new_file_mode(options), target);
    if (options.keep_xattrs) copy_xattrs(original.fd.get(), temp_fd, target);
}

bool keeps_metadata(const platform::FileStatus& old, const ReplaceOptions& options) {
    if (!options.keep_mode && new_file_mode(options) != old.mode) return false;
    if (options.keep_owner && options.owner_policy != OwnerPolicy::ignore) return true;
    return is_callers(old.uid, old.gid);
}

Identity current_identity() {
    return {platform::current_uid(), platform::current_gid()};
}

IdentityScope::IdentityScope(const Identity& ids) noexcept : ids_(ids), outer_(scoped_identity) {
    scoped_identity = &ids_;
}

IdentityScope::~IdentityScope() {
    scoped_identity = outer_;
}

}  // namespace atomfile::replace
