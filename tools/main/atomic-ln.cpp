// atomic-ln: see tools/cli/atomic_ln.hpp and atomic-ln(1).
#include <iostream>

#include "cli/atomic_ln.hpp"
#include "cli/tool_main.hpp"

int main(int argc, char** argv) {
    return atomfile::cli::tool_main("atomic-ln", atomfile::cli::exit_status::failure, argc, argv,
                                    [](const std::vector<std::string>& args) {
                                        return atomfile::cli::run_atomic_ln(args, std::cout,
                                                                            std::cerr);
                                    });
}
