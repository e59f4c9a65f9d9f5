#include "detail/random_name.hpp"

#include <algorithm>
#include <iterator>

#include "error_support.hpp"
#include "platform/linux.hpp"

namespace atomfile::detail {

namespace {

thread_local RandomPool* pool = nullptr;

// A name drawn from the pool: no system call unless its block runs out. Rejection sampling keeps
// every symbol equally likely: 256 is not a multiple of 37.
std::string pooled_name(std::string_view prefix, std::string_view suffix) {
    constexpr unsigned limit = 256 - 256 % name_alphabet.size();
    std::string name(prefix);
    while (name.size() < prefix.size() + random_characters) {
        unsigned char byte = 0;
        if (!pool->next(byte)) throw_errno(Step::draw_name, "");
        if (byte < limit) name += name_alphabet[byte % name_alphabet.size()];
    }
    name += suffix;
    return name;
}

}  // namespace

RandomPool::RandomPool() noexcept : outer_(pool) {
    pool = this;
}

RandomPool::~RandomPool() {
    std::fill(std::begin(block_), std::end(block_), static_cast<unsigned char>(0));
    pool = outer_;
}

bool RandomPool::next(unsigned char& byte) noexcept {
    if (used_ == sizeof block_) {
        if (platform::random_bytes(block_, sizeof block_) != 0) return false;
        used_ = 0;
    }
    byte = block_[used_];
    block_[used_++] = 0;  // a byte handed out is not kept
    return true;
}

std::string random_name(std::string_view prefix, std::string_view suffix) {
    if (pool != nullptr) return pooled_name(prefix, suffix);
    RandomPool own;  // a block for this name alone
    return pooled_name(prefix, suffix);
}

}  // namespace atomfile::detail
