#include "atomfile/error.hpp"

#include <cerrno>

namespace atomfile {
namespace {

std::string describe(const std::string& step, const std::string& path,
                     const std::string& second_path) {
    std::string what = "atomfile: " + step;
    if (!path.empty()) what += " '" + path + "'";
    if (!second_path.empty()) what += " -> '" + second_path + "'";
    return what;
}

}  // namespace

Error::Error(std::error_code code, std::string step, std::string path, std::string second_path)
    : std::system_error(code, describe(step, path, second_path)),
      step_(std::move(step)),
      path_(std::move(path)),
      second_path_(std::move(second_path)) {}

void throw_errno(const std::string& step, const std::string& path, const std::string& second_path) {
    throw_error(errno, step, path, second_path);
}

void throw_error(int errno_value, const std::string& step, const std::string& path,
                 const std::string& second_path) {
    throw Error(std::error_code(errno_value, std::generic_category()), step, path, second_path);
}

}  // namespace atomfile
