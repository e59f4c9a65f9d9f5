// atomic-recover: see tools/cli/atomic_recover.hpp and atomic-recover(1).
#include <iostream>

#include "cli/atomic_recover.hpp"
#include "cli/tool_main.hpp"

int main(int argc, char** argv) {
    return atomfile::cli::tool_main("atomic-recover", atomfile::cli::exit_status::failure, argc,
                                    argv, [](const std::vector<std::string>& args) {
                                        return atomfile::cli::run_atomic_recover(args, std::cout,
                                                                                 std::cerr);
                                    });
}
