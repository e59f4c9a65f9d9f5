// How every tool reports a failure on stderr: "TOOL: PATH: what failed: reason".
#pragma once

#include <ostream>
#include <string>

#include "atomfile/error.hpp"

namespace atomfile::cli {

// Prints e as "tool: PATH: STEP: REASON" (PATH omitted when the error names none).
void report_error(std::ostream& err, const std::string& tool, const Error& e);
// Prints "tool: PATH: STEP: REASON" from parts.
void report_error(std::ostream& err, const std::string& tool, const std::string& path,
                  const std::string& step, const std::string& reason);

}  // namespace atomfile::cli
