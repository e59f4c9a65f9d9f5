// A transaction root shared by the transaction tests: two files replaced (one in a
// subdirectory), one created in directories that do not exist yet, one removed; and the checks
// that the set is whole: all old or all new, and nothing of the transaction left.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "atomfile/transaction.hpp"
#include "support/test_support.hpp"

namespace atomfile::test {

struct TransactionRoot {
    ScratchDir dir;
    const std::string old_text = "old content\n";

    TransactionRoot() {
        fs::create_directory(dir / "sub");
        write_file(dir / "a.conf", old_text);
        write_file(dir / "sub/b.conf", old_text);
        write_file(dir / "gone.conf", old_text);
    }
    std::string root() const { return dir.path().string(); }
    static std::string new_text(const std::string& name) { return "new content of " + name + "\n"; }

    void stage(Transaction& tx) const {
        tx.write("a.conf", new_text("a.conf"));
        tx.write("sub/b.conf", new_text("sub/b.conf"));
        tx.write("new/dir/c.conf", new_text("new/dir/c.conf"));
        tx.remove("gone.conf");
    }
    void commit_all(const ReplaceOptions& options = {}) const {
        Transaction tx(root(), options);
        stage(tx);
        tx.commit();
    }

    bool all_old() const {
        return read_file(dir / "a.conf") == old_text && read_file(dir / "sub/b.conf") == old_text &&
               read_file(dir / "gone.conf") == old_text && !fs::exists(dir / "new/dir/c.conf");
    }
    bool all_new() const {
        return read_file(dir / "a.conf") == new_text("a.conf") &&
               read_file(dir / "sub/b.conf") == new_text("sub/b.conf") &&
               read_file(dir / "new/dir/c.conf") == new_text("new/dir/c.conf") &&
               !fs::exists(dir / "gone.conf");
    }
    // No staging directory, no stray name beside the files (an empty "new/dir" a rolled back
    // publish created may stay), no extra link to any file.
    void check_clean() const {
        CHECK_FALSE(fs::exists(dir / ".atomfile-transaction"));
        for (const std::string& name : list_dir(dir.path())) {
            CAPTURE(name);
            CHECK((name == ".atomfile-transaction.lock" || name == "a.conf" || name == "sub" ||
                   name == "gone.conf" || name == "new"));
        }
        CHECK(list_dir(dir / "sub") == std::vector<std::string>{"b.conf"});
        if (fs::exists(dir / "new/dir")) {
            std::vector<std::string> created = list_dir(dir / "new/dir");
            CHECK((created.empty() || created == std::vector<std::string>{"c.conf"}));
        }
        for (const char* name : {"a.conf", "sub/b.conf", "gone.conf"})
            if (fs::exists(dir / name)) CHECK(fs::hard_link_count(dir / name) == 1);
    }
};

}  // namespace atomfile::test
