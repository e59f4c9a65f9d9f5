#include "json_patch.hpp"

#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "json_scanner.hpp"

namespace atomfile::json::detail {

namespace {

struct PatchOperation {
    std::string op;
    Path path;
    std::optional<Path> from;
    std::optional<std::string_view> value;
};

std::string_view member_value(std::string_view text, const Member& member) {
    return text.substr(member.value_begin, member.value_end - member.value_begin);
}

std::string string_member(std::string_view text, const Member& member, const char* name) {
    std::string decoded;
    if (text[member.value_begin] != '"' || !decode_json_string(member_value(text, member), decoded))
        throw OperationError(std::string("\"") + name + "\" must be a string");
    return decoded;
}

Path pointer_member(std::string_view text, const Member& member, const char* name) {
    try {
        return parse_pointer(string_member(text, member, name));
    } catch (const PathError& e) {
        throw OperationError(std::string("\"") + name + "\": " + e.what());
    }
}

// Reads one operation; members other than op, path, from and value are ignored (RFC 6902 4).
PatchOperation read_operation(std::string_view patch, std::size_t begin) {
    if (patch[begin] != '{') throw OperationError("an operation must be an object");
    PatchOperation operation;
    bool has_op = false, has_path = false;
    for (const Member& member : list_members(patch, begin).members) {
        if (member.key == "op") {
            operation.op = string_member(patch, member, "op");
            has_op = true;
        } else if (member.key == "path") {
            operation.path = pointer_member(patch, member, "path");
            has_path = true;
        } else if (member.key == "from") {
            operation.from = pointer_member(patch, member, "from");
        } else if (member.key == "value") {
            operation.value = member_value(patch, member);
        }
    }
    if (!has_op) throw OperationError("missing \"op\"");
    if (!has_path) throw OperationError("missing \"path\"");
    bool needs_value = operation.op == "add" || operation.op == "replace" || operation.op == "test";
    if (needs_value && !operation.value) throw OperationError("missing \"value\"");
    bool needs_from = operation.op == "move" || operation.op == "copy";
    if (needs_from && !operation.from) throw OperationError("missing \"from\"");
    return operation;
}

bool is_proper_prefix(const Path& prefix, const Path& path) {
    return prefix.size() < path.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

void apply_operation(Splicer& document, const PatchOperation& operation) {
    const std::string& op = operation.op;
    if (op == "add") return document.add(operation.path, *operation.value);
    if (op == "remove") return document.remove(operation.path);
    if (op == "replace") return document.replace(operation.path, *operation.value);
    if (op == "copy") return document.add(operation.path, document.get(*operation.from));
    if (op == "test") {
        if (!json_equal(document.get(operation.path), *operation.value))
            throw OperationError("test failed: the values differ");
        return;
    }
    if (op != "move") throw OperationError("unknown operation \"" + op + "\"");
    if (*operation.from == operation.path) return;
    if (is_proper_prefix(*operation.from, operation.path))
        throw OperationError("cannot move a value into itself");
    std::string value = document.get(*operation.from);
    document.remove(*operation.from);
    document.add(operation.path, value);
}

nlohmann::json parse_value(std::string_view text) {
    return nlohmann::json::parse(text.begin(), text.end(), nullptr, true, true);
}

// nlohmann's == with the pairs still to compare on an explicit stack: its own operator recurses
// once per level, and a value may nest as deep as max_depth allows (millions). Objects are
// ordered maps, so equal ones list equal keys in the same order.
bool equal_values(const nlohmann::json& a, const nlohmann::json& b) {
    std::vector<std::pair<const nlohmann::json*, const nlohmann::json*>> pending{{&a, &b}};
    while (!pending.empty()) {
        auto [x, y] = pending.back();
        pending.pop_back();
        if (!x->is_structured() || !y->is_structured()) {
            if (*x != *y) return false;  // a scalar against anything: no recursion
            continue;
        }
        if (x->type() != y->type() || x->size() != y->size()) return false;
        for (auto i = x->begin(), j = y->begin(); i != x->end(); ++i, ++j) {
            if (x->is_object() && i.key() != j.key()) return false;
            pending.emplace_back(&*i, &*j);
        }
    }
    return true;
}

}  // namespace

void apply_patch(Splicer& document, std::string_view patch) {
    if (patch.empty() || patch.front() != '[')
        throw OperationError("a JSON Patch must be an array of operations");
    const Container operations = list_members(patch, 0);
    for (std::size_t i = 0; i < operations.members.size(); ++i) {
        PatchOperation operation;
        try {
            operation = read_operation(patch, operations.members[i].value_begin);
            apply_operation(document, operation);
        } catch (const OperationError& e) {
            std::string name = operation.op.empty()
                                   ? ""
                                   : " (" + operation.op + " " + to_pointer(operation.path) + ")";
            throw OperationError("patch operation " + std::to_string(i + 1) + name + ": " +
                                 e.what());
        }
    }
}

// Walks the patch with an explicit stack rather than recursion, so a deep patch (as deep as
// --max-depth allows) cannot overflow the call stack.
void apply_merge_patch(Splicer& document, const Path& path, std::string_view patch) {
    if (patch.front() != '{') return document.set(path, patch);
    Path at = path;
    std::vector<std::pair<Container, std::size_t>> open;  // patch objects, next member of each
    auto enter = [&](std::size_t begin) {
        if (!document.contains(at) || document.type(at) != JsonType::object) document.set(at, "{}");
        open.emplace_back(list_members(patch, begin), 0);
    };
    enter(0);
    while (!open.empty()) {
        auto& [object, next] = open.back();
        if (next == object.members.size()) {
            open.pop_back();
            if (!open.empty()) at.pop_back();
            continue;
        }
        const Member member = object.members[next++];
        std::string_view value = member_value(patch, member);
        at.emplace_back(member.key);
        if (value.front() == '{') {
            enter(member.value_begin);  // `at` keeps the key until this object is done
            continue;
        }
        if (value != "null")
            document.set(at, value);
        else if (document.contains(at))
            document.remove(at);
        at.pop_back();
    }
}

bool json_equal(std::string_view a, std::string_view b) {
    // Printed compactly first: comments and JSONC's trailing commas, which nlohmann does not
    // read, go.
    Style compact{"", "\n", ":", ",", false};
    std::string plain_a = reformat(a, compact, "", false),
                plain_b = reformat(b, compact, "", false);
    try {
        return equal_values(parse_value(plain_a), parse_value(plain_b));
    } catch (const nlohmann::json::out_of_range&) {
        // A number beyond double range: compare the spellings, as nothing better is defined.
        return plain_a == plain_b;
    }
}

}  // namespace atomfile::json::detail
