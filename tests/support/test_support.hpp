// Shared helpers for atomfile's tests: scratch directories, file inspection, fault injection
// through the platform seam, and running the built tools.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "platform/linux.hpp"

namespace atomfile::test {

namespace fs = std::filesystem;

// A fresh directory removed (with everything in it) when the test ends.
class ScratchDir {
  public:
    ScratchDir();
    ~ScratchDir();
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const fs::path& path() const { return path_; }
    fs::path operator/(const std::string& name) const { return path_ / name; }

  private:
    fs::path path_;
};

std::string read_file(const fs::path& path);
void write_file(const fs::path& path, const std::string& content);
// Sorted names in a directory (no "." or "..").
std::vector<std::string> list_dir(const fs::path& path);
// Permission bits (07777) of a path, not following a final symlink when follow is false.
unsigned file_mode(const fs::path& path, bool follow = true);

// Fails chosen calls through the platform seam while alive: each rule fails the nth (1-based)
// call of its kind with its error, or every such call when nth is 0. Plans stack, so a
// ScopedFault can sit on a CallRecorder or another ScopedFault.
class ScopedFault {
  public:
    struct Rule {
        platform::Call call;
        int error;
        int nth = 1;
    };
    ScopedFault(platform::Call call, int error, int nth = 1);
    explicit ScopedFault(std::vector<Rule> rules);
    ScopedFault(const ScopedFault&) = delete;
    ScopedFault& operator=(const ScopedFault&) = delete;
    // How many calls of the first rule's kind were seen (failed or not).
    int calls_seen() const { return seen_.front(); }
    bool fired() const { return fired_; }

  private:
    int decide(platform::Call call);
    std::vector<Rule> rules_;
    std::vector<int> seen_;
    bool fired_ = false;
    platform::FaultScope scope_;  // last: installed once the rules are in place
};

// Records every call through the seam without failing any.
class CallRecorder {
  public:
    CallRecorder();
    CallRecorder(const CallRecorder&) = delete;
    CallRecorder& operator=(const CallRecorder&) = delete;
    const std::vector<platform::Call>& calls() const { return calls_; }
    int count(platform::Call call) const;

  private:
    std::vector<platform::Call> calls_;
    platform::FaultScope scope_;
};

struct CommandResult {
    int exit_status = -1;  // shell convention: 128+N for a signal
    std::string out;
    std::string err;
};
// Runs argv (argv[0] a path or a name in PATH) with the given standard input, capturing output.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = {},
                          const std::vector<std::string>& extra_env = {});
// The path of a built tool, e.g. tool_path("atomic-write").
std::string tool_path(const std::string& name);

bool running_as_root();

// Waits for every child; returns how many did not exit with status 0.
int count_failed_children(const std::vector<pid_t>& children);

}  // namespace atomfile::test
