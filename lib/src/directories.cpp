#include "atomfile/directories.hpp"

#include <cerrno>
#include <string>

#include "atomfile/file_descriptor.hpp"
#include "error_support.hpp"
#include "platform/linux.hpp"

namespace atomfile {

namespace {

// "a/b/c" -> "a/b"; "/a" -> "/"; "c" -> ".".
std::string parent_of(const std::string& path) {
    auto slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

// Makes a new directory's entry durable by syncing the directory that holds it. A file system
// that cannot sync directories says EINVAL: there is nothing more to do (docs/durability.md).
void sync_parent(const std::string& directory) {
    const std::string parent = parent_of(directory);
    FileDescriptor fd(platform::open_directory(platform::current_directory, parent.c_str()));
    if (!fd) throw_errno(Step::create_directory, parent);
    if (platform::sync_fd(fd.get(), platform::SyncKind::full) != 0 && errno != EINVAL)
        throw_errno(Step::create_directory, directory);
}

// Creates one directory; false when one is there already.
bool create_one(const std::string& directory, unsigned mode) {
    if (platform::make_directory_at(platform::current_directory, directory.c_str(), mode) == 0) {
        sync_parent(directory);
        return true;
    }
    if (errno != EEXIST) throw_errno(Step::create_directory, directory);
    platform::FileStatus status;
    if (platform::stat_at(platform::current_directory, directory.c_str(), status, true) != 0)
        throw_errno(Step::create_directory, directory);
    if (status.type != platform::FileType::directory)
        throw_error(ENOTDIR, Step::create_directory, directory);
    return false;
}

}  // namespace

bool create_parent_directories(const PathArg& path) {
    const std::string& file = path.str();
    const auto last_slash = file.find_last_of('/');
    if (last_slash == std::string::npos || last_slash == 0) return false;
    const std::string parent = file.substr(0, last_slash);
    const unsigned mode = 0777 & ~platform::current_umask();
    bool created = false;
    for (std::size_t end = 0; end != std::string::npos;) {
        end = parent.find('/', end + 1);
        const std::string prefix = parent.substr(0, end);
        if (prefix.empty() || prefix.back() == '/') continue;  // "a//b": the same directory
        created = create_one(prefix, mode) || created;
    }
    return created;
}

bool create_parent_directories(const PathArg& path, std::error_code& ec) noexcept {
    bool created = false;
    capture_error(ec, [&] { created = create_parent_directories(path); });
    return created;
}

}  // namespace atomfile
