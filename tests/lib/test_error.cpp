#include <doctest/doctest.h>

#include <cerrno>
#include <string>

#include "atomfile/error.hpp"

using atomfile::Error;

TEST_CASE("an error names the step, the path and the system's reason, and keeps errno") {
    try {
        atomfile::throw_error(EIO, "sync temp file", "/srv/app.conf");
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) ==
              "atomfile: sync temp file '/srv/app.conf': Input/output error");
        CHECK(e.code() == std::errc::io_error);
        CHECK(e.step() == "sync temp file");
        CHECK(e.path() == "/srv/app.conf");
    }
}

TEST_CASE("an error about two paths names both") {
    Error e(std::make_error_code(std::errc::cross_device_link), "rename temp over target", "/a/t",
            "/b/f");
    CHECK(std::string(e.what()) ==
          "atomfile: rename temp over target '/a/t' -> '/b/f': Invalid cross-device link");
    CHECK(e.second_path() == "/b/f");
}

TEST_CASE("capture_error turns exceptions into error codes and clears the code on success") {
    std::error_code ec = std::make_error_code(std::errc::io_error);
    atomfile::capture_error(ec, [] {});
    CHECK_FALSE(ec);
    atomfile::capture_error(ec, [] { atomfile::throw_error(ENOSPC, "write temp file", "f"); });
    CHECK(ec == std::errc::no_space_on_device);
    atomfile::capture_error(ec, [] { throw std::bad_alloc(); });
    CHECK(ec == std::errc::not_enough_memory);
}
