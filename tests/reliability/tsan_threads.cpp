// The library's code that may run on several threads at once, exercised from 8 threads under
// ThreadSanitizer (built and run by tsan.sh): gettempdir()'s process-wide cache (first calls
// racing to fill it, set_tempdir() replacing and forgetting it) and the temp functions that
// consult it. Exits 1 if the threads disagree; TSan itself exits non-zero on a data race.
#include <unistd.h>

#include <atomfile/mkstemp.hpp>
#include <atomfile/named_temporary_file.hpp>
#include <atomfile/replace.hpp>
#include <atomfile/tempdir.hpp>
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: tsan_threads SCRATCH\n");
        return 2;
    }
    const std::string scratch = argv[1];
    constexpr int thread_count = 8;
    constexpr int rounds = 200;
    std::atomic<int> disagreements{0};
    std::atomic<bool> go{false};
    const std::string first = atomfile::gettempdir();
    atomfile::set_tempdir("");  // forget it: the threads race to fill the cache again

    std::vector<std::thread> threads;
    for (int t = 0; t < thread_count; ++t) {
        threads.emplace_back([&, t] {
            while (!go) std::this_thread::yield();
            for (int i = 0; i < rounds; ++i) {
                std::string dir = atomfile::gettempdir();
                if (dir != first && dir != scratch) ++disagreements;
                if (t == 0 && i % 20 == 0) atomfile::set_tempdir(i % 40 == 0 ? scratch : "");
                auto made = atomfile::mkstemp({}, "tsan", scratch);
                ::unlink(made.path.c_str());
                atomfile::NamedTemporaryFile named;  // default directory: the cache
                std::string path = scratch + "/file" + std::to_string(t);
                atomfile::ReplaceOptions quick;
                quick.durability = atomfile::Durability::none;
                atomfile::write_atomic(path, std::to_string(i), quick);
            }
        });
    }
    go = true;
    for (auto& thread : threads) thread.join();
    std::printf(
        "tsan: %d threads x %d rounds of gettempdir/set_tempdir/mkstemp/"
        "NamedTemporaryFile/write_atomic, %d disagreements\n",
        thread_count, rounds, disagreements.load());
    return disagreements == 0 ? 0 : 1;
}
