// atomic-write: see tools/cli/atomic_write.hpp and atomic-write(1).
#include <iostream>

#include "cli/atomic_write.hpp"

int main(int argc, char** argv) {
    return atomfile::cli::run_atomic_write({argv + 1, argv + argc}, 0, std::cout, std::cerr);
}
