// A path parameter that accepts whatever path type the caller holds.
//
// std::string, const char*, std::string_view, std::filesystem::path and boost::filesystem::path
// (anything with a native() returning a std::string) all convert implicitly, so callers never
// write a conversion.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace atomfile {

class PathArg {
  public:
    PathArg(const char* path) : path_(path) {}
    PathArg(std::string path) : path_(std::move(path)) {}
    PathArg(std::string_view path) : path_(path) {}
    template <class Path, class = std::enable_if_t<std::is_convertible_v<
                              decltype(std::declval<const Path&>().native()), const std::string&>>>
    PathArg(const Path& path) : path_(path.native()) {}

    const std::string& str() const noexcept { return path_; }
    const char* c_str() const noexcept { return path_.c_str(); }
    bool empty() const noexcept { return path_.empty(); }

  private:
    std::string path_;
};

}  // namespace atomfile
