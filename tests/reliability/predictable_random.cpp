// An LD_PRELOAD shim that makes getrandom(2) predictable, so the attack test can plant a symlink
// at exactly the name a temp function is about to try. A real attacker cannot predict 10 symbols
// drawn from getrandom; this shim grants the attacker that power to prove that even then the
// planted name is never followed: creation is exclusive and another name is drawn.
//
// Every process starts the same sequence (a 64-bit xorshift seeded with a constant), so two runs
// of the same program draw the same names in the same order.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace {

std::uint64_t state = 0x9e3779b97f4a7c15ULL;

unsigned char next_byte() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<unsigned char>(state >> 56);
}

}  // namespace

extern "C" ssize_t getrandom(void* buffer, std::size_t size, unsigned int /*flags*/) {
    auto* bytes = static_cast<unsigned char*>(buffer);
    for (std::size_t i = 0; i < size; ++i) bytes[i] = next_byte();
    return static_cast<ssize_t>(size);
}
