#include "cli/atomic_write.hpp"

#include "atomfile/error.hpp"
#include "atomfile/replace.hpp"
#include "cli/open_target.hpp"
#include "cli/signal_catcher.hpp"
#include "cli/stream_copy.hpp"
#include "cli/tool_error.hpp"
#include "cli/tool_options.hpp"

namespace atomfile::cli {

namespace {

constexpr const char* tool = "atomic-write";

struct Request {
    std::string file;
    UpdateSettings settings;
    bool help = false;
    bool version = false;
};

po::options_description option_descriptions() {
    po::options_description options("Options");
    add_update_options(options, true);
    options.add_options()("help,h", "show this help and exit")("version",
                                                               "show the version and exit");
    return options;
}

Request parse_request(const std::vector<std::string>& args) {
    auto values = parse_arguments(args, option_descriptions());
    Request request;
    request.help = values.count("help") != 0;
    request.version = values.count("version") != 0;
    if (request.help || request.version) return request;
    auto files = operands(values);
    if (files.size() != 1)
        throw UsageError(files.empty() ? "missing FILE operand" : "expected exactly one FILE");
    request.file = files.front();
    request.settings = update_settings(values);
    return request;
}

// Streams the input into the temp and commits it unless a signal arrived or the input was empty
// under --keep-if-empty. Returns the exit status.
int update(const Request& request, int in_fd, const SignalCatcher& signals) {
    const UpdateSettings& settings = request.settings;
    if (settings.parents) create_parent_directories(request.file);
    std::optional<AtomicFile> opened = open_target(request.file, settings.replace, signals);
    if (!opened) return exit_status::signal_base + signals.caught();
    AtomicFile& file = *opened;
    if (settings.append) copy_original_content(file, signals);
    std::uint64_t moved = 0;
    if (signals.caught() == 0)
        moved = copy_stream(in_fd, file, "copy standard input into temp file");
    if (signals.caught() != 0) return exit_status::signal_base + signals.caught();
    if (settings.keep_if_empty && moved == 0) return exit_status::success;
    file.commit();
    return exit_status::success;
}

}  // namespace

int run_atomic_write(const std::vector<std::string>& args, int in_fd, std::ostream& out,
                     std::ostream& err) {
    Request request;
    try {
        request = parse_request(args);
    } catch (const UsageError& e) {
        report_usage_error(err, tool, e.what());
        return exit_status::usage;
    }
    if (request.help) {
        print_help(out, "atomic-write [OPTIONS] FILE",
                   "Read standard input to its end, then atomically replace FILE with it.",
                   option_descriptions());
        return exit_status::success;
    }
    if (request.version) {
        print_version(out, tool);
        return exit_status::success;
    }
    try {
        SignalCatcher signals;
        return update(request, in_fd, signals);
    } catch (const Error& e) {
        report_error(err, tool, e);
        return is_replaced(e) ? exit_status::replaced_with_error : exit_status::failure;
    } catch (const std::exception& e) {
        err << tool << ": " << e.what() << '\n';
        return exit_status::failure;
    }
}

}  // namespace atomfile::cli
