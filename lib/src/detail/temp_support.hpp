// Shared machinery of the temp primitives: drawing and claiming unused names, resolving the
// directory a temp goes in, and descriptor I/O that reports errors with a step and a path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "atomfile/file_descriptor.hpp"
#include "atomfile/temporary_file.hpp"

namespace atomfile::detail {

// ---- names -----------------------------------------------------------------------------------

// The test seam for names: a source that replaces random_name() so tests can plant files and
// symlinks at the exact names a creation will try. nullptr restores random_name().
using NameSource = std::string (*)(std::string_view prefix, std::string_view suffix, void* context);
void set_name_source(NameSource source, void* context);
// prefix + random characters + suffix, from the installed source (random_name() by default).
std::string draw_name(std::string_view prefix, std::string_view suffix);

// Rejects a prefix or suffix containing '/' (std::errc::invalid_argument).
void check_affixes(std::string_view prefix, std::string_view suffix);

// ---- directories -----------------------------------------------------------------------------

// path made absolute against the working directory and normalised lexically (Python's abspath).
std::string absolute_path(const std::string& path);
// The absolute directory for a temp: dir, or gettempdir() when dir is empty.
std::string temp_directory(const std::string& dir);
// Opens a directory a temp will be created in ("open temp directory" on failure).
FileDescriptor open_temp_directory(const std::string& directory);
// Joins an absolute directory and a name.
std::string join_path(const std::string& directory, const std::string& name);

// ---- exclusive creation ----------------------------------------------------------------------

// Creates prefix+random+suffix in dir_fd exclusively with mode 0600, drawing a new name while
// the drawn one exists. Returns the descriptor and sets name. directory is for messages.
FileDescriptor create_unique_file(int dir_fd, const std::string& directory, std::string_view prefix,
                                  std::string_view suffix, std::string& name);
// The same for a directory with mode 0700; returns its name.
std::string create_unique_directory(int dir_fd, const std::string& directory,
                                    std::string_view prefix, std::string_view suffix);

// ---- descriptor I/O --------------------------------------------------------------------------
// `where` names the file in messages. Each throws atomfile::Error on failure, and
// std::errc::bad_file_descriptor (step "use closed temp file") when fd is -1.

void require_open(int fd, const std::string& where);
std::size_t write_fd(int fd, std::string_view data, const std::string& where);
std::string read_fd(int fd, std::size_t size, const std::string& where);
std::int64_t seek_fd(int fd, std::int64_t offset, Whence whence, const std::string& where);
std::int64_t truncate_fd(int fd, std::int64_t size, const std::string& where);
void sync_fd(int fd, const std::string& where);

// The same for the noexcept overloads of the primitives: ec is cleared, or set from the failure
// (the result is then 0, empty or -1).
void require_open(int fd, const std::string& where, std::error_code& ec) noexcept;
std::size_t write_fd(int fd, std::string_view data, const std::string& where,
                     std::error_code& ec) noexcept;
std::string read_fd(int fd, std::size_t size, const std::string& where,
                    std::error_code& ec) noexcept;
std::int64_t seek_fd(int fd, std::int64_t offset, Whence whence, const std::string& where,
                     std::error_code& ec) noexcept;
std::int64_t truncate_fd(int fd, std::int64_t size, const std::string& where,
                         std::error_code& ec) noexcept;
void sync_fd(int fd, const std::string& where, std::error_code& ec) noexcept;

}  // namespace atomfile::detail
