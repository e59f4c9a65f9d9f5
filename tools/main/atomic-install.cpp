// atomic-install: see tools/cli/atomic_install.hpp and atomic-install(1).
#include <iostream>

#include "cli/atomic_install.hpp"
#include "cli/tool_main.hpp"

int main(int argc, char** argv) {
    atomfile::cli::begin_tool_process();
    int status = atomfile::cli::run_atomic_install({argv + 1, argv + argc}, std::cout, std::cerr);
    return atomfile::cli::finish_standard_output(
        "atomic-install", status, atomfile::cli::exit_status::failure, std::cout, std::cerr);
}
