// atomic-edit: see tools/cli/atomic_edit.hpp and atomic-edit(1).
#include <iostream>

#include "cli/atomic_edit.hpp"

int main(int argc, char** argv) {
    return atomfile::cli::run_atomic_edit({argv + 1, argv + argc}, std::cout, std::cerr);
}
