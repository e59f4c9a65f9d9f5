#include "detail/temp_support.hpp"

#include <cerrno>
#include <filesystem>

#include "atomfile/tempdir.hpp"
#include "detail/random_name.hpp"
#include "error_support.hpp"
#include "platform/linux.hpp"

namespace atomfile::detail {
namespace {

NameSource name_source = nullptr;
void* name_source_context = nullptr;

// random_name() knows nothing of where the name is for, so its error gains the directory here.
std::string draw_name_in(const std::string& directory, std::string_view prefix,
                         std::string_view suffix) {
    try {
        return draw_name(prefix, suffix);
    } catch (const Error& e) {
        if (!e.path().empty()) throw;
        throw Error(e.code(), e.step_id(), directory, {}, e.step() + " for temp file in");
    }
}

// Tries names until create(name) claims one. create returns 0 on success, EEXIST to ask for
// another name, or throws.
template <class Create>
std::string claim_unused_name(const std::string& directory, std::string_view prefix,
                              std::string_view suffix, Create create) {
    for (int attempt = 0; attempt < max_name_attempts; ++attempt) {
        std::string name = draw_name_in(directory, prefix, suffix);
        if (create(name) == 0) return name;
    }
    std::string words =
        "no unused name after " + std::to_string(max_name_attempts) + " attempts in";
    throw_error(EEXIST, StepWords{Step::no_unused_name, words}, directory);
}

}  // namespace

void set_name_source(NameSource source, void* context) {
    name_source = source;
    name_source_context = context;
}

std::string draw_name(std::string_view prefix, std::string_view suffix) {
    if (name_source != nullptr) return name_source(prefix, suffix, name_source_context);
    return random_name(prefix, suffix);
}

void check_affixes(std::string_view prefix, std::string_view suffix) {
    if (prefix.find('/') != std::string_view::npos)
        throw_error(EINVAL, Step::temp_prefix, std::string(prefix));
    if (suffix.find('/') != std::string_view::npos)
        throw_error(EINVAL, Step::temp_suffix, std::string(suffix));
}

std::string absolute_path(const std::string& path) {
    std::filesystem::path result(path);
    if (result.is_relative()) {
        std::string cwd;
        if (platform::current_directory_path(cwd) != 0) throw_errno(Step::working_directory, path);
        result = std::filesystem::path(cwd) / result;
    }
    std::string normal = result.lexically_normal().string();
    while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
    return normal;
}

std::string temp_directory(const std::string& dir) {
    return absolute_path(dir.empty() ? gettempdir() : dir);
}

FileDescriptor open_temp_directory(const std::string& directory) {
    FileDescriptor fd(platform::open_directory(platform::current_directory, directory.c_str()));
    if (!fd) throw_errno(Step::open_temp_directory, directory);
    return fd;
}

std::string join_path(const std::string& directory, const std::string& name) {
    return directory == "/" ? "/" + name : directory + "/" + name;
}

FileDescriptor create_unique_file(int dir_fd, const std::string& directory, std::string_view prefix,
                                  std::string_view suffix, std::string& name) {
    FileDescriptor fd;
    name = claim_unused_name(directory, prefix, suffix, [&](const std::string& candidate) {
        fd.reset(platform::create_exclusive(dir_fd, candidate.c_str(), 0600));
        if (fd) return 0;
        if (errno == EEXIST) return EEXIST;
        throw_errno(Step::create_temp, join_path(directory, candidate));
    });
    return fd;
}

std::string create_unique_directory(int dir_fd, const std::string& directory,
                                    std::string_view prefix, std::string_view suffix) {
    return claim_unused_name(directory, prefix, suffix, [&](const std::string& candidate) {
        if (platform::make_directory_at(dir_fd, candidate.c_str(), 0700) == 0) return 0;
        if (errno == EEXIST) return EEXIST;
        throw_errno(Step::create_temp_directory, join_path(directory, candidate));
    });
}

void require_open(int fd, const std::string& where) {
    if (fd < 0) throw_error(EBADF, Step::use_closed_temp, where);
}

std::size_t write_fd(int fd, std::string_view data, const std::string& where) {
    require_open(fd, where);
    if (platform::write_all(fd, data.data(), data.size()) != 0)
        throw_errno(Step::write_temp, where);
    return data.size();
}

std::string read_fd(int fd, std::size_t size, const std::string& where) {
    require_open(fd, where);
    std::string out;
    if (size == std::string::npos) {
        if (platform::read_all(fd, out) != 0) throw_errno(Step::read_temp, where);
        return out;
    }
    out.resize(size);
    std::size_t filled = 0;
    while (filled < size) {
        long got = platform::read_some(fd, out.data() + filled, size - filled);
        if (got < 0) throw_errno(Step::read_temp, where);
        if (got == 0) break;
        filled += static_cast<std::size_t>(got);
    }
    out.resize(filled);
    return out;
}

std::int64_t seek_fd(int fd, std::int64_t offset, Whence whence, const std::string& where) {
    require_open(fd, where);
    platform::Whence how = whence == Whence::set       ? platform::Whence::set
                           : whence == Whence::current ? platform::Whence::current
                                                       : platform::Whence::end;
    std::int64_t position = platform::seek(fd, offset, how);
    if (position < 0) throw_errno(Step::seek_temp, where);
    return position;
}

std::int64_t truncate_fd(int fd, std::int64_t size, const std::string& where) {
    require_open(fd, where);
    if (platform::truncate_fd(fd, size) != 0) throw_errno(Step::truncate_temp, where);
    return size;
}

void sync_fd(int fd, const std::string& where) {
    require_open(fd, where);
    if (platform::sync_fd(fd, platform::SyncKind::full) != 0) throw_errno(Step::sync_temp, where);
}

void require_open(int fd, const std::string& where, std::error_code& ec) noexcept {
    capture_error(ec, [&] { require_open(fd, where); });
}

std::size_t write_fd(int fd, std::string_view data, const std::string& where,
                     std::error_code& ec) noexcept {
    std::size_t written = 0;
    capture_error(ec, [&] { written = write_fd(fd, data, where); });
    return written;
}

std::string read_fd(int fd, std::size_t size, const std::string& where,
                    std::error_code& ec) noexcept {
    std::string data;
    capture_error(ec, [&] { data = read_fd(fd, size, where); });
    return data;
}

std::int64_t seek_fd(int fd, std::int64_t offset, Whence whence, const std::string& where,
                     std::error_code& ec) noexcept {
    std::int64_t position = -1;
    capture_error(ec, [&] { position = seek_fd(fd, offset, whence, where); });
    return position;
}

std::int64_t truncate_fd(int fd, std::int64_t size, const std::string& where,
                         std::error_code& ec) noexcept {
    std::int64_t result = -1;
    capture_error(ec, [&] { result = truncate_fd(fd, size, where); });
    return result;
}

void sync_fd(int fd, const std::string& where, std::error_code& ec) noexcept {
    capture_error(ec, [&] { sync_fd(fd, where); });
}

}  // namespace atomfile::detail
