#include <cerrno>
#include <exception>
#include <vector>

#include "atomfile/swap.hpp"
#include "detail/remove_tree.hpp"
#include "detail/temp_support.hpp"
#include "error_support.hpp"
#include "platform/linux.hpp"
#include "swap/swap_staging.hpp"

namespace atomfile::swap {
namespace {

// Whether the directory open as fd is the one the target resolves to now (the version a
// symlink-form DIR points to, however its link is written): never a leftover. Asked once the
// directory is locked, so no swap can make it current afterwards (only the swap that staged it
// could, and that swap holds its lock until it ends).
bool is_current(int parent_fd, const SwapTarget& target, int fd) {
    platform::FileStatus current, candidate;
    if (platform::stat_at(parent_fd, target.name.c_str(), current, true) != 0)
        return errno != ENOENT && errno != ELOOP && errno != ENOTDIR;  // unsure: keep it
    if (platform::stat_fd(fd, candidate) != 0) return true;
    return current.device == candidate.device && current.inode == candidate.inode;
}

// Only the caller's own entries are leftovers: another user's entry at such a name (planted
// in a shared directory) is not ours to remove. A directory is a staged or replaced tree, a
// symlink a temp link; anything else at such a name is not ours either.
bool remove_leftover(int parent_fd, const SwapTarget& target, const std::string& name,
                     const std::string& path) {
    platform::FileStatus status;
    if (platform::stat_at(parent_fd, name.c_str(), status, false) != 0 ||
        status.uid != platform::current_uid())
        return false;
    if (status.type == platform::FileType::symlink) {
        if (platform::unlink_file_at(parent_fd, name.c_str()) == 0) return true;
        if (errno == ENOENT) return false;
        throw_errno(Step::remove_old_tree, path);
    }
    if (status.type != platform::FileType::directory) return false;
    FileDescriptor held = lock_directory(parent_fd, name);  // a running swap's is skipped
    if (!held || is_current(parent_fd, target, held.get())) return false;
    detail::remove_tree_at(parent_fd, name, path, false);
    return true;
}

}  // namespace

int remove_leftovers(int parent_fd, const SwapTarget& target) {
    std::vector<std::string> names;
    if (platform::list_directory(parent_fd, names) != 0)
        throw_errno(Step::remove_old_tree, target.parent);
    const std::string staging = staging_prefix(target.name), link = link_prefix(target.name);
    int removed = 0;
    std::exception_ptr first;
    for (const std::string& name : names) {
        const std::string path = detail::join_path(target.parent, name);
        try {
            if (is_named_like(name, staging) || is_named_like(name, link))
                removed += remove_leftover(parent_fd, target, name, path);
        } catch (const Error&) {
            if (!first) first = std::current_exception();
        }
    }
    if (first) std::rethrow_exception(first);
    return removed;
}

}  // namespace atomfile::swap

namespace atomfile {

int remove_swap_leftovers(const PathArg& path) {
    const swap::SwapTarget target = swap::split_target(path.str(), Step::remove_old_tree);
    FileDescriptor parent(
        platform::open_directory(platform::current_directory, target.parent.c_str()));
    if (!parent) {
        if (errno == ENOENT) return 0;
        throw_errno(Step::open_directory, target.parent);
    }
    return swap::remove_leftovers(parent.get(), target);
}

int remove_swap_leftovers(const PathArg& path, std::error_code& ec) noexcept {
    int removed = 0;
    capture_error(ec, [&] { removed = remove_swap_leftovers(path); });
    return removed;
}

bool is_swapped(const std::error_code& code) noexcept {
    const Step step = step_of(code);
    return step == Step::directory_sync || step == Step::remove_old_tree;
}

}  // namespace atomfile
