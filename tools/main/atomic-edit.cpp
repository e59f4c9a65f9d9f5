// atomic-edit: see tools/cli/atomic_edit.hpp and atomic-edit(1).
#include <iostream>

#include "cli/atomic_edit.hpp"
#include "cli/tool_main.hpp"

int main(int argc, char** argv) {
    atomfile::cli::begin_tool_process();
    int status = atomfile::cli::run_atomic_edit({argv + 1, argv + argc}, std::cout, std::cerr);
    return atomfile::cli::finish_standard_output(
        "atomic-edit", status, atomfile::cli::exit_status::tool_failure, std::cout, std::cerr);
}
