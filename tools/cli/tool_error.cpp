#include "cli/tool_error.hpp"

namespace atomfile::cli {

void report_error(std::ostream& err, const std::string& tool, const Error& e) {
    report_error(err, tool, e.path(), e.step(), e.code().message());
}

void report_error(std::ostream& err, const std::string& tool, const std::string& path,
                  const std::string& step, const std::string& reason) {
    err << tool << ": ";
    if (!path.empty()) err << path << ": ";
    err << step << ": " << reason << '\n';
}

}  // namespace atomfile::cli
