// batch_writer DIR N TAG [none]: one group commit (atomfile::Batch) of N files of 4 KiB spread
// over DIR/one and DIR/two (file I in one/ when I is even, else two/), each holding
// batch_content(TAG, I); prints "committed" once commit() has returned. With "none" the batch
// uses Durability::none: the control of power_cut_batch.sh, which must lose updates.
#include <cstdio>
#include <string>

#include "atomfile/batch.hpp"

namespace {

std::string content(const std::string& tag, int i) {
    std::string text = tag + " file " + std::to_string(i) + "\n";
    text.resize(4096, '.');
    return text;
}

}  // namespace

int main(int argc, char** argv) try {
    if (argc < 4 || argc > 5) {
        std::fprintf(stderr, "usage: batch_writer DIR N TAG [none]\n");
        return 2;
    }
    const std::string dir = argv[1], tag = argv[3];
    const int n = std::stoi(argv[2]);
    atomfile::ReplaceOptions options;
    if (argc == 5 && std::string(argv[4]) == "none")
        options.durability = atomfile::Durability::none;
    atomfile::Batch batch(options);
    for (int i = 0; i < n; ++i)
        batch.write(dir + (i % 2 == 0 ? "/one/f" : "/two/f") + std::to_string(i), content(tag, i));
    batch.commit();
    std::printf("committed\n");
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "batch_writer: %s\n", e.what());
    return 1;
}
