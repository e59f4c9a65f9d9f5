#include "atomfile/tempdir.hpp"

#include <cerrno>
#include <mutex>
#include <optional>
#include <vector>

#include "atomfile/file_descriptor.hpp"
#include "detail/temp_support.hpp"
#include "detail/tempdir_cache.hpp"
#include "error_support.hpp"
#include "platform/linux.hpp"

namespace atomfile {
namespace {

std::mutex cache_mutex;
std::optional<std::string> cached_tempdir;

// Python's candidate order. Unset or empty variables are skipped; the working directory comes
// last ("." if even that cannot be named).
std::vector<std::string> candidate_directories() {
    std::vector<std::string> candidates;
    for (const char* variable : {"TMPDIR", "TEMP", "TMP"}) {
        std::string value;
        if (platform::get_environment(variable, value) && !value.empty())
            candidates.push_back(value);
    }
    for (const char* fixed : {"/tmp", "/var/tmp", "/usr/tmp"}) candidates.emplace_back(fixed);
    std::string cwd;
    candidates.push_back(platform::current_directory_path(cwd) == 0 ? cwd : ".");
    return candidates;
}

// Proves a directory usable by creating, writing and removing a file in it, as Python does.
bool usable(const std::string& directory) {
    FileDescriptor dir(platform::open_directory(platform::current_directory, directory.c_str()));
    if (!dir) return false;
    for (int attempt = 0; attempt < 100; ++attempt) {
        std::string name;
        try {
            name = detail::draw_name("", "");
        } catch (const Error&) {
            return false;
        }
        FileDescriptor probe(platform::create_exclusive(dir.get(), name.c_str(), 0600));
        if (!probe) {
            if (errno == EEXIST) continue;
            return false;
        }
        bool written = platform::write_all(probe.get(), "blat", 4) == 0;
        probe.reset();
        bool removed = platform::unlink_file_at(dir.get(), name.c_str()) == 0;
        return written && removed;
    }
    return false;
}

std::string search_tempdir() {
    std::vector<std::string> candidates = candidate_directories();
    for (const std::string& candidate : candidates) {
        std::string directory = candidate == "." ? candidate : detail::absolute_path(candidate);
        errno = 0;
        if (usable(directory)) return directory;
        // Every candidate would fail the same way: "No such file or directory" would send the
        // user looking for the wrong fault.
        if (is_process_limit(errno)) throw_error(errno, Step::find_temp_directory, directory);
    }
    std::string tried;
    for (const std::string& candidate : candidates) {
        if (!tried.empty()) tried += "', '";
        tried += candidate;
    }
    throw_error(ENOENT, Step::find_temp_directory, tried);
}

}  // namespace

std::string gettempdir() {
    std::lock_guard<std::mutex> lock(cache_mutex);
    if (!cached_tempdir) cached_tempdir = search_tempdir();
    return *cached_tempdir;
}

std::string gettempdir(std::error_code& ec) noexcept {
    std::string result;
    capture_error(ec, [&] { result = gettempdir(); });
    return result;
}

void set_tempdir(const PathArg& directory) {
    std::lock_guard<std::mutex> lock(cache_mutex);
    if (directory.empty())
        cached_tempdir.reset();
    else
        cached_tempdir = directory.str();
}

void set_tempdir(const PathArg& directory, std::error_code& ec) noexcept {
    capture_error(ec, [&] { set_tempdir(directory); });
}

std::string gettempprefix() {
    return "tmp";
}

namespace detail {

void reset_tempdir_cache() noexcept {
    std::lock_guard<std::mutex> lock(cache_mutex);
    cached_tempdir.reset();
}

}  // namespace detail
}  // namespace atomfile
