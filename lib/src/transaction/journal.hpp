// The transaction journal: what a committed transaction still has to publish, written once into
// the staging directory. Its presence with a valid checksum is the commit point
// (transaction.hpp), so a torn or partly written journal must never parse.
//
// Format, version 1 (text, so a person can read what recovery is about to do):
//     atomfile-transaction 1\n
//     entries COUNT\n
//     write|remove INDEX old|new LENGTH PATH\n      one line per entry, PATH LENGTH bytes
//     sum HEX\n                                     FNV-1a 64 of every byte before "sum"
// INDEX names the staged files "new-INDEX" and "old-INDEX" in the staging directory; "old"
// says the target existed and is linked as old-INDEX. PATH is relative to the root and may hold
// any byte but NUL (its length, not a delimiter, ends it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace atomfile::transaction {

struct JournalEntry {
    bool remove = false;   // unlink the target; otherwise rename new-INDEX over it
    bool has_old = false;  // old-INDEX links the target's old content
    std::size_t index = 0;
    std::string path;  // relative to the root
};

struct Journal {
    std::vector<JournalEntry> entries;
};

inline constexpr int journal_version = 1;
// The largest journal written or read (a few million typical paths): recover() refuses a bigger
// one (EFBIG) rather than try to hold it in memory, so commit() never writes one.
inline constexpr std::int64_t journal_size_limit = std::int64_t(256) << 20;

std::string encode_journal(const Journal& journal);
// std::nullopt for anything but a complete journal of a known version with a matching sum.
std::optional<Journal> decode_journal(std::string_view text);

// The components of a path relative to the root; throws EINVAL (Step::open_root, or step) for
// an empty path, an absolute one, one with an empty, "." or ".." component or a NUL, or one in
// the transaction's own names (the staging directory, the lock file).
std::vector<std::string> split_relative(const std::string& path);

std::uint64_t fnv1a(std::string_view bytes);

// Names inside the staging directory.
std::string new_name(std::size_t index);
std::string old_name(std::size_t index);

}  // namespace atomfile::transaction
