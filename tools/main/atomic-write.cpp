// atomic-write: see tools/cli/atomic_write.hpp and atomic-write(1).
#include <iostream>

#include "cli/atomic_write.hpp"
#include "cli/tool_main.hpp"

int main(int argc, char** argv) {
    atomfile::cli::begin_tool_process();
    int status = atomfile::cli::run_atomic_write({argv + 1, argv + argc}, 0, std::cout, std::cerr);
    return atomfile::cli::finish_standard_output(
        "atomic-write", status, atomfile::cli::exit_status::failure, std::cout, std::cerr);
}
