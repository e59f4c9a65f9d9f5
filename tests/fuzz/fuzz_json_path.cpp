// libFuzzer target: json-edit's path parser. Any input either parses or throws PathError; a
// parsed path survives the round trip through its dotted spelling, and, when it has no [-N],
// through its JSON Pointer spelling (which keeps the names, not whether [N] was written).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "json_path.hpp"

using namespace atomfile::json;
using namespace atomfile::json::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    Path path;
    try {
        path = parse_path(text);
    } catch (const PathError&) {
        return 0;
    }
    if (parse_path(to_dotted(path)) != path) std::abort();
    bool from_end = false;
    for (const auto& token : path) from_end = from_end || token.from_end();
    if (!from_end) {
        Path pointer = parse_pointer(to_pointer(path));
        if (pointer.size() != path.size()) std::abort();
        for (std::size_t i = 0; i < path.size(); ++i)
            if (pointer[i].name != path[i].name) std::abort();
    }
    for (const auto& token : path) {
        auto index = array_index(token.name);
        if (index && std::to_string(*index) != token.name) std::abort();
        if (token.index && !token.from_end() && !index) std::abort();
    }
    return 0;
}
