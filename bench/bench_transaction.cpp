// Benchmark: a 10-file transaction against a Batch of the same files and the no-sync floor.
//   T  Transaction::commit of 10 files of 4 KiB (5 in the root, 5 in a subdirectory), each
//      replacing an existing one (atomfile/transaction.hpp)
//   B  Batch::commit of the same 10 files (atomfile/batch.hpp): what the journal is compared to
//   F  the floor: open, write, close, rename of each file, no sync at all
// The goal: T / B <= 1.5 (the journal costs at most one flush more than the group commit).
// Each round times --ops commits of every method in turn, the order rotating from round to
// round; between two methods the file system is synced, untimed, so none inherits another's
// dirty pages. The summary gives the median over rounds of each method's time per commit and
// the ratios, all from the same run.
// Output: CSV rows "transaction,METHOD,10,ROUND,us_per_commit,MICROSECONDS" on stdout
// (bench/report.py reads them, as scripts/bench.sh runs it); the summary, with the goal met or
// not, on stderr. A missed goal is a figure, not a failure: the exit status is 0 unless a
// commit failed.
//
// Usage: bench_transaction [--dir DIR] [--rounds 9] [--ops 20]
// DIR must be on a real disk (not tmpfs), or the syncs cost nothing; default ".".
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "atomfile/batch.hpp"
#include "atomfile/transaction.hpp"
#include "bench_files.hpp"
#include "bench_rounds.hpp"

namespace {

using atomfile::bench::allow_descriptors;
using atomfile::bench::sync_all;

namespace fs = std::filesystem;
constexpr int files = 10;

std::string name(int i) {
    return (i < files / 2 ? "f" : "sub/f") + std::to_string(i);
}

std::string content(int version, int i) {
    std::string text = "version " + std::to_string(version) + " of file " + std::to_string(i);
    text.resize(4096, '.');
    return text;
}

void commit_transaction(const std::string& root, int version) {
    atomfile::Transaction tx(root);
    for (int i = 0; i < files; ++i) tx.write(name(i), content(version, i));
    tx.commit();
}

void commit_batch(const std::string& root, int version) {
    atomfile::Batch batch;
    for (int i = 0; i < files; ++i) batch.write(root + "/" + name(i), content(version, i));
    batch.commit();
}

void write_floor(const std::string& root, int version) {
    for (int i = 0; i < files; ++i) {
        const std::string path = root + "/" + name(i), temp = path + ".tmp";
        int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        const std::string data = content(version, i);
        if (fd < 0 || ::write(fd, data.data(), data.size()) != ssize_t(data.size()))
            throw std::runtime_error("floor: cannot write " + temp);
        ::close(fd);
        if (::rename(temp.c_str(), path.c_str()) != 0)
            throw std::runtime_error("floor: cannot rename " + temp);
    }
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const auto settings = atomfile::bench::parse_round_settings(argc, argv, 20);
        const std::string root = (fs::path(settings.dir) / "bench-transaction").string();
        fs::remove_all(root);
        fs::create_directories(root + "/sub");
        write_floor(root, 0);
        const std::vector<std::pair<const char*, std::function<void(const std::string&, int)>>>
            methods{{"T", commit_transaction}, {"B", commit_batch}, {"F", write_floor}};
        std::vector<std::vector<double>> times(methods.size());
        int version = 1;
        for (int round = 0; round < settings.rounds; ++round) {
            for (std::size_t k = 0; k < methods.size(); ++k) {
                const std::size_t m = (k + std::size_t(round)) % methods.size();
                sync_all(root);
                double us = atomfile::bench::microseconds_per_op(
                    [&] { methods[m].second(root, version++); }, settings.ops);
                times[m].push_back(us);
                std::printf("transaction,%s,%d,%d,us_per_commit,%.1f\n", methods[m].first, files,
                            round, us);
            }
        }
        const double t = median(times[0]), b = median(times[1]), f = median(times[2]);
        std::fprintf(stderr,
                     "%d files of 4 KiB per commit, median of %d rounds of %d commits:\n"
                     "  T transaction %.0f us, B batch %.0f us, F floor %.0f us\n"
                     "  T/B = %.2f (goal <= 1.5), T/F = %.1f, B/F = %.1f\n",
                     files, settings.rounds, settings.ops, t, b, f, t / b, t / f, b / f);
        fs::remove_all(root);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_transaction: %s\n", e.what());
        return 2;
    }
}
