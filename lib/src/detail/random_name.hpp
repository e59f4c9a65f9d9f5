// Unpredictable names for temp files and directories.
#pragma once

#include <string>
#include <string_view>

namespace atomfile::detail {

// Letters, digits and '_': 37 symbols, as Python's tempfile uses.
inline constexpr std::string_view name_alphabet = "abcdefghijklmnopqrstuvwxyz0123456789_";
inline constexpr std::size_t random_characters = 10;
// How many names to try before giving up (Python's TMP_MAX on Linux is 238328).
inline constexpr int max_name_attempts = 238328;

// prefix + random_characters symbols drawn from getrandom(2) + suffix. Throws atomfile::Error
// ("draw random name") if the kernel cannot supply randomness.
std::string random_name(std::string_view prefix, std::string_view suffix);

}  // namespace atomfile::detail
