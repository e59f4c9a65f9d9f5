// atomic-write: read standard input to its end, then atomically replace FILE with it.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace atomfile::cli {

// Runs atomic-write with args (without the program name), reading the new content from in_fd.
// Streams the input into a temp in FILE's directory in constant memory and commits it only when
// the input ended normally. Returns the exit status documented in atomic-write(1): 0, 1 (the
// update failed, FILE untouched), 2 (bad usage), 3 (FILE replaced, but the directory sync or the
// backup failed afterwards) or 128 + N when signal N arrived before the commit (FILE untouched,
// no temp left).
int run_atomic_write(const std::vector<std::string>& args, int in_fd, std::ostream& out,
                     std::ostream& err);

}  // namespace atomfile::cli
