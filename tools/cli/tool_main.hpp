// The run_* skeleton atomic-write, atomic-edit and with-tempdir share: parse the arguments,
// answer --help and --version, then do the work with signals caught, turning every failure into
// a message on stderr and an exit status.
#pragma once

#include <functional>
#include <ostream>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cli/signal_catcher.hpp"
#include "cli/tool_error.hpp"
#include "cli/tool_options.hpp"

namespace atomfile::cli {

// What the arguments ask for.
enum class ToolAction { run, help, version };

// A tool's texts and the statuses it gives for failures the driver catches.
struct ToolInfo {
    const char* name;
    const char* synopsis;     // the usage line of --help
    const char* description;  // the paragraph under it
    po::options_description (*options)();
    int usage_status;     // bad usage
    int failure_status;   // the work threw
    int replaced_status;  // the work threw after FILE was replaced (see is_replaced)
    // The "Exit status:" section of --help, one "  N  meaning" line each, as the man page says.
    const char* exit_statuses = "";
};

// UBSan's vptr check probes memory through a pipe (sanitizer_common's accessibility test); the
// fault matrix fails pipe2 on purpose, and the probe then reports std::cout or a string stream as
// not an object. The two functions below touch streams after the commit, where the matrix
// injects, so the check is off for them alone (ASan and the rest of UBSan stay on).
#if defined(__clang__) || defined(__GNUC__)
#define ATOMFILE_NO_VPTR_CHECK __attribute__((no_sanitize("vptr")))
#else
#define ATOMFILE_NO_VPTR_CHECK
#endif

// What a tool's main calls first, before anything is opened: each of the standard descriptors
// 0, 1, 2 that the tool was started without is reserved (system::reserve_standard_descriptors),
// so that no file opened later becomes "standard error" and takes the tool's messages, and
// signals caught stay caught until exit (system::keep_signals_caught_until_exit), and SIGXFSZ
// is ignored so that a write past `ulimit -f` fails with EFBIG (system::ignore_file_size_signal).
void begin_tool_process();

// A tool's whole main: begin_tool_process(), then run(the arguments after the program's name),
// then finish_standard_output(). Memory too short for the tool to start (a tight `ulimit -v`)
// ends it before anything is opened with "TOOL: out of memory" and failure_status, not with the
// C++ runtime's abort (status 134): the arguments' copy may fail, and under a limit that tight
// the runtime may have had no room for the reserve it throws std::bad_alloc from, so that a
// first failed allocation could not even be reported; a tool that cannot allocate a small block
// (memory_to_start) says so before trying. Any other exception that escapes run is said as
// "TOOL: what()", with failure_status.
int tool_main(const char* tool, int failure_status, int argc, char** argv,
              int (*run)(const std::vector<std::string>& args));

// e.what(), or "out of memory" for a std::bad_alloc (whose what() names the class).
const char* failure_reason(const std::exception& e);

// Whether a tool's Request carries UpdateSettings (atomic-write, atomic-edit).
template <typename Request, typename = void>
struct has_update_settings : std::false_type {};
template <typename Request>
struct has_update_settings<Request,
                           std::void_t<decltype(std::declval<Request&>().settings.replace)>>
    : std::true_type {};

// Adds -h/--help and --version.
void add_help_and_version(po::options_description& options);
// help when --help was given, else version when --version was, else run.
ToolAction requested_action(const po::variables_map& values);

// Calls parse (which throws UsageError on bad usage); for ToolAction::run calls work with a live
// SignalCatcher and returns its status. Reports every failure on err as "TOOL: ...".
int run_tool(const ToolInfo& info, const std::function<ToolAction()>& parse,
             const std::function<int(SignalCatcher&)>& work, std::ostream& out, std::ostream& err);

// The same for a tool whose parse_request(args) returns a Request with an `action`: the parsed
// request is handed to work(request, signals). A request with UpdateSettings gets the warning
// that the owner of FILE was not kept, written to err.
template <typename Request, typename Work>
ATOMFILE_NO_VPTR_CHECK int run_tool(const ToolInfo& info,
                                    Request (*parse_request)(const std::vector<std::string>&),
                                    const std::vector<std::string>& args, Work work,
                                    std::ostream& out, std::ostream& err) {
    Request request;
    // The warning comes during the commit, before the rename: held back until FILE has really
    // been replaced, so a refusal later in the commit is not preceded by it.
    std::ostringstream owner_warnings;
    auto parse = [&] {
        request = parse_request(args);
        if constexpr (has_update_settings<Request>::value) {
            request.settings.replace.on_owner_not_kept = owner_warning(owner_warnings, info.name);
            // Said at once: the user must know that readers may see a partial FILE now.
            request.settings.replace.on_in_place_fallback = in_place_notice(err, info.name);
        }
        return request.action;
    };
    auto run = [&](SignalCatcher& signals) { return work(request, signals); };
    int status = run_tool(info, parse, run, out, err);
    const bool replaced = status == 0 || (status == info.replaced_status &&
                                          info.replaced_status != info.failure_status);
    if (replaced) err << owner_warnings.str();
    return status;
}

// What a main returns: status, unless standard output (out, and C's stdout behind it) could not
// be written — a full disk, a closed descriptor — which a pipeline would otherwise take for
// success with truncated output. Then says "TOOL: write error on standard output: REASON" and
// returns failure_status (or status, when that already reports a failure).
// A tool that has itself said why its report could not be written (and what was done) calls
// this, so that finish_standard_output() does not add a second, vaguer message.
void standard_output_failure_reported();
// Flushes out and C's stdout behind it: 0, or the errno of the failed write (EIO when none was
// left), for a tool that must know its output was written before it commits.
ATOMFILE_NO_VPTR_CHECK int flush_standard_output(std::ostream& out);
// "TOOL: write error on standard output: REASON" and what follows, then a line break.
void report_standard_output_error(std::ostream& err, const char* tool, int error,
                                  const char* consequence = "");
ATOMFILE_NO_VPTR_CHECK int finish_standard_output(const char* tool, int status, int failure_status,
                                                  std::ostream& out, std::ostream& err);

}  // namespace atomfile::cli
