// Shared helpers for atomfile's tests: scratch directories, file inspection, fault injection
// through the platform seam, and running the built tools.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "platform/posix.hpp"

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

// Fails the Nth (1-based) call of kind `call` with `error`; with nth == 0 fails every such call.
// Counts calls of that kind while alive; removes the hook when destroyed.
class ScopedFault {
  public:
    ScopedFault(platform::Call call, int error, int nth = 1);
    ~ScopedFault();
    ScopedFault(const ScopedFault&) = delete;
    ScopedFault& operator=(const ScopedFault&) = delete;
    // How many calls of the kind were seen (failed or not).
    int calls_seen() const { return seen_; }
    bool fired() const { return fired_; }

  private:
    static int hook(platform::Call call, void* self);
    platform::Call call_;
    int error_;
    int nth_;
    int seen_ = 0;
    bool fired_ = false;
};

// Counts every call through the seam without failing any.
class CallRecorder {
  public:
    CallRecorder();
    ~CallRecorder();
    CallRecorder(const CallRecorder&) = delete;
    CallRecorder& operator=(const CallRecorder&) = delete;
    const std::vector<platform::Call>& calls() const { return calls_; }
    int count(platform::Call call) const;

  private:
    static int hook(platform::Call call, void* self);
    std::vector<platform::Call> calls_;
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
