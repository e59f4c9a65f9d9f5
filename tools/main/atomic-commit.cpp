// atomic-commit: see tools/cli/atomic_commit.hpp and atomic-commit(1).
#include <iostream>

#include "cli/atomic_commit.hpp"
#include "cli/tool_main.hpp"

int main(int argc, char** argv) {
    return atomfile::cli::tool_main("atomic-commit", atomfile::cli::exit_status::failure, argc,
                                    argv, [](const std::vector<std::string>& args) {
                                        return atomfile::cli::run_atomic_commit(args, 0, std::cout,
                                                                                std::cerr);
                                    });
}
