// transaction_writer: the power cut of a transaction (power_cut_transaction.sh).
//   transaction_writer prepare ROOT TAG         the old set, each file holding TAG's content
//   transaction_writer commit ROOT TAG CUT [none]
//       one Transaction: f0..f5 replaced (half in ROOT/sub), new/c created, doomed removed.
//       CUT 0: prints "committed" once commit() has returned. CUT k > 0: at the k-th system
//       call of the commit the file system holding ROOT is shut down without flushing its
//       journal (a power cut, as fs_shutdown does) and the process ends at once (status 3 when
//       the file system refused). The environment's TRANSACTION_CUT_AT names another directory
//       to shut down instead: the ext4 under an overlayfs ROOT.
//   transaction_writer calls ROOT TAG          how many system calls such a commit makes
//   transaction_writer check ROOT OLD NEW      recovers ROOT, then prints "old", "new" or
//                                              "mixed" (naming the files that disagree)
//   transaction_writer inspect ROOT OLD NEW    what a killed or failed commit left, for
//       group_sweep.sh, in four lines: the verdict before recovering; "staging" or "no staging"
//       (whether .atomfile-transaction exists); the verdict after recover(); "left:" and every
//       name below ROOT other than the set's files, its directories and the lock file
// A failure prints the error's step and path on stderr and exits 1.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "atomfile/error.hpp"
#include "atomfile/replace.hpp"
#include "atomfile/transaction.hpp"
#include "platform/fault_seam.hpp"

namespace {

constexpr int files = 6;

std::string name(int i) {
    return (i % 2 == 0 ? "f" : "sub/f") + std::to_string(i);
}

std::string content(const std::string& tag, const std::string& file) {
    std::string text = tag + " " + file + "\n";
    text.resize(4096, '.');
    return text;
}

// What the file holds, or "" when it is missing.
std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// EXT4_IOC_SHUTDOWN and XFS_IOC_GOINGDOWN share number and flag (fs_shutdown.cpp says why).
void power_cut(const std::string& root) {
    const char* cut_at = std::getenv("TRANSACTION_CUT_AT");
    int fd = ::open(cut_at != nullptr ? cut_at : root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    std::uint32_t no_log_flush = 0x2;
    if (fd < 0 || ::ioctl(fd, _IOR('X', 125, std::uint32_t), &no_log_flush) != 0) ::_exit(3);
    ::_exit(0);
}

void commit(const std::string& root, const std::string& tag, bool durable) {
    atomfile::ReplaceOptions options;
    if (!durable) options.durability = atomfile::Durability::none;
    atomfile::Transaction tx(root, options);
    for (int i = 0; i < files; ++i) tx.write(name(i), content(tag, name(i)));
    tx.write("new/c", content(tag, "new/c"));
    tx.remove("doomed");
    tx.commit();
}

int prepare(const std::string& root, const std::string& tag) {
    atomfile::Transaction tx(root);
    for (int i = 0; i < files; ++i) tx.write(name(i), content(tag, name(i)));
    tx.write("doomed", content(tag, "doomed"));
    tx.commit();
    return 0;
}

int verdict(const std::string& root, const std::string& old_tag, const std::string& new_tag) {
    std::vector<std::string> old_files, new_files;
    for (int i = 0; i < files; ++i) {
        const std::string text = read(root + "/" + name(i));
        (text == content(new_tag, name(i)) ? new_files : old_files).push_back(name(i));
        if (text != content(new_tag, name(i)) && text != content(old_tag, name(i)))
            new_files.push_back(name(i) + "(neither)");
    }
    const bool created = read(root + "/new/c") == content(new_tag, "new/c");
    const bool removed = ::access((root + "/doomed").c_str(), F_OK) != 0;
    (created ? new_files : old_files).push_back("new/c");
    (removed ? new_files : old_files).push_back("doomed");
    if (new_files.empty()) return std::printf("old\n") < 0;
    if (old_files.empty()) return std::printf("new\n") < 0;
    std::printf("mixed: new");
    for (const auto& file : new_files) std::printf(" %s", file.c_str());
    std::printf("; old");
    for (const auto& file : old_files) std::printf(" %s", file.c_str());
    std::printf("\n");
    return 1;
}

int check(const std::string& root, const std::string& old_tag, const std::string& new_tag) {
    atomfile::recover(root);
    return verdict(root, old_tag, new_tag);
}

int inspect(const std::string& root, const std::string& old_tag, const std::string& new_tag) {
    verdict(root, old_tag, new_tag);
    const bool staging = ::access((root + "/.atomfile-transaction").c_str(), F_OK) == 0;
    std::printf("%s\n", staging ? "staging" : "no staging");
    std::fflush(stdout);
    atomfile::recover(root);
    verdict(root, old_tag, new_tag);
    std::vector<std::string> expected = {"sub", "new", "new/c", "doomed",
                                         ".atomfile-transaction.lock"};
    for (int i = 0; i < files; ++i) expected.push_back(name(i));
    std::vector<std::string> left;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
        const std::string relative = entry.path().lexically_relative(root).string();
        if (std::find(expected.begin(), expected.end(), relative) == expected.end())
            left.push_back(relative);
    }
    std::sort(left.begin(), left.end());
    std::printf("left:");
    for (const auto& file : left) std::printf(" %s", file.c_str());
    std::printf("\n");
    return 0;
}

int run(const std::vector<std::string>& args) {
    if (args.size() == 3 && args[0] == "prepare") return prepare(args[1], args[2]);
    if (args.size() == 4 && args[0] == "check") return check(args[1], args[2], args[3]);
    if (args.size() == 4 && args[0] == "inspect") return inspect(args[1], args[2], args[3]);
    if (args.size() == 3 && args[0] == "calls") {
        int calls = 0;
        {
            atomfile::platform::FaultScope count([&calls](atomfile::platform::Call) {
                ++calls;
                return 0;
            });
            commit(args[1], args[2], true);
        }
        return std::printf("%d\n", calls) < 0;
    }
    if ((args.size() == 4 || args.size() == 5) && args[0] == "commit") {
        const std::string root = args[1];
        int remaining = std::stoi(args[3]);
        atomfile::platform::FaultScope cut([&](atomfile::platform::Call) {
            if (remaining > 0 && --remaining == 0) power_cut(root);
            return 0;
        });
        commit(root, args[2], args.size() == 4);
        return std::printf("committed\n") < 0;
    }
    std::fprintf(stderr, "usage: see transaction_writer.cpp\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run({argv + 1, argv + argc});
    } catch (const atomfile::Error& e) {
        std::fprintf(stderr, "transaction_writer: step \"%s\", path %s: %s\n", e.step().c_str(),
                     e.path().c_str(), e.errno_code().message().c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "transaction_writer: %s\n", e.what());
        return 1;
    }
}
