#include "replace/temp_names.hpp"

#include <cstdint>

#include "atomfile/error.hpp"
#include "detail/random_name.hpp"

namespace atomfile::replace {
namespace {

constexpr std::string_view marker = ".atomfile-";
constexpr std::string_view lock_tag = "lock";
// 255 minus the dot, the marker and the random part, with room to spare.
constexpr std::size_t max_kept_name = 200;
constexpr std::size_t name_max = 255;

// FNV-1a, 64 bits, as 16 hex digits: stable across runs and machines, which is all a lock name
// needs (two long names sharing a lock by a collision would only be serialised, never mixed).
std::string name_hash(std::string_view name) {
    std::uint64_t hash = 14695981039346656037ull;
    for (char c : name) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ull;
    }
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex(16, '0');
    for (std::size_t i = 0; i < hex.size(); ++i)
        hex[hex.size() - 1 - i] = digits[(hash >> (4 * i)) & 15];
    return hex;
}

bool ends_with(std::string_view text, std::string_view tail) {
    return text.size() >= tail.size() && text.substr(text.size() - tail.size()) == tail;
}

}  // namespace

std::string temp_prefix(std::string_view name) {
    std::string prefix = ".";
    prefix += name.substr(0, max_kept_name);
    prefix += marker;
    return prefix;
}

std::string random_temp_name(std::string_view name, const std::string& error_path) {
    try {
        return detail::random_name(temp_prefix(name), "");
    } catch (const Error& e) {
        throw Error(e.code(), e.step_id(), error_path, {}, e.step() + " for temp file");
    }
}

std::string lock_name(std::string_view name) {
    std::string lock = ".";
    const std::size_t fixed = 1 + marker.size() + lock_tag.size();
    if (name.size() + fixed <= name_max) {
        lock += name;
    } else {
        lock += name.substr(0, max_kept_name);
        lock += '~';
        lock += name_hash(name);
    }
    lock += marker;
    lock += lock_tag;
    return lock;
}

bool is_temp_name(std::string_view name) {
    const std::size_t random_length = detail::random_characters;
    if (name.size() < 1 + marker.size() + random_length || name.front() != '.') return false;
    std::string_view tail = name.substr(name.size() - random_length);
    std::string_view head = name.substr(0, name.size() - random_length);
    if (!ends_with(head, marker)) return false;
    return tail.find_first_not_of(detail::name_alphabet) == std::string_view::npos;
}

bool is_lock_name(std::string_view name) {
    std::string tail = std::string(marker) + std::string(lock_tag);
    return name.size() > 1 + tail.size() && name.front() == '.' && ends_with(name, tail);
}

}  // namespace atomfile::replace
