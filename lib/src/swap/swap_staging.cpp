#include "swap/swap_staging.hpp"

#include <cerrno>
#include <vector>

#include "detail/random_name.hpp"
#include "detail/remove_tree.hpp"
#include "detail/temp_support.hpp"
#include "error_support.hpp"
#include "platform/linux.hpp"

namespace atomfile::swap {
namespace {

// A directory we just made is ours unless a concurrent remove_leftovers() took it between the
// mkdir and the lock (it then removed it, or holds it).
FileDescriptor claim(int parent_fd, const std::string& name) {
    FileDescriptor fd = lock_directory(parent_fd, name);
    if (fd) return fd;
    if (errno != ENOENT && errno != EWOULDBLOCK && errno != ESTALE && errno != ENOTDIR) return fd;
    errno = EEXIST;  // draw another name
    return fd;
}

}  // namespace

FileDescriptor lock_directory(int parent_fd, const std::string& name) {
    FileDescriptor fd(platform::open_directory(parent_fd, name.c_str(), false));
    if (!fd) return fd;
    platform::FileStatus locked, named;
    if (platform::lock_exclusive(fd.get(), 0) != 0 || platform::stat_fd(fd.get(), locked) != 0)
        return FileDescriptor();
    if (platform::stat_at(parent_fd, name.c_str(), named, false) != 0) return FileDescriptor();
    if (named.inode != locked.inode || named.device != locked.device) {
        errno = ESTALE;
        return FileDescriptor();
    }
    return fd;
}

Staging::Staging(int parent_fd, const SwapTarget& target) : parent_fd_(parent_fd) {
    const std::string prefix = staging_prefix(target.name);
    for (int attempt = 0; attempt < detail::max_name_attempts; ++attempt) {
        std::string name = detail::draw_name(prefix, "");
        std::string path = detail::join_path(target.parent, name);
        if (platform::make_directory_at(parent_fd, name.c_str(), 0700) != 0) {
            if (errno == EEXIST) continue;
            throw_errno(Step::create_staging, path);
        }
        fd_ = claim(parent_fd, name);
        if (!fd_ && errno == EEXIST) continue;
        name_ = std::move(name);
        path_ = std::move(path);
        if (!fd_) {
            int error = errno;
            detail::remove_tree_at(parent_fd_, name_, path_, true);
            throw_error(error, Step::create_staging, path_);
        }
        return;
    }
    throw_error(EEXIST, Step::create_staging, target.path);
}

Staging::~Staging() {
    if (!owned_) return;
    try {
        detail::remove_tree_at(parent_fd_, name_, path_, true);
    } catch (...) {
        // Destructors never throw; what is left is a leftover the next swap removes.
    }
}

void Staging::finish_mode(unsigned mode) {
    if (platform::change_mode(fd_.get(), mode) != 0) throw_errno(Step::create_staging, path_);
}

}  // namespace atomfile::swap
