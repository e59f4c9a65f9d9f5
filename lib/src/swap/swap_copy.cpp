#include <cerrno>
#include <vector>

#include "atomfile/file_descriptor.hpp"
#include "detail/temp_support.hpp"
#include "error_support.hpp"
#include "swap/swap_tree.hpp"

namespace atomfile::swap {
namespace {

constexpr unsigned set_id_bits = 06000;

// The owner first, then the mode: a copy the caller could not give the original's owner must
// not carry its setuid or setgid bit (it would grant the caller's identity instead).
void apply_owner_and_mode(int fd, const platform::FileStatus& original, const std::string& path) {
    unsigned mode = original.mode;
    if (platform::change_owner(fd, original.uid, original.gid) != 0) mode &= ~set_id_bits;
    if (platform::change_mode(fd, mode) != 0) throw_errno(Step::populate_staging, path);
}

void copy_data(int in, int out, const std::string& path) {
    if (platform::clone_file(in, out) == 0) return;
    if (!platform::clone_unsupported(errno)) throw_errno(Step::populate_staging, path);
    std::vector<char> buffer;
    for (;;) {
        long moved = platform::transfer(in, out, std::size_t(1) << 30,
                                        platform::InputKind::regular_file, buffer);
        if (moved == 0) return;
        if (moved < 0) throw_errno(Step::populate_staging, path);
    }
}

void copy_file(int from_fd, int to_fd, const std::string& name, const std::string& path) {
    // O_NONBLOCK and O_NOFOLLOW: whatever was swapped in since the stat (a FIFO, a symlink) is
    // neither waited on nor followed, and is refused by the check below.
    FileDescriptor in(platform::open_read_no_wait(from_fd, name.c_str(), false));
    if (!in) throw_errno(Step::populate_staging, path);
    platform::FileStatus status;
    if (platform::stat_fd(in.get(), status) != 0) throw_errno(Step::populate_staging, path);
    if (status.type != platform::FileType::regular)
        throw_error(EOPNOTSUPP, Step::populate_staging, path);
    FileDescriptor out(platform::create_exclusive(to_fd, name.c_str(), 0600));
    if (!out) throw_errno(Step::populate_staging, path);
    copy_data(in.get(), out.get(), path);
    apply_owner_and_mode(out.get(), status, path);
}

void copy_directory(int from_fd, int to_fd, const std::string& name, const std::string& path) {
    if (platform::make_directory_at(to_fd, name.c_str(), 0700) != 0)
        throw_errno(Step::populate_staging, path);
    FileDescriptor from(platform::open_directory(from_fd, name.c_str(), false));
    FileDescriptor to(platform::open_directory(to_fd, name.c_str(), false));
    if (!from || !to) throw_errno(Step::populate_staging, path);
    platform::FileStatus status;
    if (platform::stat_fd(from.get(), status) != 0) throw_errno(Step::populate_staging, path);
    copy_tree(from.get(), to.get(), path);
    // Last: a directory without write permission for its owner could not have been filled.
    apply_owner_and_mode(to.get(), status, path);
}

void copy_symlink(int from_fd, int to_fd, const std::string& name, const std::string& path) {
    std::string target;
    if (platform::read_link_at(from_fd, name.c_str(), target) != 0 ||
        platform::make_symlink_at(target.c_str(), to_fd, name.c_str()) != 0)
        throw_errno(Step::populate_staging, path);
}

void copy_entry(int from_fd, int to_fd, const std::string& name, const std::string& path) {
    platform::FileStatus status;
    if (platform::stat_at(from_fd, name.c_str(), status, false) != 0) {
        if (errno == ENOENT) return;  // removed while we copy: as if copied a moment later
        throw_errno(Step::populate_staging, path);
    }
    switch (status.type) {
        case platform::FileType::regular:
            return copy_file(from_fd, to_fd, name, path);
        case platform::FileType::directory:
            return copy_directory(from_fd, to_fd, name, path);
        case platform::FileType::symlink:
            return copy_symlink(from_fd, to_fd, name, path);
        default:
            throw_error(EOPNOTSUPP, Step::populate_staging, path);
    }
}

}  // namespace

void copy_tree(int from_fd, int to_fd, const std::string& to_path) {
    std::vector<std::string> names;
    if (platform::list_directory(from_fd, names) != 0) throw_errno(Step::populate_staging, to_path);
    for (const std::string& name : names)
        copy_entry(from_fd, to_fd, name, detail::join_path(to_path, name));
}

}  // namespace atomfile::swap
