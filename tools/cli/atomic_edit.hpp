// atomic-edit: run COMMAND with FILE's content on standard input; only when COMMAND exits 0
// does its standard output replace FILE, atomically.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace atomfile::cli {

// Runs atomic-edit with args (without the program name). COMMAND inherits standard error; its
// standard output goes to the temp. The update lock is held from before FILE is read until
// after the commit, so concurrent atomic-edit runs on one file lose no edit. Returns the exit
// status documented in atomic-edit(1): 0; COMMAND's status when it fails (FILE untouched); 125
// when atomic-edit itself fails or is misused; 127 when COMMAND cannot be run; 128 + N when
// signal N arrived (it is forwarded to COMMAND, and FILE is left untouched).
int run_atomic_edit(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace atomfile::cli
