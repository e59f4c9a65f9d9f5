#include "json/json_document.hpp"

namespace atomfile::json {

namespace {

constexpr std::size_t npos = std::string_view::npos;

std::string describe(const Path& path, std::size_t count) {
    std::string pointer =
        to_pointer(Path(path.begin(), path.begin() + static_cast<std::ptrdiff_t>(count)));
    return pointer.empty() ? "the root" : pointer;
}

// A member name as a JSON string; a path can carry bytes that are not UTF-8, which JSON cannot.
std::string key_literal(const std::string& key) {
    std::string literal = quote(key);
    try {
        validate(literal);
    } catch (const SyntaxError&) {
        throw OperationError("the key \"" + key + "\" is not valid UTF-8");
    }
    return literal;
}

[[noreturn]] void not_found(const Path& path) {
    throw OperationError(describe(path, path.size()) + ": no such value");
}

}  // namespace

Document::Document(std::string text, std::size_t max_depth)
    : text_(std::move(text)), max_depth_(max_depth) {
    ScanReport report = validate(text_, max_depth);
    duplicates_ = std::move(report.duplicates);
    shallow_ = std::move(report.shallow);
    root_begin_ = report.root_begin;
    style_ = detect_style(text_);
}

void Document::set_indent(std::string unit) {
    style_.indent = std::move(unit);
}

std::size_t Document::find_member(const Container& container, const std::string& token) const {
    if (!container.object) {
        if (token == "-") return npos;
        auto index = array_index(token);
        if (!index) throw OperationError("\"" + token + "\" is not an array index");
        return *index < container.members.size() ? *index : npos;
    }
    std::size_t found = npos;
    for (std::size_t i = 0; i < container.members.size(); ++i) {
        if (container.members[i].key != token) continue;
        if (found != npos)
            throw OperationError("the key \"" + token +
                                 "\" appears more than once; refusing to edit it");
        found = i;
    }
    return found;
}

// A value placed inside `enclosing` containers must not take the document past max_depth_.
void Document::check_depth(std::size_t enclosing, std::string_view value) const {
    std::size_t depth = enclosing + nesting_depth(value);
    if (depth > max_depth_)
        throw OperationError("the result would nest " + std::to_string(depth) +
                             " levels deep, deeper than the maximum depth of " +
                             std::to_string(max_depth_));
}

Document::Location Document::locate(const Path& path) {
    std::string_view text = this->text();
    Location location;
    location.begin = root_begin_;
    if (path.empty()) location.end = skip_value(text, root_begin_);
    for (const auto& token : path) {
        if (!is_container(text, location.begin)) {
            location.parent.reset();
            return location;
        }
        location.parent = list_members(text, location.begin, kept_original_ ? nullptr : &shallow_);
        std::size_t index = find_member(*location.parent, token);
        if (index == npos) return location;
        const Member& member = location.parent->members[index];
        location.begin = member.value_begin;
        location.end = member.value_end;
        location.index = index;
        ++location.resolved;
    }
    return location;
}

Document::Location Document::require(const Path& path) {
    Location location = locate(path);
    if (location.resolved < path.size()) {
        if (!location.parent)
            throw OperationError(describe(path, location.resolved) + " is not an object or array");
        not_found(path);
    }
    return location;
}

bool Document::contains(const Path& path) {
    return locate(path).resolved == path.size();
}

std::string Document::get(const Path& path) {
    Location location = require(path);
    return text_.substr(location.begin, location.end - location.begin);
}

std::string Document::print(const Path& path) {
    return reformat(get(path), style_, "", !style_.indent.empty());
}

void Document::set(const Path& path, std::string_view value) {
    check_depth(path.size(), value);
    Location location = locate(path);
    if (location.resolved == path.size()) return replace_value(location, value);
    if (!location.parent)
        throw OperationError(describe(path, location.resolved) + " is not an object or array");
    const Container& parent = *location.parent;
    const std::string& token = path[location.resolved];
    if (!parent.object) {
        auto index = array_index(token);
        bool at_end = token == "-" || (index && *index == parent.members.size());
        if (!at_end || location.resolved + 1 < path.size()) not_found(path);
        return insert_last(parent, nullptr, value);
    }
    std::string nested(value);
    for (std::size_t i = path.size() - 1; i > location.resolved; --i)
        nested = "{" + key_literal(path[i]) + ":" + nested + "}";
    insert_last(parent, &token, nested);
}

void Document::add(const Path& path, std::string_view value) {
    check_depth(path.size(), value);
    Location location = locate(path);
    bool found = location.resolved == path.size();
    if (found && (path.empty() || location.parent->object)) return replace_value(location, value);
    if (found) return insert_before(*location.parent, location.index, value);
    if (location.resolved + 1 < path.size() || !location.parent) not_found(path);
    const std::string& token = path.back();
    if (location.parent->object) return insert_last(*location.parent, &token, value);
    auto index = array_index(token);
    if (token != "-" && (!index || *index != location.parent->members.size()))
        throw OperationError(describe(path, path.size()) + ": array index out of range");
    insert_last(*location.parent, nullptr, value);
}

void Document::replace(const Path& path, std::string_view value) {
    check_depth(path.size(), value);
    replace_value(require(path), value);
}

void Document::remove(const Path& path) {
    if (path.empty()) throw OperationError("the root cannot be removed");
    Location location = require(path);
    remove_member(*location.parent, location.index);
}

void Document::append(const Path& path, std::string_view value) {
    check_depth(path.size() + 1, value);
    Location location = require(path);
    if (text_[location.begin] != '[')
        throw OperationError(describe(path, path.size()) + " is not an array");
    insert_last(list_members(text_, location.begin), nullptr, value);
}

// ---- layout --------------------------------------------------------------------------------

bool Document::spans_lines(const Container& container) const {
    if (container.members.empty()) return !style_.indent.empty();
    auto inside = std::string_view(text_).substr(container.open, container.close - container.open);
    return !style_.indent.empty() && inside.find('\n') != npos;
}

// The whitespace that goes after a comma before the member at index.
std::string Document::separator(const Container& container, std::size_t index) const {
    const auto& members = container.members;
    auto gap_before = [&](std::size_t i) {
        std::size_t from =
            i == 0 ? container.open + 1 : skip_space(text_, members[i - 1].value_end) + 1;
        return std::string_view(text_).substr(from, members[i].begin() - from);
    };
    if (gap_before(index).find('\n') != npos)
        return style_.newline + std::string(line_indent(text_, members[index].begin()));
    if (members.size() >= 2 && is_blank(gap_before(1))) return std::string(gap_before(1));
    return style_.comma.substr(1);
}

std::string_view Document::colon(const Container& container) const {
    if (!container.object || container.members.empty()) return style_.colon;
    const Member& first = container.members.front();
    auto written = std::string_view(text_).substr(first.key_end, first.value_begin - first.key_end);
    bool plain = written.find_first_not_of(" \t:") == npos && written.find(':') != npos;
    return plain ? written : std::string_view(style_.colon);
}

std::string Document::member_text(const Container& container, const std::string* key,
                                  std::string_view value, std::string_view base,
                                  bool multiline) const {
    std::string text;
    if (key) text = key_literal(*key) + std::string(colon(container));
    return text + reformat(value, style_, base, multiline);
}

// The end of pos's line's trailing comments: a member's comment stays with it.
std::size_t Document::line_tail(std::size_t pos) const {
    while (true) {
        std::size_t next = text_.find_first_not_of(" \t", pos);
        if (next == npos || text_[next] != '/' || next + 1 >= text_.size()) return pos;
        if (text_[next + 1] == '/') {
            std::size_t end = text_.find_first_of(std::string_view("\r\n\0", 3), next);
            return end == npos || text_[end] == '\0' ? pos : end;
        }
        std::size_t end = text_.find("*/", next + 2);
        if (end == npos || text_.find('\n', next) < end) return pos;
        pos = end + 2;
    }
}

// ---- edits ---------------------------------------------------------------------------------

void Document::replace_value(const Location& location, std::string_view value) {
    bool multiline = location.parent ? spans_lines(*location.parent) : !style_.indent.empty();
    std::string printed = reformat(value, style_, line_indent(text_, location.begin), multiline);
    apply({location.begin, location.end, std::move(printed)});
}

void Document::insert_last(const Container& container, const std::string* key,
                           std::string_view value) {
    if (container.members.empty()) return insert_into_empty(container, key, value);
    const Member& last = container.members.back();
    std::string lead = separator(container, container.members.size() - 1);
    bool multiline = spans_lines(container);
    std::string_view base = multiline ? line_indent(text_, last.begin()) : "";
    std::size_t tail = lead.find('\n') != npos ? line_tail(last.value_end) : last.value_end;
    std::string text = "," + text_.substr(last.value_end, tail - last.value_end) + lead +
                       member_text(container, key, value, base, multiline);
    apply({last.value_end, tail, std::move(text)});
}

void Document::insert_before(const Container& container, std::size_t index,
                             std::string_view value) {
    std::size_t at = container.members[index].begin();
    bool multiline = spans_lines(container);
    std::string_view base = multiline ? line_indent(text_, at) : "";
    std::string text =
        member_text(container, nullptr, value, base, multiline) + "," + separator(container, index);
    apply({at, at, std::move(text)});
}

void Document::insert_into_empty(const Container& container, const std::string* key,
                                 std::string_view value) {
    std::size_t inner = container.open + 1;
    bool blank = is_blank(std::string_view(text_).substr(inner, container.close - inner));
    if (style_.indent.empty()) {
        std::string text = member_text(container, key, value, "", false);
        return apply({inner, blank ? container.close : inner, std::move(text)});
    }
    std::string base(line_indent(text_, container.open));
    std::string text = style_.newline + base + style_.indent +
                       member_text(container, key, value, base + style_.indent, true);
    if (blank) text += style_.newline + base;
    apply({inner, blank ? container.close : inner, std::move(text)});
}

void Document::remove_member(const Container& container, std::size_t index) {
    const auto& members = container.members;
    const Member& member = members[index];
    if (members.size() == 1) {
        std::string_view text = text_;
        bool alone =
            is_blank(text.substr(container.open + 1, member.begin() - container.open - 1)) &&
            is_blank(text.substr(member.value_end, container.close - member.value_end));
        if (alone) return apply({container.open + 1, container.close, ""});
        return apply({member.begin(), member.value_end, ""});
    }
    if (index + 1 < members.size()) return apply({member.begin(), members[index + 1].begin(), ""});
    remove_last(container);
}

// Removes the last member and the comma before it; a member alone on its line leaves with its
// line and its trailing comment, so the lines around it are untouched.
void Document::remove_last(const Container& container) {
    const Member& last = container.members.back();
    const Member& previous = container.members[container.members.size() - 2];
    std::size_t comma = skip_space(text_, previous.value_end);
    std::size_t newline = text_.rfind('\n', last.begin());
    std::size_t line_start = newline == npos ? 0 : newline + 1;
    std::size_t line_break = newline;
    if (newline != npos && newline > 0 && text_[newline - 1] == '\r') --line_break;
    bool own_line = newline != npos && line_break > comma &&
                    is_blank(std::string_view(text_).substr(line_start, last.begin() - line_start));
    if (!own_line) return apply({previous.value_end, last.value_end, ""});
    std::size_t tail = line_tail(last.value_end);
    // The comments kept between the comma and the member's line must not swallow what followed
    // the member on its line (`// note` then `]`): then the line break stays too.
    std::size_t rest = text_.find_first_not_of(" \t", tail);
    bool line_continues = rest != npos && text_[rest] != '\n' && text_[rest] != '\r';
    std::string_view gap = std::string_view(text_).substr(comma + 1, line_break - comma - 1);
    std::size_t kept_end = line_continues && ends_in_line_comment(gap) ? line_start : line_break;
    apply({comma, tail, text_.substr(comma + 1, kept_end - comma - 1)});
}

// ---- text ----------------------------------------------------------------------------------

void Document::apply(Edit edit) {
    materialize();
    if (text_.compare(edit.begin, edit.end - edit.begin, edit.text) == 0) return;
    pending_ = std::move(edit);
}

void Document::materialize() {
    if (!pending_) return;
    Edit edit = std::move(*pending_);
    pending_.reset();
    if (kept_original_) {
        text_.replace(edit.begin, edit.end - edit.begin, edit.text);
        return;
    }
    original_ = std::move(text_);
    kept_original_ = true;
    text_.reserve(original_.size() + edit.text.size());
    text_.append(original_, 0, edit.begin).append(edit.text).append(original_, edit.end);
}

bool Document::changed() const {
    if (kept_original_) {
        auto parts = pieces();
        std::string_view original = original_;
        std::size_t a = parts[0].size(), b = parts[1].size(), c = parts[2].size();
        return a + b + c != original.size() || original.substr(0, a) != parts[0] ||
               original.substr(a, b) != parts[1] || original.substr(a + b) != parts[2];
    }
    return pending_.has_value();
}

std::array<std::string_view, 3> Document::pieces() const {
    std::string_view text = text_;
    if (!pending_) return {text, {}, {}};
    return {text.substr(0, pending_->begin), pending_->text, text.substr(pending_->end)};
}

const std::string& Document::text() {
    materialize();
    return text_;
}

}  // namespace atomfile::json
