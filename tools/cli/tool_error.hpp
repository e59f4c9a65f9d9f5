// How every tool reports a failure on stderr: "TOOL: PATH: what failed: reason", and the
// failures and warnings it words for the user.
#pragma once

#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>

#include "atomfile/error.hpp"
#include "atomfile/replace.hpp"

namespace atomfile::cli {

// A failure the tool words itself, with no step or errno (say, "standard input is closed").
// run_tool prints "TOOL: what()" and exits with the tool's failure status.
class ToolFailure : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Throw Error for a step of the tool's own, in words ("create pipe for command output"), with
// the current errno or with errno_value (0 counts as EIO).
[[noreturn]] void throw_errno(const std::string& step, const std::string& path);
[[noreturn]] void throw_error(int errno_value, const std::string& step, const std::string& path);

// Prints e as "tool: PATH: STEP: REASON" (PATH omitted when the error names none). Three refusals
// get their reason spelled out: a target that is not a regular file (see not_regular_message),
// an owner that --keep-owner=strict would not change, and hard links --refuse-hard-links keeps.
void report_error(std::ostream& err, const std::string& tool, const Error& e);
// Prints "tool: PATH: STEP: REASON" from parts.
void report_error(std::ostream& err, const std::string& tool, const std::string& path,
                  const std::string& step, const std::string& reason);

// "PATH: not a regular file (a character device): only regular files can be replaced
// atomically; to write to it, use '> PATH'" (for a directory: "PATH: is a directory: ...").
// The kind comes from stat(2) of path, following symlinks; it is left out when stat fails.
std::string not_regular_message(const std::string& path);

// The ReplaceOptions::on_owner_not_kept callback of a tool: writes
// "TOOL: PATH: warning: owner 0 and group 0 not kept: the new file belongs to 65534:65534
// (--keep-owner=strict refuses instead)" on err, which must outlive the callback.
std::function<void(const OwnerNotKept&)> owner_warning(std::ostream& err, const std::string& tool);
// The notice that ReplaceOptions::in_place_fallback has chosen to overwrite FILE in place:
// "TOOL: FILE: cannot be renamed over (REASON); overwriting it in place, undo record RECORD".
std::function<void(const Error&, const std::string&)> in_place_notice(std::ostream& err,
                                                                      const std::string& tool);

}  // namespace atomfile::cli
