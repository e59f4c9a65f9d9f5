// atomic-ln: ln -sfn without the moment where LINK is missing.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace atomfile::cli {

// Runs atomic-ln with args (without the program name): atomic-ln [OPTIONS] TARGET LINK.
// atomfile::replace_symlink (atomfile/swap.hpp): LINK becomes a symlink to TARGET in one
// rename, and LINK's directory is synced. A LINK that is a directory or a file is refused
// unless --replace-other. Returns, as atomic-ln(1) says: 0, 1 (failed; LINK is untouched),
// 2 (bad usage), 3 (LINK was replaced but the directory sync, or removing a replaced
// directory's tree, failed).
int run_atomic_ln(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace atomfile::cli
