// Benchmark: a whole 1,000-file tree made durable and swapped in, against the group commit of
// the same files, in the same run.
//   D  replace_directory (atomfile/swap.hpp): populate writes the files into the staging
//      directory, then the tree's barrier of concurrent fsyncs, the exchange, the parent's fsync
//      and the removal of the old tree
//   B  a Batch (atomfile/batch.hpp) of the same files into a fresh directory, committed, plus
//      one rename of that directory into place: the goal is D <= 1.2 B
//   F  the floor: the same files written into a fresh directory and one rename, no sync at all
//   N  replace_directory with Durability::none: D's system calls without the syncs, so N - F
//      is what the swap itself costs (names, locks, the walk, removing the old tree)
// Every file is 4 KiB; methods run in rounds whose order rotates, the file system synced
// (untimed) between two of them, and no method frees an inode (keep_old_versions). The summary
// gives the median and the best round of each. Output: CSV rows
// "replace_directory,METHOD,FILES,ROUND,seconds,SECONDS" on stdout (bench/report.py reads them,
// as scripts/bench.sh runs it); a summary on stderr.
//
// Usage: bench_replace_directory [--dir DIR] [--rounds 5] [--files 1000]
// DIR must be on a real disk (not tmpfs), or the syncs cost nothing; default ".".
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "atomfile/batch.hpp"
#include "atomfile/swap.hpp"
#include "bench_files.hpp"

namespace {

using atomfile::bench::allow_descriptors;
using atomfile::bench::sync_all;

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
constexpr std::size_t file_size = 4096;

struct Settings {
    std::string dir = ".";
    int rounds = 5;
    int files = 1000;
};

Settings parse(int argc, char** argv) {
    Settings settings;
    if (argc % 2 == 0) throw std::runtime_error("every option takes a value");
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i], value = argv[i + 1];
        if (flag == "--dir")
            settings.dir = value;
        else if (flag == "--rounds")
            settings.rounds = std::stoi(value);
        else if (flag == "--files")
            settings.files = std::stoi(value);
        else
            throw std::runtime_error("unknown option " + flag);
    }
    return settings;
}

void write_plain(const std::string& path, const std::string& data) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || ::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size()))
        throw std::runtime_error("write " + path);
    ::close(fd);
}

void fill(const std::string& dir, int files, const std::string& data) {
    for (int i = 0; i < files; ++i) write_plain(dir + "/f" + std::to_string(i), data);
}

// Where each method works: the tree it replaces (D, N), and a fresh directory moved into a
// name of its own (B, F), so that no method inherits another's tree.
struct Place {
    fs::path root;
    int files;
    int round;
    const char* method;
    std::string fresh() const {
        return (root / (std::string("fresh-") + method + std::to_string(round))).string();
    }
    std::string published() const {
        return (root / (std::string("published-") + method + std::to_string(round))).string();
    }
};

using Method = std::function<void(const Place&, const std::string&)>;

void swap_tree(const Place& place, const std::string& data, atomfile::Durability durability) {
    atomfile::DirectorySwapOptions options;
    options.durability = durability;
    atomfile::replace_directory(
        place.root / "site", [&](const std::string& staging) { fill(staging, place.files, data); },
        options);
}

const std::vector<std::pair<const char*, Method>>& methods() {
    static const std::vector<std::pair<const char*, Method>> all{
        {"D", [](const Place& place,
                 const std::string& data) { swap_tree(place, data, atomfile::Durability::full); }},
        {"B",
         [](const Place& place, const std::string& data) {
             fs::create_directory(place.fresh());
             atomfile::Batch batch;
             for (int i = 0; i < place.files; ++i)
                 batch.write(place.fresh() + "/f" + std::to_string(i), data);
             batch.commit();
             fs::rename(place.fresh(), place.published());
         }},
        {"F",
         [](const Place& place, const std::string& data) {
             fs::create_directory(place.fresh());
             fill(place.fresh(), place.files, data);
             fs::rename(place.fresh(), place.published());
         }},
        {"N", [](const Place& place,
                 const std::string& data) { swap_tree(place, data, atomfile::Durability::none); }},
    };
    return all;
}

// Gives every file of the tree a second name under keep, so that removing the old tree frees
// no inode: ext4 skips recently freed inodes when it allocates (bench_batch.cpp says more), so a
// method that freed thousands would slow every later creation, by whichever method, and D and
// N (which remove a tree) would measure the allocator more than the swap.
void keep_old_versions(const fs::path& site, const fs::path& keep) {
    fs::create_directories(keep);
    for (const auto& entry : fs::directory_iterator(site))
        fs::create_hard_link(entry.path(), keep / entry.path().filename());
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

void report(const char* what, const std::vector<double>& m, int files) {
    const double d = m[0], b = m[1], f = m[2], n = m[3];
    std::fprintf(stderr,
                 "%-7s N=%d  D %7.1f ms  B %7.1f ms  F %7.1f ms  N %7.1f ms  D/B %.2f %s  "
                 "D/F %.2f  N/F %.2f\n",
                 what, files, d * 1e3, b * 1e3, f * 1e3, n * 1e3, d / b,
                 d / b <= 1.2 ? "(goal <= 1.2 met)" : "(goal <= 1.2 NOT met)", d / f, n / f);
}

}  // namespace

int main(int argc, char** argv) try {
    const Settings settings = parse(argc, argv);
    allow_descriptors(static_cast<std::size_t>(settings.files));
    std::string pattern = (fs::path(settings.dir) / "bench-swap-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("mkdtemp in " + settings.dir);
    const fs::path root = pattern;
    const auto& all = methods();
    fs::create_directory(root / "site");
    fill((root / "site").string(), settings.files, std::string(file_size, 'o'));

    std::vector<std::vector<double>> seconds(all.size());
    for (int round = 0; round < settings.rounds; ++round) {
        for (std::size_t k = 0; k < all.size(); ++k) {
            const std::size_t m = (k + static_cast<std::size_t>(round)) % all.size();
            const std::string data(file_size, static_cast<char>('a' + (round * 4 + m) % 26));
            keep_old_versions(root / "site",
                              root / "keep" / (std::to_string(round) + all[m].first));
            sync_all(settings.dir);
            const Place place{root, settings.files, round, all[m].first};
            const auto start = Clock::now();
            all[m].second(place, data);
            const std::chrono::duration<double> took = Clock::now() - start;
            seconds[m].push_back(took.count());
            std::printf("replace_directory,%s,%d,%d,seconds,%.6f\n", all[m].first, settings.files,
                        round, took.count());
            std::fflush(stdout);
        }
    }
    std::vector<double> medians, best;
    for (const auto& values : seconds) {
        medians.push_back(median(values));
        best.push_back(*std::min_element(values.begin(), values.end()));
    }
    report("median", medians, settings.files);
    report("best", best, settings.files);
    fs::remove_all(root);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "bench_replace_directory: %s\n", e.what());
    return 1;
}
