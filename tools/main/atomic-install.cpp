// atomic-install: see tools/cli/atomic_install.hpp and atomic-install(1).
#include <iostream>

#include "cli/atomic_install.hpp"
#include "cli/tool_main.hpp"

int main(int argc, char** argv) {
    return atomfile::cli::tool_main("atomic-install", atomfile::cli::exit_status::failure, argc,
                                    argv, [](const std::vector<std::string>& args) {
                                        return atomfile::cli::run_atomic_install(args, std::cout,
                                                                                 std::cerr);
                                    });
}
