// What the round-based micro-benchmarks share: their command line and the timing of one round.
//
//   PROGRAM [--dir DIR] [--rounds R] [--ops N]
//
// Each round times N operations of every method in turn (the order rotating from round to
// round, so no method always runs first); the report takes the median over rounds.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>

namespace atomfile::bench {

struct RoundSettings {
    std::string dir = ".";
    int rounds = 9;
    int ops = 100;
};

inline RoundSettings parse_round_settings(int argc, char** argv, int default_ops) {
    RoundSettings settings;
    settings.ops = default_ops;
    if (argc % 2 == 0) throw std::runtime_error("every option takes a value");
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        if (flag == "--dir")
            settings.dir = argv[i + 1];
        else if (flag == "--rounds")
            settings.rounds = std::stoi(argv[i + 1]);
        else if (flag == "--ops")
            settings.ops = std::stoi(argv[i + 1]);
        else
            throw std::runtime_error("unknown option " + flag);
    }
    if (settings.rounds < 1 || settings.ops < 1) throw std::runtime_error("rounds and ops >= 1");
    return settings;
}

// Runs operation `ops` times; returns the mean in microseconds.
template <class Operation>
double microseconds_per_op(Operation&& operation, int ops) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < ops; ++i) operation();
    std::chrono::duration<double, std::micro> elapsed = std::chrono::steady_clock::now() - start;
    return elapsed.count() / ops;
}

}  // namespace atomfile::bench
