// atomic-recover: finishes or undoes what an interrupted atomfile update left.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace atomfile::cli {

// Runs atomic-recover with args (without the program name):
//   atomic-recover [OPTIONS] ROOT      a transaction root (atomfile::recover)
//   atomic-recover [--undo-dir DIR] FILE   a file an in-place overwrite left with an undo
//                                          record (atomfile::recover_in_place)
// Prints what was done ("ROOT: rolled forward", "rolled back", "FILE: old content restored
// from the undo record", "nothing to recover").
// Returns the exit status documented in atomic-recover(1): 0 done (or nothing to do),
// 1 failed or refused (nothing was touched by a refusal), 2 bad usage, 3 done but the report
// could not be written on out (what was done is then said on err).
int run_atomic_recover(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace atomfile::cli
