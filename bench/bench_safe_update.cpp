// Benchmark: read-transform-replace of a 4 KiB file with atomfile::safe_update, next to
// write_atomic, at durability full and none. The peer, the Python tutorial's safe_update (a
// same-directory NamedTemporaryFile moved over the target: no fsync, no lock), is measured by
// bench/tutorial_safe_update.py in the same run of scripts/bench.sh with the same output.
//
// Every update changes the content (the transform flips the file between two 4 KiB texts), so
// no method can skip work. Methods are interleaved: each round times --ops updates of every
// method, in an order rotated each round.
// Output: CSV rows "safe_update,METHOD,4096,ROUND,us_per_op,VALUE" on stdout.
//
// Usage: bench_safe_update [--dir DIR] [--rounds 9] [--ops 100]
// DIR must be on a real disk (not tmpfs) for the synced figures to mean anything; default ".".
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "atomfile/replace.hpp"
#include "bench_rounds.hpp"

namespace {

constexpr std::size_t file_size = 4096;

using Settings = atomfile::bench::RoundSettings;

struct Method {
    std::string name;
    std::function<void(const std::string& path)> update;
};

std::string flipped(const std::string& content) {
    return std::string(file_size, !content.empty() && content[0] == 'a' ? 'b' : 'a');
}

atomfile::ReplaceOptions at(atomfile::Durability level) {
    atomfile::ReplaceOptions options;
    options.durability = level;
    return options;
}

std::vector<Method> methods() {
    using atomfile::Durability;
    auto update = [](Durability level) {
        return [options = at(level)](const std::string& path) {
            atomfile::safe_update(path, flipped, options);
        };
    };
    // write_atomic has nothing to read: it alternates the content it writes.
    auto write = [](Durability level) {
        return [options = at(level), toggle = false](const std::string& path) mutable {
            toggle = !toggle;
            atomfile::write_atomic(path, std::string(file_size, toggle ? 'a' : 'b'), options);
        };
    };
    return {
        {"atomfile safe_update, Durability::full", update(Durability::full)},
        {"atomfile safe_update, Durability::none", update(Durability::none)},
        {"atomfile write_atomic, Durability::full", write(Durability::full)},
        {"atomfile write_atomic, Durability::none", write(Durability::none)},
    };
}

double time_round(Method& method, const std::string& path, int ops) {
    return atomfile::bench::microseconds_per_op([&] { method.update(path); }, ops);
}

}  // namespace

int main(int argc, char** argv) try {
    const Settings settings = atomfile::bench::parse_round_settings(argc, argv, 100);
    const std::string path = settings.dir + "/bench-safe-update";
    std::vector<Method> all = methods();
    atomfile::write_atomic(path, std::string(file_size, 'a'));
    for (Method& m : all) time_round(m, path, 1);  // warm up
    for (int round = 0; round < settings.rounds; ++round) {
        for (std::size_t k = 0; k < all.size(); ++k) {
            Method& m = all[(k + static_cast<std::size_t>(round)) % all.size()];
            std::printf("safe_update,%s,%zu,%d,us_per_op,%.3f\n", m.name.c_str(), file_size,
                        round + 1, time_round(m, path, settings.ops));
            std::fflush(stdout);
        }
    }
    ::unlink(path.c_str());
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "bench_safe_update: %s\n", e.what());
    return 1;
}
