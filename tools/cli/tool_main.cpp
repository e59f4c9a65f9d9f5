#include "cli/tool_main.hpp"

#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <new>
#include <system_error>

#include "atomfile/error.hpp"
#include "atomfile/replace.hpp"
#include "cli/system.hpp"
#include "cli/tool_error.hpp"

namespace atomfile::cli {

namespace {

bool standard_output_failure_said = false;

int run_work(const ToolInfo& info, const std::function<int(SignalCatcher&)>& work,
             std::ostream& err) {
    try {
        SignalCatcher signals;
        return work(signals);
    } catch (const Error& e) {
        report_error(err, info.name, e);
        return is_replaced(e) ? info.replaced_status : info.failure_status;
    } catch (const std::exception& e) {
        err << info.name << ": " << failure_reason(e) << '\n';
        return info.failure_status;
    }
}

// More than the C++ runtime's reserve for exceptions (about 70 KiB in libstdc++), so that memory
// in which that reserve could not be made cannot give this either; far less than any tool needs.
constexpr std::size_t memory_to_start = 256 * 1024;

bool can_allocate_memory_to_start() {
    void* block = std::malloc(memory_to_start);
    std::free(block);
    return block != nullptr;
}

// Said through C's unbuffered stderr, which needs no memory of its own.
void report_out_of_memory(const char* tool) {
    std::fputs(tool, stderr);
    std::fputs(": out of memory\n", stderr);
}

}  // namespace

int tool_main(const char* tool, int failure_status, int argc, char** argv,
              int (*run)(const std::vector<std::string>& args)) {
    begin_tool_process();
    // Not thrown: without the runtime's reserve, throwing would be the abort avoided here.
    if (!can_allocate_memory_to_start()) {
        report_out_of_memory(tool);
        return failure_status;
    }
    int status = failure_status;
    try {
        const std::vector<std::string> args(argv + 1, argv + argc);
        status = run(args);
    } catch (const std::bad_alloc&) {
        report_out_of_memory(tool);
        return failure_status;
    } catch (const std::exception& e) {  // each tool reports its own; this is the last resort
        std::cerr << tool << ": " << e.what() << '\n';
        return failure_status;
    }
    return finish_standard_output(tool, status, failure_status, std::cout, std::cerr);
}

const char* failure_reason(const std::exception& e) {
    return dynamic_cast<const std::bad_alloc*>(&e) != nullptr ? "out of memory" : e.what();
}

void begin_tool_process() {
    // A descriptor that cannot be reserved stays closed: the tools' own checks of a closed
    // standard input still refuse it, as they did before there was a reservation.
    static_cast<void>(system::reserve_standard_descriptors());
    // A tool that cannot ignore it is killed by it, as before: nothing better to do.
    static_cast<void>(system::ignore_file_size_signal());
    system::keep_signals_caught_until_exit();
}

void add_help_and_version(po::options_description& options) {
    options.add_options()("help,h", "show this help and exit")("version",
                                                               "show the version and exit");
}

ToolAction requested_action(const po::variables_map& values) {
    if (values.count("help") != 0) return ToolAction::help;
    if (values.count("version") != 0) return ToolAction::version;
    return ToolAction::run;
}

int run_tool(const ToolInfo& info, const std::function<ToolAction()>& parse,
             const std::function<int(SignalCatcher&)>& work, std::ostream& out, std::ostream& err) {
    ToolAction action = ToolAction::run;
    try {
        action = parse();
    } catch (const UsageError& e) {
        report_usage_error(err, info.name, e.what());
        return info.usage_status;
    }
    switch (action) {
        case ToolAction::help:
            print_help(out, info.synopsis, info.description, info.options(), info.exit_statuses);
            return exit_status::success;
        case ToolAction::version:
            print_version(out, info.name);
            return exit_status::success;
        case ToolAction::run:
            break;
    }
    return run_work(info, work, err);
}

void standard_output_failure_reported() {
    standard_output_failure_said = true;
}

ATOMFILE_NO_VPTR_CHECK int flush_standard_output(std::ostream& out) {
    errno = 0;
    out.flush();
    const bool failed = !out || std::fflush(stdout) != 0 || std::ferror(stdout) != 0;
    if (!failed) return 0;
    if (errno != 0) return errno;
    // The write failed earlier and its errno is gone; a closed descriptor (reserved) is known.
    return system::is_open_descriptor(STDOUT_FILENO) == 0 ? EBADF : EIO;
}

void report_standard_output_error(std::ostream& err, const char* tool, int error,
                                  const char* consequence) {
    err << tool << ": write error on standard output: " << std::generic_category().message(error)
        << consequence << '\n';
}

ATOMFILE_NO_VPTR_CHECK int finish_standard_output(const char* tool, int status, int failure_status,
                                                  std::ostream& out, std::ostream& err) {
    const int error = flush_standard_output(out);
    if (error == 0) return status;
    if (standard_output_failure_said && status != 0) return status;
    report_standard_output_error(err, tool, error);
    return status != 0 ? status : failure_status;
}

}  // namespace atomfile::cli
