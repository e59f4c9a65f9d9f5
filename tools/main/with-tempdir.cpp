// with-tempdir: see tools/cli/with_tempdir.hpp and with-tempdir(1).
#include <iostream>

#include "cli/tool_main.hpp"
#include "cli/with_tempdir.hpp"

int main(int argc, char** argv) {
    return atomfile::cli::tool_main("with-tempdir", atomfile::cli::exit_status::tool_failure, argc,
                                    argv, [](const std::vector<std::string>& args) {
                                        return atomfile::cli::run_with_tempdir(args, std::cout,
                                                                               std::cerr);
                                    });
}
