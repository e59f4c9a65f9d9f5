// with-tempdir: see tools/cli/with_tempdir.hpp and with-tempdir(1).
#include <iostream>

#include "cli/tool_main.hpp"
#include "cli/with_tempdir.hpp"

int main(int argc, char** argv) {
    atomfile::cli::begin_tool_process();
    int status = atomfile::cli::run_with_tempdir({argv + 1, argv + argc}, std::cout, std::cerr);
    return atomfile::cli::finish_standard_output(
        "with-tempdir", status, atomfile::cli::exit_status::tool_failure, std::cout, std::cerr);
}
