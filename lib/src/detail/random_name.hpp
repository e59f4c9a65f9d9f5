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

// While one lives, random_name on this thread draws its bytes from a block fetched from the
// kernel a few hundred bytes at a time instead of one getrandom(2) per name: for a caller
// naming many temps in a row (a Batch). The bytes are as unpredictable; a failure to fetch a
// block is random_name's error. Scopes nest (the innermost serves); the block is wiped when
// the scope ends.
class RandomPool {
  public:
    RandomPool() noexcept;
    ~RandomPool();
    RandomPool(const RandomPool&) = delete;
    RandomPool& operator=(const RandomPool&) = delete;

    // The next random byte; false when the kernel cannot supply a block.
    bool next(unsigned char& byte) noexcept;

  private:
    unsigned char block_[512];
    std::size_t used_ = sizeof block_;
    RandomPool* outer_;
};

}  // namespace atomfile::detail
