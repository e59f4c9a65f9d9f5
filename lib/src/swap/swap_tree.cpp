#include "swap/swap_tree.hpp"

#include <cerrno>
#include <utility>
#include <vector>

#include "atomfile/file_descriptor.hpp"
#include "detail/temp_support.hpp"
#include "error_support.hpp"
#include "replace/batch_barrier.hpp"

namespace atomfile::swap {
namespace {

// The tree to sync: every directory held open (so no path is resolved again, and a directory
// renamed by populate's leftovers cannot redirect the walk), every regular file by its
// directory and name (opened only by the barrier's threads, so a tree of any size holds one
// descriptor per directory, not per file).
struct Tree {
    std::vector<FileDescriptor> directories;
    std::vector<std::string> directory_paths;
    std::vector<std::pair<std::size_t, std::string>> files;
};

void list_tree(Tree& tree, std::size_t at) {
    const int fd = tree.directories[at].get();
    const std::string path = tree.directory_paths[at];
    std::vector<std::string> names;
    if (platform::list_directory(fd, names) != 0) throw_errno(Step::sync_temp, path);
    for (std::string& name : names) {
        platform::FileStatus status;
        if (platform::stat_at(fd, name.c_str(), status, false) != 0) {
            if (errno == ENOENT) continue;
            throw_errno(Step::sync_temp, detail::join_path(path, name));
        }
        if (status.type == platform::FileType::regular) {
            tree.files.emplace_back(at, std::move(name));
        } else if (status.type == platform::FileType::directory) {
            FileDescriptor sub(platform::open_directory(fd, name.c_str(), false));
            if (!sub) throw_errno(Step::sync_temp, detail::join_path(path, name));
            tree.directories.push_back(std::move(sub));
            tree.directory_paths.push_back(detail::join_path(path, name));
            list_tree(tree, tree.directories.size() - 1);
        }
    }
}

void sync_file(const Tree& tree, std::size_t i, platform::SyncKind kind) {
    const auto& [at, name] = tree.files[i];
    const std::string path = detail::join_path(tree.directory_paths[at], name);
    // O_NONBLOCK: a FIFO swapped in since the listing opens at once, and is skipped below.
    FileDescriptor fd(platform::open_read_no_wait(tree.directories[at].get(), name.c_str(), false));
    if (!fd) {
        if (errno == ENOENT) return;
        throw_errno(Step::sync_temp, path);
    }
    platform::FileStatus status;
    if (platform::stat_fd(fd.get(), status) != 0) throw_errno(Step::sync_temp, path);
    if (status.type != platform::FileType::regular) return;
    if (platform::sync_fd(fd.get(), kind) != 0) throw_errno(Step::sync_temp, path);
}

}  // namespace

void sync_tree(int root_fd, const std::string& root_path, platform::SyncKind kind) {
    Tree tree;
    tree.directories.emplace_back(platform::duplicate(root_fd));
    if (!tree.directories.front()) throw_errno(Step::sync_temp, root_path);
    tree.directory_paths.push_back(root_path);
    list_tree(tree, 0);
    const std::size_t files = tree.files.size();
    replace::run_concurrently(files + tree.directories.size(), true, [&](std::size_t i) {
        if (i < files) return sync_file(tree, i, kind);
        const std::size_t d = i - files;
        if (platform::sync_fd(tree.directories[d].get(), platform::SyncKind::full) != 0)
            throw_errno(Step::sync_temp, tree.directory_paths[d]);
    });
}

}  // namespace atomfile::swap
