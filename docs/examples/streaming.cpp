// Guide, "Streaming into a file": a log rotated into a new directory, fed from a descriptor in
// constant memory, appended to the old content, and stoppable from outside.
#include <atomfile/atomfile.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

namespace fs = std::filesystem;

std::atomic<bool> shutting_down{false};  // set by a signal handler or another thread

// Appends everything `input` yields to `path`, atomically: the file holds the old content, or
// the old content followed by all of the input, never a part.
std::uint64_t append_all(const fs::path& path, int input) {
    atomfile::create_parent_directories(path);  // each new directory synced into its parent
    auto options = atomfile::ReplaceOptions()
                       .with_lock(true)  // appenders in other processes wait their turn
                       .with_lock_timeout(std::chrono::seconds(10))
                       .with_cancel_lock_wait([] { return shutting_down.load(); });
    atomfile::AtomicFile file(path, options);
    auto stop = [] { return shutting_down.load(); };
    file.write_original(stop);  // through the descriptor the lock protects, not the path
    const std::uint64_t added = file.write_from(input, stop);
    if (shutting_down) return 0;  // the destructor discards the temp: the file is unchanged
    file.commit();
    return added;
}

int main() {
    fs::remove_all("logs");  // a fresh start on every run
    const fs::path log = fs::path("logs") / "2026" / "app.log";
    std::ofstream("chunk.txt") << "started\n";
    int input = ::open("chunk.txt", O_RDONLY);
    append_all(log, input);
    ::close(input);

    std::ofstream("chunk.txt") << "stopped\n";
    input = ::open("chunk.txt", O_RDONLY);
    const std::uint64_t added = append_all(log, input);
    ::close(input);

    std::ifstream in(log);
    const std::string content(std::istreambuf_iterator<char>(in), {});
    std::cout << content << "(" << added << " bytes added last)\n";
    return content == "started\nstopped\n" && added == 8 ? 0 : 1;
}
