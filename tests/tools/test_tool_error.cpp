// How the tools turn a library Error into one line on stderr.
#include <doctest/doctest.h>

#include <sstream>

#include "cli/tool_error.hpp"
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
