// How the tools turn a library Error into one line on stderr.
#include <doctest/doctest.h>

#include <new>
#include <sstream>
#include <stdexcept>

#include "cli/tool_error.hpp"
#include "cli/tool_main.hpp"
#include "replace/steps.hpp"

namespace cli = atomfile::cli;
namespace step = atomfile::replace::step;
using atomfile::Error;

namespace {

std::string reported(const Error& e) {
    std::ostringstream err;
    cli::report_error(err, "atomic-write", e);
    return err.str();
}

}  // namespace

TEST_CASE("an error is reported as tool, path, step and reason on one line") {
    Error e(std::make_error_code(std::errc::io_error), step::sync, "f");
    CHECK(reported(e) == "atomic-write: f: sync temp file: Input/output error\n");
}

TEST_CASE("a lock timeout or self-deadlock is reported by its step alone, without strerror") {
    const std::string waited =
        "timed out after 0.5 s waiting for the update lock on ./.f.atomfile-lock held by pid 42";
    Error timeout(std::make_error_code(std::errc::timed_out), waited, "f");
    CHECK(reported(timeout) == "atomic-write: f: " + waited + "\n");
    Error deadlock(std::make_error_code(std::errc::resource_deadlock_would_occur),
                   "take update lock: held by pid 1, which this process runs under", "f");
    CHECK(reported(deadlock).find("Resource deadlock") == std::string::npos);
}

TEST_CASE("a refused symlink is reported with why it was not followed") {
    Error e(std::make_error_code(std::errc::permission_denied), step::resolve, "evil",
            "symlink owned by uid 65534 in a sticky world-writable directory: not followed");
    CHECK(reported(e) ==
          "atomic-write: evil: resolve target: Permission denied (symlink owned by uid 65534 in "
          "a sticky world-writable directory: not followed)\n");
}

TEST_CASE("output that could not be written turns success into the tool's failure status") {
    std::ostringstream out, err;
    CHECK(cli::finish_standard_output("json-edit", 0, 4, out, err) == 0);
    CHECK(err.str().empty());
    out.setstate(std::ios::badbit);  // what a full disk or a closed descriptor leaves
    CHECK(cli::finish_standard_output("json-edit", 0, 4, out, err) == 4);
    CHECK(err.str().rfind("json-edit: write error on standard output: ", 0) == 0);
    CHECK(cli::finish_standard_output("json-edit", 3, 4, out, err) == 3);
}

TEST_CASE("a failure's reason is its message, and out of memory for a std::bad_alloc") {
    CHECK(std::string(cli::failure_reason(std::bad_alloc())) == "out of memory");
    CHECK(std::string(cli::failure_reason(std::runtime_error("a message"))) == "a message");
}
