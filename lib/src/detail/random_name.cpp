#include "detail/random_name.hpp"

#include "error_support.hpp"
#include "platform/linux.hpp"

namespace atomfile::detail {

std::string random_name(std::string_view prefix, std::string_view suffix) {
    // Rejection sampling keeps every symbol equally likely: 256 is not a multiple of 37.
    constexpr unsigned limit = 256 - 256 % name_alphabet.size();
    std::string name(prefix);
    unsigned char bytes[32];
    while (name.size() < prefix.size() + random_characters) {
        if (platform::random_bytes(bytes, sizeof bytes) != 0) throw_errno(Step::draw_name, "");
        for (unsigned char byte : bytes) {
            if (byte >= limit) continue;
            name += name_alphabet[byte % name_alphabet.size()];
            if (name.size() == prefix.size() + random_characters) break;
        }
    }
    name += suffix;
    return name;
}

}  // namespace atomfile::detail
