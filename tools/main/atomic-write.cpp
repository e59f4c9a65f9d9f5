// atomic-write: see tools/cli/atomic_write.hpp and atomic-write(1).
#include <iostream>

#include "cli/atomic_write.hpp"
#include "cli/tool_main.hpp"

int main(int argc, char** argv) {
    return atomfile::cli::tool_main("atomic-write", atomfile::cli::exit_status::failure, argc, argv,
                                    [](const std::vector<std::string>& args) {
                                        return atomfile::cli::run_atomic_write(args, 0, std::cout,
                                                                               std::cerr);
                                    });
}
