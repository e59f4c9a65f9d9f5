// atomic-commit: several files under one root replaced, created and removed all or nothing
// (atomfile::Transaction).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace atomfile::cli {

// Runs atomic-commit with args (without the program name):
//   atomic-commit [OPTIONS] ROOT [--] FILE=SOURCE... [--remove FILE]... [--expect FILE=SOURCE]...
// FILE is relative to ROOT (it cannot contain '='; the first '=' ends it); SOURCE is a file
// read whole (a FIFO once its writer comes), or "-" for standard input (once). Every SOURCE is
// read and every FILE staged before anything is published; a caught signal ends a wait for
// ROOT's lock, for input or for a FIFO's writer (128 + N, nothing changed). Returns the exit status
// documented in atomic-commit(1): 0 committed, 1 failed (every FILE old), 2 bad usage, 3 committed
// (every FILE new) but its durability or clean-up failed, 128 + N when signal N arrived before the
// commit. Standard input is in_fd (0 in the tool); a closed one is refused before ROOT is opened.
int run_atomic_commit(const std::vector<std::string>& args, int in_fd, std::ostream& out,
                      std::ostream& err);

}  // namespace atomfile::cli
