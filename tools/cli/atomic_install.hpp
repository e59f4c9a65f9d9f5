// atomic-install: install(1)'s copies, every destination replaced atomically and durably in one
// group commit (atomfile::Batch).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace atomfile::cli {

// Runs atomic-install with args (without the program name):
//   atomic-install [OPTIONS] [-T] SOURCE DEST
//   atomic-install [OPTIONS] SOURCE... DIRECTORY
//   atomic-install [OPTIONS] -t DIRECTORY SOURCE...
//   atomic-install [OPTIONS] -d DIRECTORY...
// Every SOURCE is opened and streamed into a temp beside its destination first; only when all
// of them are staged is the batch committed, so a failure while staging (a missing or
// unreadable SOURCE, a refused destination, a signal) replaces nothing. Each destination
// becomes a new regular file (a symlink DEST is replaced, not followed, as install(1) unlinks
// it) with mode 0755 or -m's, owned by the caller. Returns the exit status documented in
// atomic-install(1): 0, 1 (failed; nothing was replaced), 2 (bad usage), 3 (some or all files
// were replaced but not all, or not durably: err lists which) or 128 + N when signal N arrived
// before the commit (nothing replaced, no temp left).
int run_atomic_install(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace atomfile::cli
