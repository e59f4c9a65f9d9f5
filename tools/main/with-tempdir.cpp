// with-tempdir: see tools/cli/with_tempdir.hpp and with-tempdir(1).
#include <iostream>

#include "cli/with_tempdir.hpp"

int main(int argc, char** argv) {
    return atomfile::cli::run_with_tempdir({argv + 1, argv + argc}, std::cout, std::cerr);
}
