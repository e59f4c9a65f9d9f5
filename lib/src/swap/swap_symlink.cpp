#include "swap/swap_symlink.hpp"

#include <cerrno>

#include "atomfile/file_descriptor.hpp"
#include "detail/random_name.hpp"
#include "detail/remove_tree.hpp"
#include "detail/temp_support.hpp"
#include "error_support.hpp"
#include "platform/linux.hpp"
#include "swap/swap_staging.hpp"

namespace atomfile::swap {
namespace {

// How often a temp link is made again when it vanished before its rename: another process's
// remove_swap_leftovers() can take it for a crash's (a symlink cannot be locked).
constexpr int max_link_attempts = 100;

// How LINK is replaced: renamed over (a symlink, a file, nothing) or exchanged (a directory).
platform::RenameMode replace_mode(int parent_fd, const SwapTarget& link,
                                  const SymlinkOptions& options) {
    platform::FileStatus status;
    if (platform::stat_at(parent_fd, link.name.c_str(), status, false) != 0) {
        if (errno == ENOENT) return platform::RenameMode::replace;
        throw_errno(Step::resolve, link.path);  // nothing made yet: not a rename's failure
    }
    if (status.type == platform::FileType::symlink) return platform::RenameMode::replace;
    const bool directory = status.type == platform::FileType::directory;
    if (!options.replace_other)
        throw_error(directory ? EISDIR : EEXIST, Step::rename_link, link.path);
    return directory ? platform::RenameMode::exchange : platform::RenameMode::replace;
}

[[noreturn]] void throw_rename_error(int error, platform::RenameMode mode,
                                     const std::string& path) {
    if (mode == platform::RenameMode::exchange && (error == EINVAL || error == ENOSYS))
        throw_error(EINVAL,
                    StepWords{Step::rename_link,
                              "rename temp symlink over target (the file system does not "
                              "support RENAME_EXCHANGE, needed to replace a directory)"},
                    path);
    throw_error(error, Step::rename_link, path);
}

// Makes the temp link and renames it over LINK; returns the temp's name, which holds the old
// directory after an exchange.
std::string publish_link(int parent_fd, const SwapTarget& link, const std::string& target,
                         platform::RenameMode mode) {
    const std::string prefix = link_prefix(link.name);
    for (int attempt = 0; attempt < max_link_attempts; ++attempt) {
        std::string temp = detail::draw_name(prefix, "");
        if (platform::make_symlink_at(target.c_str(), parent_fd, temp.c_str()) != 0) {
            if (errno == EEXIST) continue;
            throw_errno(Step::create_temp_link, detail::join_path(link.parent, temp));
        }
        if (platform::rename_at(parent_fd, temp.c_str(), parent_fd, link.name.c_str(), mode) == 0)
            return temp;
        const int error = errno;
        platform::FileStatus status;
        if (error == ENOENT && platform::stat_at(parent_fd, temp.c_str(), status, false) != 0)
            continue;
        platform::unlink_file_at(parent_fd, temp.c_str());
        throw_rename_error(error, mode, link.path);
    }
    throw_error(EAGAIN, Step::create_temp_link, link.path);
}

}  // namespace

void remove_old_tree(int parent_fd, const std::string& parent, const std::string& name) {
    const std::string path = detail::join_path(parent, name);
    try {
        detail::remove_tree_at(parent_fd, name, path, false);
    } catch (const Error& e) {
        throw Error(e.code(), Step::remove_old_tree, path, e.path());
    }
}

void switch_link(int parent_fd, const SwapTarget& link, const std::string& target,
                 const SymlinkOptions& options) {
    const platform::RenameMode mode = replace_mode(parent_fd, link, options);
    const std::string temp = publish_link(parent_fd, link, target, mode);
    int sync_error = 0;
    if (options.durability != Durability::none &&
        platform::sync_fd(parent_fd, platform::SyncKind::full) != 0)
        sync_error = errno;
    if (mode == platform::RenameMode::exchange) {
        if (sync_error != 0)
            detail::remove_tree_at(parent_fd, temp, temp, true);
        else
            remove_old_tree(parent_fd, link.parent, temp);
    }
    if (sync_error != 0) throw_error(sync_error, Step::directory_sync, link.path);
}

}  // namespace atomfile::swap

namespace atomfile {

void replace_symlink(const PathArg& link, const std::string& target,
                     const SymlinkOptions& options) {
    const swap::SwapTarget where = swap::split_target(link.str(), Step::create_temp_link);
    if (target.empty()) throw_error(ENOENT, Step::create_temp_link, where.path);
    FileDescriptor parent(
        platform::open_directory(platform::current_directory, where.parent.c_str()));
    if (!parent) throw_errno(Step::open_directory, where.parent);
    try {
        swap::remove_leftovers(parent.get(), where);
    } catch (const Error&) {
        // A leftover that cannot be removed does not stand in the way of this switch.
    }
    swap::switch_link(parent.get(), where, target, options);
}

void replace_symlink(const PathArg& link, const std::string& target, std::error_code& ec) noexcept {
    replace_symlink(link, target, SymlinkOptions{}, ec);
}

void replace_symlink(const PathArg& link, const std::string& target, const SymlinkOptions& options,
                     std::error_code& ec) noexcept {
    capture_error(ec, [&] { replace_symlink(link, target, options); });
}

}  // namespace atomfile
