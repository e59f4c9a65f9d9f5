// json-edit: the command, as a function the tests call directly (see json-edit(1)).
//
//   json-edit [OPTIONS] FILE OP [OP...]
//
// Options come before FILE; everything after FILE is operations and their arguments. The
// operations apply in order to one document; if any fails nothing is written. The file is read
// and replaced through AtomicFile with the update lock held from the read to the commit, so
// concurrent runs never lose each other's edits, and it is not written at all when the result
// equals the input.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace atomfile::json {

namespace exit_code {
inline constexpr int success = 0;
inline constexpr int operation_failed = 1;  // test false, path missing, wrong type, duplicate key
inline constexpr int usage = 2;
inline constexpr int invalid_json = 3;  // FILE or a JSON argument; the message gives line:column
inline constexpr int io_error = 4;      // FILE untouched
inline constexpr int replaced_not_durable = 5;  // FILE replaced; the directory sync after it failed
}  // namespace exit_code

// args excludes the program name. in is read for FILE "-" and "@-" arguments.
int run_json_edit(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                  std::ostream& err);

}  // namespace atomfile::json
