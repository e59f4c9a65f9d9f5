// with-tempdir: run COMMAND with a fresh private directory as $TMPDIR, then remove it.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace atomfile::cli {

// Runs with-tempdir with args (without the program name). COMMAND inherits standard input,
// output and error, gets TMPDIR set to the new directory (mode 0700) and "{}" in its arguments
// replaced by the directory's path. The directory is removed however COMMAND ends (without
// following symlinks inside it, read-only subdirectories included), unless --keep. SIGINT,
// SIGTERM, SIGHUP and SIGPIPE are forwarded to COMMAND. Returns COMMAND's status; 125 when
// with-tempdir itself fails or is misused (or the directory could not be removed after COMMAND
// succeeded); 127 when COMMAND cannot be run.
int run_with_tempdir(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace atomfile::cli
