// atomic-edit: see tools/cli/atomic_edit.hpp and atomic-edit(1).
#include <iostream>

#include "cli/atomic_edit.hpp"
#include "cli/tool_main.hpp"

int main(int argc, char** argv) {
    return atomfile::cli::tool_main("atomic-edit", atomfile::cli::exit_status::tool_failure, argc,
                                    argv, [](const std::vector<std::string>& args) {
                                        return atomfile::cli::run_atomic_edit(args, std::cout,
                                                                              std::cerr);
                                    });
}
