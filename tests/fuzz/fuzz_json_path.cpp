// libFuzzer target: json-edit's path parser. Any input either parses or throws PathError; a
// parsed path survives the round trip through its JSON Pointer spelling.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "json/json_path.hpp"

using namespace atomfile::json;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    Path path;
    try {
        path = parse_path(text);
    } catch (const PathError&) {
        return 0;
    }
    if (parse_pointer(to_pointer(path)) != path) std::abort();
    for (const auto& token : path) {
        auto index = array_index(token);
        if (index && std::to_string(*index) != token) std::abort();
    }
    return 0;
}
