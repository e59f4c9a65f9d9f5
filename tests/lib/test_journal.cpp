// The transaction journal: only a complete journal with its sum decodes; paths relative to the
// root are checked.
#include <doctest/doctest.h>

#include "atomfile/error.hpp"
#include "transaction/journal.hpp"

using namespace atomfile;
using namespace atomfile::transaction;

namespace {

Journal sample() {
    Journal journal;
    journal.entries.push_back({false, true, 0, "app.conf"});
    journal.entries.push_back({false, false, 1, "tls/new line\nkey.pem"});
    journal.entries.push_back({true, true, 2, "old conf"});
    return journal;
}

bool same(const Journal& a, const Journal& b) {
    if (a.entries.size() != b.entries.size()) return false;
    for (std::size_t i = 0; i < a.entries.size(); ++i) {
        const JournalEntry &x = a.entries[i], &y = b.entries[i];
        if (x.remove != y.remove || x.has_old != y.has_old || x.index != y.index ||
            x.path != y.path)
            return false;
    }
    return true;
}

}  // namespace

TEST_CASE("a journal decodes to what was encoded, paths with spaces and newlines included") {
    const std::string text = encode_journal(sample());
    std::optional<Journal> decoded = decode_journal(text);
    REQUIRE(decoded);
    CHECK(same(*decoded, sample()));
    CHECK(text.rfind("atomfile-transaction 1\n", 0) == 0);
}

TEST_CASE("every truncation of a journal, and every changed byte, fails to decode") {
    const std::string text = encode_journal(sample());
    for (std::size_t size = 0; size < text.size(); ++size) {
        CAPTURE(size);
        CHECK_FALSE(decode_journal(text.substr(0, size)));
    }
    for (std::size_t at = 0; at < text.size(); ++at) {
        CAPTURE(at);
        std::string changed = text;
        changed[at] = static_cast<char>(changed[at] ^ 0x20);
        CHECK_FALSE(decode_journal(changed));
    }
    CHECK_FALSE(decode_journal(text + "x"));
    CHECK_FALSE(decode_journal(std::string(text.size(), '\0')));
}

TEST_CASE("a journal of another version is not decoded") {
    std::string text = encode_journal(Journal{});
    CHECK(decode_journal(text));
    std::string body = "atomfile-transaction 2\nentries 0\n";
    CHECK_FALSE(decode_journal(body + text.substr(text.find("sum "))));
}

TEST_CASE("relative paths are split, and ones leaving the root or with empty parts refused") {
    CHECK(split_relative("a/b/c") == std::vector<std::string>{"a", "b", "c"});
    CHECK(split_relative(".hidden") == std::vector<std::string>{".hidden"});
    for (const std::string& bad :
         {std::string(""), std::string("/etc/passwd"), std::string(".."), std::string("a/../b"),
          std::string("./a"), std::string("a//b"), std::string("a/"), std::string("a\0b", 3)}) {
        CAPTURE(bad);
        try {
            split_relative(bad);
            FAIL("accepted");
        } catch (const Error& e) {
            CHECK(e.code() == std::errc::invalid_argument);
        }
    }
}
