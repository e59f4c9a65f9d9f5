// tempdir_race SCRATCH ITERATIONS: TemporaryDirectory cleanup racing a directory-to-symlink swap.
//
// Each iteration makes a TemporaryDirectory holding a subdirectory "victim" (with files a, b,
// c and a nested directory) and a symlink "swap" pointing at an outside directory that holds
// files of the same names. While cleanup() walks the tree, an attacker thread keeps exchanging
// "victim" and "swap" with renameat2(RENAME_EXCHANGE), so at any instant "victim" may be a
// symlink to the outside. A cleanup that followed it would delete or chmod outside files.
//
// After every iteration: the temp directory is gone, and every outside file still exists with
// its content and mode. Prints "tempdir race: N iterations, S swaps, outside untouched" or the
// first violation (exit 1).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomfile/temporary_directory.hpp>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

namespace {

const char* const outside_files[] = {"a", "b", "c", "nested/d"};

void put(const std::string& path, const std::string& content) {
    std::ofstream(path) << content;
}

bool outside_intact(const std::string& outside, std::string& why) {
    for (const char* name : outside_files) {
        std::string path = outside + "/" + name;
        struct stat st;
        if (::lstat(path.c_str(), &st) != 0) return why = path + " was removed", false;
        if ((st.st_mode & 07777) != 0444) return why = path + " had its mode changed", false;
        if (::lstat((outside + "/nested").c_str(), &st) != 0 || (st.st_mode & 07777) != 0555)
            return why = outside + "/nested was removed or chmodded", false;
        std::ifstream in(path);
        std::string content;
        std::getline(in, content);
        if (content != "outside") return why = path + " was changed", false;
    }
    return true;
}

// Swaps "victim" and "swap" in the aimed directory as fast as it can. The descriptor is
// handed over through atomics: hold() waits until the attacker is not using the old one.
class Attacker {
  public:
    void aim(const std::string& directory) {
        dir_fd_ = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    void hold() {
        int fd = dir_fd_.exchange(-1);
        while (busy_) std::this_thread::yield();
        if (fd >= 0) ::close(fd);
    }
    void stop() { running_ = false; }
    long swaps() const { return swaps_; }

    void run() {
        while (running_) {
            busy_ = true;
            int fd = dir_fd_;
            if (fd >= 0 && ::syscall(SYS_renameat2, fd, "victim", fd, "swap", rename_exchange) == 0)
                ++swaps_;
            busy_ = false;
            if (fd < 0) std::this_thread::yield();
        }
    }

  private:
    static constexpr unsigned rename_exchange = 2;  // RENAME_EXCHANGE from <linux/fs.h>
    std::atomic<int> dir_fd_{-1};
    std::atomic<bool> busy_{false};
    std::atomic<bool> running_{true};
    std::atomic<long> swaps_{0};
};

void populate(const std::string& root, const std::string& outside) {
    std::string victim = root + "/victim";
    ::mkdir(victim.c_str(), 0700);
    ::mkdir((victim + "/nested").c_str(), 0500);  // read-only: cleanup must repair it
    for (const char* name : {"a", "b", "c"}) put(victim + "/" + name, "inside");
    if (::symlink(outside.c_str(), (root + "/swap").c_str()) != 0) std::perror("symlink");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: tempdir_race SCRATCH ITERATIONS\n";
        return 2;
    }
    std::string scratch = argv[1];
    long iterations = std::stol(argv[2]);
    std::string outside = scratch + "/outside";
    ::mkdir(outside.c_str(), 0755);
    ::mkdir((outside + "/nested").c_str(), 0755);
    for (const char* name : outside_files) {
        put(outside + "/" + name, "outside\n");
        ::chmod((outside + "/" + name).c_str(), 0444);
    }
    ::chmod((outside + "/nested").c_str(), 0555);

    Attacker attacker;
    std::thread thread(&Attacker::run, &attacker);
    std::string why;
    long done = 0;
    long disturbed = 0;
    for (; done < iterations; ++done) {
        atomfile::TemporaryDirectoryOptions options;
        options.dir = scratch;
        options.ignore_cleanup_errors = true;  // a swapped tree may refuse some removals
        atomfile::TemporaryDirectory directory(options);
        populate(directory.path(), outside);
        attacker.aim(directory.path());
        directory.cleanup();
        attacker.hold();
        struct stat st;
        if (::lstat(directory.path().c_str(), &st) == 0) {
            // The attacker kept moving entries while cleanup ran; without it, cleanup must finish.
            ++disturbed;
            directory.cleanup();
            if (::lstat(directory.path().c_str(), &st) == 0) {
                why = directory.path() + " survived a cleanup with no attacker";
                break;
            }
        }
        if (!outside_intact(outside, why)) break;
    }
    attacker.stop();
    thread.join();
    if (done < iterations) {
        std::cout << "tempdir race: FAIL after " << done << " iterations: " << why << '\n';
        return 1;
    }
    std::cout << "tempdir race: " << done << " iterations, " << attacker.swaps()
              << " swaps during cleanup, " << disturbed
              << " cleanups finished only after the attack stopped, outside untouched: PASS\n";
    return 0;
}
