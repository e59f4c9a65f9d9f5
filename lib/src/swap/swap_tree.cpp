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

// How many directories the walk keeps open before it syncs what it has listed: a tree of any
// shape then needs about this many descriptors plus its depth, never one per directory, which
// the common limit of 1024 descriptors would not allow for a large tree (node_modules).
constexpr std::size_t open_directories_limit = 128;

// The tree to sync, listed a part at a time: the directories listed and still open (so no path
// is resolved again, and a directory renamed by populate's leftovers cannot redirect the walk),
// and every regular file by its directory and name (opened only by the barrier's threads).
// A directory is synced, and closed, once its listing is finished.
struct Tree {
    std::vector<FileDescriptor> directories;  // closed once synced
    std::vector<std::string> directory_paths;
    std::vector<bool> finished;
    std::vector<std::pair<std::size_t, std::string>> files;
    std::size_t open = 0;
    platform::SyncKind kind = platform::SyncKind::full;
};

void sync_file(const Tree& tree, const std::pair<std::size_t, std::string>& file) {
    const auto& [at, name] = file;
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
    if (platform::sync_fd(fd.get(), tree.kind) != 0) throw_errno(Step::sync_temp, path);
}

// Syncs every file listed so far and every finished directory still open, concurrently, then
// closes those directories.
void flush(Tree& tree) {
    std::vector<std::size_t> done;
    for (std::size_t d = 0; d < tree.directories.size(); ++d)
        if (tree.finished[d] && tree.directories[d]) done.push_back(d);
    const std::size_t files = tree.files.size();
    replace::run_concurrently(files + done.size(), true, [&](std::size_t i) {
        if (i < files) return sync_file(tree, tree.files[i]);
        const std::size_t d = done[i - files];
        if (platform::sync_fd(tree.directories[d].get(), platform::SyncKind::full) != 0)
            throw_errno(Step::sync_temp, tree.directory_paths[d]);
    });
    tree.files.clear();
    for (std::size_t d : done) tree.directories[d].reset();
    tree.open -= done.size();
}

std::size_t add_directory(Tree& tree, FileDescriptor fd, std::string path) {
    tree.directories.push_back(std::move(fd));
    tree.directory_paths.push_back(std::move(path));
    tree.finished.push_back(false);
    ++tree.open;
    return tree.directories.size() - 1;
}

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
            const std::size_t child =
                add_directory(tree, std::move(sub), detail::join_path(path, name));
            list_tree(tree, child);
            tree.finished[child] = true;
            if (tree.open >= open_directories_limit) flush(tree);
        }
    }
}

}  // namespace

void sync_tree(int root_fd, const std::string& root_path, platform::SyncKind kind) {
    Tree tree;
    tree.kind = kind;
    FileDescriptor root(platform::duplicate(root_fd));
    if (!root) throw_errno(Step::sync_temp, root_path);
    add_directory(tree, std::move(root), root_path);
    list_tree(tree, 0);
    tree.finished[0] = true;
    flush(tree);
}

}  // namespace atomfile::swap
