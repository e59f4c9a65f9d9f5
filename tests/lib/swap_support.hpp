// Helpers shared by the swap tests (tests/lib/test_swap_*.cpp): trees whose every file names
// their generation, so "whole old or whole new" is one comparison, and the leftovers a swap
// may leave beside its target.
#pragma once

#include <sys/stat.h>

#include <set>
#include <string>
#include <vector>

#include "lib/replace_support.hpp"
#include "lib/temp_test_support.hpp"
#include "support/test_support.hpp"

namespace atomfile::test {

// Fills dir (created) with `files` files and a subdirectory holding one more, each containing
// generation.
inline void write_generation(const fs::path& dir, const std::string& generation, int files = 3) {
    fs::create_directories(dir / "sub");
    for (int i = 0; i < files; ++i) write_file(dir / ("f" + std::to_string(i)), generation);
    write_file(dir / "sub" / "inner", generation);
}

// The generation every regular file under dir names; "mixed" when they differ, "" when there
// are none (or dir is gone).
inline std::string tree_generation(const fs::path& dir) {
    std::set<std::string> seen;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file()) seen.insert(read_file(it->path()));
    if (seen.empty()) return "";
    return seen.size() == 1 ? *seen.begin() : "mixed";
}

// The entries of parent that a swap names `.X.atomfile-...`.
inline std::vector<std::string> swap_leftovers(const fs::path& parent) {
    std::vector<std::string> found;
    for (const std::string& name : list_dir(parent))
        if (name.find(".atomfile-") != std::string::npos) found.push_back(name);
    return found;
}

// A populate function writing generation into the staging directory.
inline std::function<void(const std::string&)> populate_with(const std::string& generation,
                                                             int files = 3) {
    return [generation, files](const std::string& staging) {
        write_generation(staging, generation, files);
    };
}

}  // namespace atomfile::test
