#include "swap/swap_names.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdio>

#include "detail/random_name.hpp"
#include "detail/temp_support.hpp"
#include "error_support.hpp"

namespace atomfile::swap {

SwapTarget split_target(const std::string& path, Step step) {
    std::string trimmed = path;
    while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
    if (trimmed.empty()) throw_error(EINVAL, step, path);
    SwapTarget target;
    target.path = detail::absolute_path(trimmed);
    const std::size_t slash = target.path.rfind('/');
    target.name = target.path.substr(slash + 1);
    target.parent = slash == 0 ? "/" : target.path.substr(0, slash);
    const std::string last = trimmed.substr(trimmed.rfind('/') + 1);
    if (target.name.empty() || last == "." || last == "..") throw_error(EINVAL, step, path);
    return target;
}

namespace {

// A name component may hold 255 bytes: a long NAME is cut, with a hash of the whole of it so
// that two long names sharing a beginning never take each other's leftovers for their own.
std::string fitted(const std::string& name) {
    constexpr std::size_t longest = 255 - 1 - 15 - detail::random_characters;  // "." "-swap-"...
    if (name.size() <= longest) return name;
    std::uint32_t hash = 2166136261u;  // FNV-1a
    for (char c : name) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(hash));
    return name.substr(0, longest - 9) + "~" + hex;
}

}  // namespace

std::string staging_prefix(const std::string& name) {
    return "." + fitted(name) + ".atomfile-swap-";
}

std::string link_prefix(const std::string& name) {
    return "." + fitted(name) + ".atomfile-link-";
}

bool is_named_like(std::string_view entry, std::string_view prefix) {
    if (entry.size() != prefix.size() + detail::random_characters) return false;
    if (entry.substr(0, prefix.size()) != prefix) return false;
    return entry.find_first_not_of(detail::name_alphabet, prefix.size()) == std::string_view::npos;
}

}  // namespace atomfile::swap
