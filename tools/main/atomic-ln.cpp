// atomic-ln: see tools/cli/atomic_ln.hpp and atomic-ln(1).
#include <iostream>

#include "cli/atomic_ln.hpp"
#include "cli/tool_main.hpp"

int main(int argc, char** argv) {
    atomfile::cli::begin_tool_process();
    int status = atomfile::cli::run_atomic_ln({argv + 1, argv + argc}, std::cout, std::cerr);
    return atomfile::cli::finish_standard_output(
        "atomic-ln", status, atomfile::cli::exit_status::failure, std::cout, std::cerr);
}
