// atomic-dir: see tools/cli/atomic_dir.hpp and atomic-dir(1).
#include <iostream>

#include "cli/atomic_dir.hpp"
#include "cli/tool_main.hpp"

int main(int argc, char** argv) {
    atomfile::cli::begin_tool_process();
    int status = atomfile::cli::run_atomic_dir({argv + 1, argv + argc}, std::cout, std::cerr);
    return atomfile::cli::finish_standard_output(
        "atomic-dir", status, atomfile::cli::exit_status::tool_failure, std::cout, std::cerr);
}
