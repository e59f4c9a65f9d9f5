// atomic-dir: fill a fresh directory with COMMAND, then swap it in for DIR in one step.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace atomfile::cli {

// Runs atomic-dir with args (without the program name):
//   atomic-dir [OPTIONS] DIR [--] COMMAND [ARG...]
// atomfile::replace_directory (atomfile/swap.hpp) with COMMAND as the populate step: COMMAND
// runs with "{}" in its arguments replaced by the staging directory's path and ATOMIC_DIR set to
// it (and, with --cd, inside it), standard input, output and error inherited. Only when COMMAND
// exits 0 is the staging directory swapped in for DIR (every reader sees the whole old tree or
// the whole new one); otherwise it is removed and DIR is untouched. --copy seeds the staging
// directory with DIR's current content first (reflinks where the file system has them);
// --symlink-form uses the symlink form. SIGINT, SIGTERM, SIGHUP and SIGPIPE are forwarded to
// COMMAND, and a signal means no swap. Returns, as atomic-dir(1) says: 0 (swapped), COMMAND's
// failing status, 125 (atomic-dir failed or was misused: DIR is untouched unless the message
// says it was swapped), 126/127 (COMMAND could not be run / was not found), 128+N (signal N).
int run_atomic_dir(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace atomfile::cli
