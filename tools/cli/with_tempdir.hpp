// with-tempdir: run COMMAND with a fresh private directory as $TMPDIR, then remove it.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace atomfile::cli {

// Runs with-tempdir with args (without the program name). COMMAND inherits standard input,
// output and error as they are (so reopening /dev/stdout reaches the caller's), gets TMPDIR,
// TMP and TEMP set to the new directory (mode 0700) and "{}" in its arguments replaced by the
// directory's path. The directory is removed however COMMAND ends (without following symlinks
// inside it, read-only subdirectories included), unless --keep; a file system mounted inside it
// is never entered nor unmounted: it is skipped, named on err, and the directory kept. SIGINT,
// SIGTERM, SIGHUP and SIGPIPE are forwarded to COMMAND. Returns COMMAND's status; 125 when
// with-tempdir itself fails or is misused, or when COMMAND succeeded but the directory could not
// be removed entirely (a mount left inside included); 126 when COMMAND was found but could not
// be executed; 127 when it was not found.
int run_with_tempdir(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace atomfile::cli
