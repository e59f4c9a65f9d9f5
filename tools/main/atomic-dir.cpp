// atomic-dir: see tools/cli/atomic_dir.hpp and atomic-dir(1).
#include <iostream>

#include "cli/atomic_dir.hpp"
#include "cli/tool_main.hpp"

int main(int argc, char** argv) {
    return atomfile::cli::tool_main("atomic-dir", atomfile::cli::exit_status::tool_failure, argc,
                                    argv, [](const std::vector<std::string>& args) {
                                        return atomfile::cli::run_atomic_dir(args, std::cout,
                                                                             std::cerr);
                                    });
}
