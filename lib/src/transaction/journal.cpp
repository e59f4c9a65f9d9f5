#include "transaction/journal.hpp"

#include <cerrno>
#include <cstdio>

#include "error_support.hpp"
#include "transaction/root.hpp"

namespace atomfile::transaction {

namespace {

constexpr std::string_view magic = "atomfile-transaction ";

// Reads a decimal number ending at `end`, advancing `at` past the terminator.
bool read_number(std::string_view text, std::size_t& at, char end, std::uint64_t& value) {
    std::size_t start = at;
    value = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
        if (value > (UINT64_MAX - 9) / 10) return false;
        value = value * 10 + std::uint64_t(text[at++] - '0');
    }
    if (at == start || at >= text.size() || text[at] != end) return false;
    ++at;
    return true;
}

bool read_word(std::string_view text, std::size_t& at, std::string_view word) {
    if (text.substr(at, word.size()) != word) return false;
    at += word.size();
    return true;
}

bool read_entry(std::string_view text, std::size_t& at, JournalEntry& entry) {
    if (read_word(text, at, "remove "))
        entry.remove = true;
    else if (!read_word(text, at, "write "))
        return false;
    std::uint64_t index = 0, length = 0;
    if (!read_number(text, at, ' ', index)) return false;
    if (read_word(text, at, "old "))
        entry.has_old = true;
    else if (!read_word(text, at, "new "))
        return false;
    if (!read_number(text, at, ' ', length) || length > text.size() - at) return false;
    entry.index = static_cast<std::size_t>(index);
    entry.path = std::string(text.substr(at, static_cast<std::size_t>(length)));
    at += static_cast<std::size_t>(length);
    return read_word(text, at, "\n");
}

std::string hex(std::uint64_t value) {
    char buffer[17];
    std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(value));
    return buffer;
}

}  // namespace

std::uint64_t fnv1a(std::string_view bytes) {
    std::uint64_t hash = 14695981039346656037ull;
    for (char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        hash ^= std::uint64_t(byte);
        hash *= 1099511628211ull;
    }
    return hash;
}

std::string encode_journal(const Journal& journal) {
    std::string text = std::string(magic) + std::to_string(journal_version) + "\nentries " +
                       std::to_string(journal.entries.size()) + "\n";
    for (const JournalEntry& entry : journal.entries) {
        text += entry.remove ? "remove " : "write ";
        text += std::to_string(entry.index) + (entry.has_old ? " old " : " new ");
        text += std::to_string(entry.path.size()) + " " + entry.path + "\n";
    }
    return text + "sum " + hex(fnv1a(text)) + "\n";
}

std::optional<Journal> decode_journal(std::string_view text) {
    std::size_t at = 0;
    std::uint64_t version = 0, count = 0;
    if (!read_word(text, at, magic) || !read_number(text, at, '\n', version) ||
        version != journal_version || !read_word(text, at, "entries ") ||
        !read_number(text, at, '\n', count) || count > text.size())
        return std::nullopt;
    Journal journal;
    for (std::uint64_t i = 0; i < count; ++i) {
        JournalEntry entry;
        if (!read_entry(text, at, entry)) return std::nullopt;
        journal.entries.push_back(std::move(entry));
    }
    const std::size_t summed = at;
    if (!read_word(text, at, "sum ") ||
        text.substr(at) != hex(fnv1a(text.substr(0, summed))) + "\n")
        return std::nullopt;
    return journal;
}

std::vector<std::string> split_relative(const std::string& path) {
    std::vector<std::string> parts;
    bool bad = path.empty() || path.front() == '/' || path.find('\0') != std::string::npos;
    for (std::size_t start = 0; !bad && start <= path.size();) {
        std::size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        std::string part = path.substr(start, end - start);
        bad = part.empty() || part == "." || part == "..";
        parts.push_back(std::move(part));
        start = end + 1;
    }
    // The transaction's own names: staging one would let a transaction overwrite its journal
    // or temps, or replace the lock file that serialises writers.
    if (!bad) bad = parts.front() == staging_name || parts.front() == lock_name;
    if (bad) throw_error(EINVAL, Step::open_root, path);
    return parts;
}

std::string new_name(std::size_t index) {
    return "new-" + std::to_string(index);
}

std::string old_name(std::size_t index) {
    return "old-" + std::to_string(index);
}

}  // namespace atomfile::transaction
