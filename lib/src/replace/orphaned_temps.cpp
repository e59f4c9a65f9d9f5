// remove_orphaned_temps: clearing what crashed writers left behind, and nothing else.
#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "atomfile/file_descriptor.hpp"
#include "atomfile/replace.hpp"
#include "error_support.hpp"
#include "platform/linux.hpp"
#include "replace/temp_names.hpp"
#include "replace/update_lock.hpp"

namespace atomfile {

using namespace replace;

namespace {

std::int64_t now_ns() {
    using namespace std::chrono;
    return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}

bool old_regular_file(int dir_fd, const std::string& name, std::int64_t cutoff_ns) {
    platform::FileStatus status;
    if (platform::stat_at(dir_fd, name.c_str(), status, false) != 0) return false;
    return status.type == platform::FileType::regular && status.modified_ns <= cutoff_ns;
}

// A writer holds an flock on its named temp: only an unlocked temp is an orphan. A temp the
// cleaner cannot open (its final mode denies reading) is judged by age alone.
bool remove_unlocked(int dir_fd, const std::string& name) {
    FileDescriptor fd(platform::open_read(dir_fd, name.c_str(), false));
    if (!fd && errno != EACCES) return false;
    if (fd && platform::lock_exclusive(fd.get(), 0) != 0) return false;
    return platform::unlink_file_at(dir_fd, name.c_str()) == 0;
}

}  // namespace

std::size_t remove_orphaned_temps(const PathArg& directory, std::chrono::seconds min_age) {
    FileDescriptor dir(platform::open_directory(platform::current_directory, directory.c_str()));
    if (!dir) throw_errno(Step::open_directory_to_clean, directory.str());
    std::vector<std::string> names;
    if (platform::list_directory(dir.get(), names) != 0)
        throw_errno(Step::list_directory_to_clean, directory.str());
    const std::int64_t cutoff =
        now_ns() - std::chrono::duration_cast<std::chrono::nanoseconds>(min_age).count();
    std::size_t removed = 0;
    for (const std::string& name : names) {
        bool temp = is_temp_name(name);
        if (!temp && !is_lock_name(name)) continue;
        if (!old_regular_file(dir.get(), name, cutoff)) continue;
        if (temp ? remove_unlocked(dir.get(), name) : remove_stale_lock(dir.get(), name)) ++removed;
    }
    return removed;
}

std::size_t remove_orphaned_temps(const PathArg& directory, std::chrono::seconds min_age,
                                  std::error_code& ec) noexcept {
    std::size_t removed = 0;
    capture_error(ec, [&] { removed = remove_orphaned_temps(directory, min_age); });
    return removed;
}

}  // namespace atomfile
