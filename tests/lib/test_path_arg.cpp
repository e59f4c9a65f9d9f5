#include <doctest/doctest.h>

#include <boost/filesystem/path.hpp>
#include <filesystem>
#include <string>
#include <string_view>

#include "atomfile/path_arg.hpp"

using atomfile::PathArg;

namespace {
std::string take(const PathArg& path) {
    return path.str();
}
}  // namespace

TEST_CASE("every common path type converts to a path argument without a cast") {
    const std::string expected = "/etc/app.conf";
    CHECK(take("/etc/app.conf") == expected);
    CHECK(take(std::string("/etc/app.conf")) == expected);
    CHECK(take(std::string_view("/etc/app.conf")) == expected);
    CHECK(take(std::filesystem::path("/etc/app.conf")) == expected);
    CHECK(take(boost::filesystem::path("/etc/app.conf")) == expected);
}

TEST_CASE("a path argument keeps bytes that are not valid UTF-8") {
    const std::string raw = std::string("dir/\xff\xfe") + "name";
    CHECK(take(raw) == raw);
    CHECK(take(std::filesystem::path(raw)) == raw);
}
