#include "atomfile/mkstemp.hpp"

#include "detail/temp_support.hpp"
#include "error_support.hpp"

namespace atomfile {

MkstempResult mkstemp(std::string_view suffix, std::string_view prefix, const PathArg& dir,
                      bool /*text: no meaning on POSIX*/) {
    detail::check_affixes(prefix, suffix);
    std::string directory = detail::temp_directory(dir.str());
    FileDescriptor dir_fd = detail::open_temp_directory(directory);
    std::string name;
    FileDescriptor fd = detail::create_unique_file(dir_fd.get(), directory, prefix, suffix, name);
    return MkstempResult{std::move(fd), detail::join_path(directory, name)};
}

MkstempResult mkstemp(std::string_view suffix, std::string_view prefix, const PathArg& dir,
                      bool text, std::error_code& ec) noexcept {
    MkstempResult result;
    capture_error(ec, [&] { result = mkstemp(suffix, prefix, dir, text); });
    return result;
}

std::string mkdtemp(std::string_view suffix, std::string_view prefix, const PathArg& dir) {
    detail::check_affixes(prefix, suffix);
    std::string directory = detail::temp_directory(dir.str());
    FileDescriptor dir_fd = detail::open_temp_directory(directory);
    std::string name = detail::create_unique_directory(dir_fd.get(), directory, prefix, suffix);
    return detail::join_path(directory, name);
}

std::string mkdtemp(std::string_view suffix, std::string_view prefix, const PathArg& dir,
                    std::error_code& ec) noexcept {
    std::string result;
    capture_error(ec, [&] { result = mkdtemp(suffix, prefix, dir); });
    return result;
}

}  // namespace atomfile
