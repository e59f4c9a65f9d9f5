#include "cli/tool_error.hpp"

#include <cerrno>

#include "cli/system.hpp"

namespace atomfile::cli {

namespace {

const char* kind_words(system::FileKind kind) {
    switch (kind) {
        case system::FileKind::regular:
            return "a regular file";
        case system::FileKind::directory:
            return "a directory";
        case system::FileKind::symlink:
            return "a symbolic link";
        case system::FileKind::character_device:
            return "a character device";
        case system::FileKind::block_device:
            return "a block device";
        case system::FileKind::fifo:
            return "a FIFO";
        case system::FileKind::socket:
            return "a socket";
    }
    return "not a regular file";
}

// The reason of an error whose errno alone would mislead ("Too many links" for a refusal).
std::string reason_of(const Error& e) {
    if (e.step_id() == Step::owner && e.code() == std::errc::operation_not_permitted)
        return "not permitted to keep its owner, and --keep-owner=strict refuses to change it "
               "(the file is unchanged)";
    if (e.step_id() == Step::hard_links && e.code() == std::errc::too_many_links)
        return "refused by --refuse-hard-links (its other names would keep the old content; the "
               "file is unchanged)";
    if (e.step_id() == Step::expect && e.code() == std::errc::device_or_resource_busy)
        return "its content is not the one expected (changed by someone else, or missing); "
               "nothing was committed";
    if (e.step_id() == Step::resolve && !e.second_path().empty())
        return e.code().message() + " (" + e.second_path() + ")";
    return e.code().message();
}

// A lock timeout or self-deadlock: the step already says what happened, with the lock's path,
// owner and holder; strerror would only add "Connection timed out".
bool step_says_it_all(const Error& e) {
    return e.code() == std::errc::timed_out || e.code() == std::errc::resource_deadlock_would_occur;
}

}  // namespace

void throw_errno(const std::string& step, const std::string& path) {
    throw_error(errno, step, path);
}

void throw_error(int errno_value, const std::string& step, const std::string& path) {
    throw Error(std::error_code(errno_value != 0 ? errno_value : EIO, std::generic_category()),
                step, path);
}

void report_error(std::ostream& err, const std::string& tool, const Error& e) {
    if (e.step_id() == Step::not_regular && !e.path().empty()) {
        err << tool << ": " << not_regular_message(e.path()) << '\n';
        return;
    }
    if (step_says_it_all(e)) {
        err << tool << ": " << e.path() << ": " << e.step() << '\n';
        return;
    }
    report_error(err, tool, e.path(), e.step(), reason_of(e));
}

void report_error(std::ostream& err, const std::string& tool, const std::string& path,
                  const std::string& step, const std::string& reason) {
    err << tool << ": ";
    if (!path.empty()) err << path << ": ";
    err << step << ": " << reason << '\n';
}

std::string not_regular_message(const std::string& path) {
    // /dev/stdout with standard output closed leads to the tool's placeholder: the hint to
    // write to it with '>' would send the user to a descriptor that does not exist.
    if (system::names_closed_standard_descriptor(path.c_str()) == 1)
        return path + ": " + system::reading_step("open");
    const std::string only = "only regular files can be replaced atomically";
    system::FileKind kind = system::FileKind::regular;
    if (system::file_kind_at(path.c_str(), true, kind) != 0 ||
        kind == system::FileKind::regular)  // replaced since the refusal: say what we knew
        return path + ": not a regular file: " + only;
    if (kind == system::FileKind::directory) return path + ": is a directory: " + only;
    return path + ": not a regular file (" + kind_words(kind) + "): " + only +
           "; to write to it, use '> " + path + "'";
}

std::function<void(const OwnerNotKept&)> owner_warning(std::ostream& err, const std::string& tool) {
    return [&err, tool](const OwnerNotKept& report) {
        err << tool << ": " << report.path << ": warning: ";
        if (!report.owner_kept && !report.group_kept)
            err << "owner and group " << report.old_uid << ':' << report.old_gid
                << " not kept: the new file belongs to " << report.new_uid << ':' << report.new_gid;
        else if (!report.owner_kept)
            err << "owner " << report.old_uid << " not kept: the new file belongs to "
                << report.new_uid;
        else
            err << "group " << report.old_gid << " not kept: the new file has group "
                << report.new_gid;
        err << " (--keep-owner=strict refuses instead)\n";
    };
}

std::function<void(const Error&, const std::string&)> in_place_notice(std::ostream& err,
                                                                      const std::string& tool) {
    return [&err, tool](const Error& refused, const std::string& record) {
        err << tool << ": " << refused.path() << ": cannot be replaced by a rename ("
            << refused.errno_code().message() << "); overwriting it in place, undo record "
            << record << "\n";
    };
}

}  // namespace atomfile::cli
