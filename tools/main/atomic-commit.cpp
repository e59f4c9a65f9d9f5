// atomic-commit: see tools/cli/atomic_commit.hpp and atomic-commit(1).
#include <iostream>

#include "cli/atomic_commit.hpp"
#include "cli/tool_main.hpp"

int main(int argc, char** argv) {
    atomfile::cli::begin_tool_process();
    int status = atomfile::cli::run_atomic_commit({argv + 1, argv + argc}, 0, std::cout, std::cerr);
    return atomfile::cli::finish_standard_output(
        "atomic-commit", status, atomfile::cli::exit_status::failure, std::cout, std::cerr);
}
