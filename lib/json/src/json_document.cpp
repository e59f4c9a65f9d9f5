#include "json_document.hpp"

#include <algorithm>

#include "json_scan_support.hpp"

namespace atomfile::json::detail {

namespace {

constexpr std::size_t npos = std::string_view::npos;

std::string describe(const Path& path, std::size_t count) {
    std::string text =
        describe_path(Path(path.begin(), path.begin() + static_cast<std::ptrdiff_t>(count)));
    return text.empty() ? "the root" : text;
}

// A member name as a JSON string; a path can carry bytes that are not UTF-8, which JSON cannot.
std::string key_literal(const std::string& key) {
    std::string literal = quote(key);
    try {
        validate(literal);
    } catch (const ParseError&) {
        throw OperationError("the key \"" + key + "\" is not valid UTF-8");
    }
    return literal;
}

// "twice, at lines 2 and 4" / "3 times, at lines 2, 4 and 9".
std::string occurrences(std::string_view text, const std::vector<std::size_t>& offsets) {
    std::string lines;
    for (std::size_t i = 0; i < offsets.size(); ++i) {
        std::size_t line = 0, column = 0;
        line_and_column(text, offsets[i], line, column);
        lines += (i == 0 ? "" : i + 1 == offsets.size() ? " and " : ", ") + std::to_string(line);
    }
    std::string count = offsets.size() == 2 ? "twice" : std::to_string(offsets.size()) + " times";
    return count + ", at lines " + lines;
}

// A new array starts at [0] or "-": the only positions a missing array has.
bool starts_array(const PathToken& token) {
    return token.name == "-" || (token.index && token.name == "0");
}

}  // namespace

Splicer::Splicer(std::string text, std::size_t max_depth, Dialect dialect)
    : base_(std::move(text)), max_depth_(max_depth) {
    scan(dialect);
}

Splicer::Splicer(std::string_view text, std::shared_ptr<const void> owner, std::size_t max_depth,
                 Dialect dialect)
    : owner_(std::move(owner)), external_(text), max_depth_(max_depth) {
    scan(dialect);
}

Splicer::Splicer(std::string_view text, std::shared_ptr<const void> owner, std::size_t max_depth,
                 Unvalidated)
    : owner_(std::move(owner)), external_(text), max_depth_(max_depth) {
    root_begin_ = skip_space(text, after_bom(text));
    style_ = detect_style(text);
}

void Splicer::scan(Dialect dialect) {
    ScanReport report = validate(base(), max_depth_, dialect);
    duplicates_ = std::move(report.duplicates);
    shallow_ = std::move(report.shallow);
    root_begin_ = report.root_begin;
    style_ = detect_style(base());
}

void Splicer::set_indent(std::string unit) {
    style_.indent = std::move(unit);
}

// ---- finding values ------------------------------------------------------------------------

// The value one step down without listing the whole container, or npos when the step needs the
// full list: a key when the document has duplicates (every occurrence must be seen), a [-N].
std::size_t Splicer::quick_find(std::size_t open, const PathToken& token,
                                const SpanIndex* index) const {
    if (view()[open] == '{') {
        if (!duplicates_.empty() || token.from_end()) return npos;
        return find_key(view(), open, token.name, index);
    }
    auto position = token.from_end() ? std::nullopt : array_index(token.name);
    return position ? find_element(view(), open, *position, index) : npos;
}

std::size_t Splicer::find_member(const Container& container, const PathToken& token,
                                 Miss& miss) const {
    const auto& members = container.members;
    if (!container.object) {
        std::optional<std::size_t> position;
        if (token.from_end()) {
            std::size_t back = *array_index(token.name.substr(1));
            if (back <= members.size()) position = members.size() - back;
        } else if (token.name != "-") {
            position = array_index(token.name);
            if (!position) miss = Miss::not_index;
        }
        if (position && *position < members.size()) return *position;
        if (miss == Miss::none) miss = Miss::missing;
        return npos;
    }
    if (token.from_end()) {
        miss = Miss::from_end_on_object;
        return npos;
    }
    std::vector<std::size_t> found;
    for (std::size_t i = 0; i < members.size(); ++i)
        if (members[i].key == token.name) found.push_back(i);
    if (found.size() > 1) {
        std::vector<std::size_t> offsets;
        for (std::size_t i : found) offsets.push_back(members[i].key_begin);
        throw AmbiguousKey("ambiguous: the key \"" + token.name + "\" appears " +
                           occurrences(view(), offsets));
    }
    if (found.empty()) miss = Miss::missing;
    return found.empty() ? npos : found.front();
}

// The index for walks inside the container at open: deep_ when it covers open, made now when
// deep is asked (a walk that has listed a whole container and must list one inside it);
// otherwise the root's shallow index, which validation made, while the text is unedited.
const SpanIndex* Splicer::span_index(std::size_t open, bool deep) {
    auto covers = [&] {
        return !deep_.empty() && deep_.front().first <= open && open < deep_.front().second;
    };
    if (!covers() && deep) deep_ = index_containers(view(), open, 64);
    if (covers()) return &deep_;
    return kept_original_ ? nullptr : &shallow_;
}

Splicer::Location Splicer::locate(const Path& path) {
    materialize();
    std::string_view text = view();
    Location location;
    location.begin = root_begin_;
    if (path.empty()) location.end = skip_value(text, root_begin_);
    std::size_t outer = npos;  // where the container holding the current value opens
    bool listed = false;       // a container was listed whole: its members are all walked
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (!is_container(text, location.begin)) {
            location.parent.reset();
            location.miss = Miss::scalar;
            return location;
        }
        const SpanIndex* index = span_index(location.begin, listed && i + 1 < path.size());
        if (i + 1 < path.size()) {
            std::size_t child = quick_find(location.begin, path[i], index);
            if (child != npos) {
                outer = std::exchange(location.begin, child);
                ++location.resolved;
                continue;
            }
        }
        location.parent = list_members(text, location.begin, index);
        listed = true;
        location.enclosing = outer;
        std::size_t found = find_member(*location.parent, path[i], location.miss);
        if (found == npos) return location;
        const Member& member = location.parent->members[found];
        outer = std::exchange(location.begin, member.value_begin);
        location.end = member.value_end;
        location.index = found;
        ++location.resolved;
    }
    return location;
}

void Splicer::fail(const Path& path, const Location& location) const {
    std::string where = describe(path, location.resolved);
    const PathToken& token = path[std::min(location.resolved, path.size() - 1)];
    switch (location.miss) {
        case Miss::scalar:
            throw OperationError(where + " is not an object or array");
        case Miss::not_index:
            throw OperationError(
                where + " is an array, and \"" + token.name + "\" is not an array index" +
                (token.name.size() > 1 && token.name[0] == '-'
                     ? " (a JSON Pointer has no negative indices; a dotted path does: [-1])"
                     : ""));
        case Miss::from_end_on_object:
            throw OperationError(where + " is an object: [" + token.name +
                                 "] counts positions in arrays only");
        default:
            throw OperationError(describe(path, path.size()) + ": no such value");
    }
}

Splicer::Location Splicer::require(const Path& path) {
    Location location = locate(path);
    if (location.resolved < path.size()) fail(path, location);
    return location;
}

bool Splicer::contains(const Path& path) {
    return locate(path).resolved == path.size();
}

std::string Splicer::get(const Path& path) {
    Location location = require(path);
    return std::string(view().substr(location.begin, location.end - location.begin));
}

std::string Splicer::print(const Path& path) {
    return reformat(get(path), style_, "", !style_.indent.empty());
}

JsonType Splicer::type(const Path& path) {
    // Located first: locating may rebuild the text that view() shows.
    const Location location = require(path);
    switch (view()[location.begin]) {
        case '{':
            return JsonType::object;
        case '[':
            return JsonType::array;
        case '"':
            return JsonType::string;
        case 't':
        case 'f':
            return JsonType::boolean;
        case 'n':
            return JsonType::null;
        default:
            return JsonType::number;
    }
}

std::vector<std::string> Splicer::member_names(const Path& path) {
    Location location = require(path);
    if (view()[location.begin] != '{')
        throw OperationError(describe(path, path.size()) + " is not an object");
    std::vector<std::string> names;
    for (Member& member : list_members(view(), location.begin).members)
        names.push_back(std::move(member.key));
    return names;
}

std::size_t Splicer::size(const Path& path) {
    Location location = require(path);
    if (!is_container(view(), location.begin))
        throw OperationError(describe(path, path.size()) + " is not an object or array");
    return list_members(view(), location.begin).members.size();
}

// ---- operations ----------------------------------------------------------------------------

// A value placed inside `enclosing` containers must not take the document past max_depth_.
void Splicer::check_depth(std::size_t enclosing, std::string_view value) const {
    std::size_t depth = enclosing + nesting_depth(value);
    if (depth > max_depth_)
        throw OperationError("the result would nest " + std::to_string(depth) +
                             " levels deep, deeper than the maximum depth of " +
                             std::to_string(max_depth_));
}

// value wrapped in the containers that path[from...] says are missing: {"key": ...} for a name,
// [...] for [0] or "-". Built in one pass, so a long missing path costs its length.
std::string Splicer::missing_values(const Path& path, std::size_t from,
                                    std::string_view value) const {
    std::string opening, closing;
    for (std::size_t i = from; i < path.size(); ++i) {
        const PathToken& token = path[i];
        if (token.index && !starts_array(token))
            throw OperationError(describe(path, i) +
                                 " does not exist, and a new array starts at "
                                 "[0] or -, not [" +
                                 token.name + "]");
        opening += starts_array(token) ? "[" : "{" + key_literal(token.name) + ":";
        closing += starts_array(token) ? ']' : '}';
    }
    std::reverse(closing.begin(), closing.end());
    return opening + std::string(value) + closing;
}

void Splicer::set(const Path& path, std::string_view value) {
    check_depth(path.size(), value);
    Location location = locate(path);
    if (location.resolved == path.size()) return replace_value(location, value);
    if (location.miss != Miss::missing) fail(path, location);
    const Container& parent = *location.parent;
    const PathToken& token = path[location.resolved];
    std::string created = missing_values(path, location.resolved + 1, value);
    if (!parent.object) {
        auto index = token.from_end() ? std::nullopt : array_index(token.name);
        bool at_end = token.name == "-" || (index && *index == parent.members.size());
        if (!at_end) fail(path, location);
        return insert_last(parent, location.enclosing, nullptr, created);
    }
    insert_last(parent, location.enclosing, &token.name, created);
}

void Splicer::add(const Path& path, std::string_view value) {
    check_depth(path.size(), value);
    Location location = locate(path);
    bool found = location.resolved == path.size();
    if (found && (path.empty() || location.parent->object)) return replace_value(location, value);
    if (found) return insert_before(*location.parent, location.index, value);
    if (location.resolved + 1 < path.size() || location.miss != Miss::missing) fail(path, location);
    const PathToken& token = path.back();
    if (location.parent->object)
        return insert_last(*location.parent, location.enclosing, &token.name, value);
    auto index = array_index(token.name);
    if (token.name != "-" && (!index || *index != location.parent->members.size()))
        throw OperationError(describe(path, path.size()) + ": array index out of range");
    insert_last(*location.parent, location.enclosing, nullptr, value);
}

void Splicer::replace(const Path& path, std::string_view value) {
    check_depth(path.size(), value);
    replace_value(require(path), value);
}

void Splicer::remove(const Path& path) {
    if (path.empty()) throw OperationError("the root cannot be removed");
    Location location = require(path);
    remove_member(*location.parent, location.index);
}

void Splicer::append(const Path& path, std::string_view value) {
    check_depth(path.size() + 1, value);
    Location location = locate(path);
    if (location.resolved < path.size()) {
        if (location.miss != Miss::missing) fail(path, location);
        return set(path, "[" + std::string(value) + "]");
    }
    if (view()[location.begin] != '[')
        throw OperationError(describe(path, path.size()) + " is not an array");
    std::size_t enclosing = location.parent ? location.parent->open : npos;
    insert_last(list_members(view(), location.begin), enclosing, nullptr, value);
}

// ---- layout --------------------------------------------------------------------------------

bool Splicer::spans_lines(const Container& container) const {
    if (container.members.empty()) return !style_.indent.empty();
    auto inside = view().substr(container.open, container.close - container.open);
    return !style_.indent.empty() && inside.find('\n') != npos;
}

// Whether the container opening at `enclosing` (npos: none, the value is the root) is laid out
// on several lines, so that a value inside it may be too.
bool Splicer::encloses_lines(std::size_t enclosing) const {
    if (style_.indent.empty()) return false;
    if (enclosing == npos) return true;
    std::size_t close = skip_value(view(), enclosing);
    return view().substr(enclosing, close - enclosing).find('\n') != npos;
}

// The whitespace that goes after a comma before the member at index.
std::string Splicer::separator(const Container& container, std::size_t index) const {
    const auto& members = container.members;
    auto gap_before = [&](std::size_t i) {
        std::size_t from = i == 0 ? container.open + 1 : members[i - 1].comma + 1;
        return view().substr(from, members[i].begin() - from);
    };
    if (gap_before(index).find('\n') != npos)
        return style_.newline + std::string(line_indent(view(), members[index].begin()));
    if (members.size() >= 2 && is_blank(gap_before(1))) return std::string(gap_before(1));
    return style_.comma.substr(1);
}

std::string_view Splicer::colon(const Container& container) const {
    if (!container.object || container.members.empty()) return style_.colon;
    const Member& first = container.members.front();
    auto written = view().substr(first.key_end, first.value_begin - first.key_end);
    bool plain = written.find_first_not_of(" \t:") == npos && written.find(':') != npos;
    return plain ? written : std::string_view(style_.colon);
}

std::string Splicer::member_text(const Container& container, const std::string* key,
                                 std::string_view value, std::string_view base,
                                 bool multiline) const {
    std::string text;
    if (key) text = key_literal(*key) + std::string(colon(container));
    return text + reformat(value, style_, base, multiline);
}

// The end of pos's line's trailing comments: a member's comment stays with it.
std::size_t Splicer::line_tail(std::size_t pos) const {
    while (true) {
        std::size_t next = view().find_first_not_of(" \t", pos);
        if (next == npos || view()[next] != '/' || next + 1 >= view().size()) return pos;
        if (view()[next + 1] == '/') {
            std::size_t end = view().find_first_of(std::string_view("\r\n\0", 3), next);
            return end == npos || view()[end] == '\0' ? pos : end;
        }
        std::size_t end = view().find("*/", next + 2);
        if (end == npos || view().find('\n', next) < end) return pos;
        pos = end + 2;
    }
}

// Whether member stands on lines of its own: only blanks before it on its first line, and after
// it (its comma and a comment included) nothing but the line's end. Sets [from, to) to those
// whole lines, line break included.
bool Splicer::own_lines(const Member& member, std::size_t& from, std::size_t& to) const {
    std::size_t begin = member.begin();
    std::size_t newline = begin == 0 ? npos : view().rfind('\n', begin - 1);
    from = newline == npos ? 0 : newline + 1;
    if (newline == npos || view().find_first_not_of(" \t", from) != begin) return false;
    std::size_t after = member.value_end;
    if (member.comma != npos) {
        if (view().find_first_not_of(" \t", line_tail(after)) != member.comma) return false;
        after = member.comma + 1;
    }
    std::size_t end = view().find_first_not_of(" \t", line_tail(after));
    if (end != npos && view().compare(end, 2, "\r\n") == 0) ++end;
    if (end == npos || view()[end] != '\n') return false;
    to = end + 1;
    return true;
}

// A one-line value replaced by a short one stays on one line: the new value, printed on one
// line, fits where the old one was within 80 columns (or the old line's length, if longer).
bool Splicer::fits_one_line(std::size_t begin, std::size_t end, std::string_view value) const {
    std::string_view old = view().substr(begin, end - begin);
    if (!is_container(old, 0) || old.find('\n') != npos) return false;
    std::size_t line_start = view().rfind('\n', begin == 0 ? 0 : begin - 1);
    line_start = line_start == npos || begin == 0 ? 0 : line_start + 1;
    std::size_t line_end = std::min(view().find('\n', end), view().size());
    std::size_t width = std::max<std::size_t>(80, line_end - line_start);
    std::size_t printed = reformat(value, style_, "", false).size();
    return line_end - line_start - old.size() + printed <= width;
}

// ---- edits ---------------------------------------------------------------------------------

void Splicer::replace_value(const Location& location, std::string_view value) {
    bool multiline = location.parent ? spans_lines(*location.parent) : !style_.indent.empty();
    if (multiline && fits_one_line(location.begin, location.end, value)) multiline = false;
    std::string printed = reformat(value, style_, line_indent(view(), location.begin), multiline);
    if (is_container(view(), location.begin) && is_container(printed, 0) &&
        list_members(view(), location.begin).trailing_comma()) {
        // The container replaced ended with a trailing comma: so does the new one, unless empty.
        std::size_t last = printed.find_last_not_of(" \t\r\n", printed.size() - 2);
        if (last > 0) printed.insert(last + 1, ",");
    }
    apply({location.begin, location.end, std::move(printed)});
}

void Splicer::insert_last(const Container& container, std::size_t enclosing, const std::string* key,
                          std::string_view value) {
    if (container.members.empty()) return insert_into_empty(container, enclosing, key, value);
    const Member& last = container.members.back();
    std::string lead = separator(container, container.members.size() - 1);
    bool multiline = spans_lines(container);
    std::string_view base = multiline ? line_indent(view(), last.begin()) : "";
    std::string member = member_text(container, key, value, base, multiline);
    bool new_line = lead.find('\n') != npos;
    if (container.trailing_comma()) {  // the new member ends with one too
        std::size_t at = new_line ? line_tail(last.comma + 1) : last.comma + 1;
        return apply({at, at, lead + member + ","});
    }
    std::size_t tail = new_line ? line_tail(last.value_end) : last.value_end;
    std::string text =
        "," + std::string(view().substr(last.value_end, tail - last.value_end)) + lead + member;
    apply({last.value_end, tail, std::move(text)});
}

void Splicer::insert_before(const Container& container, std::size_t index, std::string_view value) {
    std::size_t at = container.members[index].begin();
    bool multiline = spans_lines(container);
    std::string_view base = multiline ? line_indent(view(), at) : "";
    std::string text =
        member_text(container, nullptr, value, base, multiline) + "," + separator(container, index);
    apply({at, at, std::move(text)});
}

// An empty container is filled on several lines only where the container around it is: a
// member merged into {"tls": {}} inside a one-line object stays on that line.
void Splicer::insert_into_empty(const Container& container, std::size_t enclosing,
                                const std::string* key, std::string_view value) {
    std::size_t inner = container.open + 1;
    bool blank = is_blank(view().substr(inner, container.close - inner));
    if (!encloses_lines(enclosing)) {
        std::string text = member_text(container, key, value, "", false);
        return apply({inner, blank ? container.close : inner, std::move(text)});
    }
    std::string base(line_indent(view(), container.open));
    std::string text = style_.newline + base + style_.indent +
                       member_text(container, key, value, base + style_.indent, true);
    if (blank) text += style_.newline + base;
    apply({inner, blank ? container.close : inner, std::move(text)});
}

void Splicer::remove_member(const Container& container, std::size_t index) {
    const auto& members = container.members;
    const Member& member = members[index];
    if (members.size() == 1) return remove_only(container);
    bool last = index + 1 == members.size();
    std::size_t from = 0, to = 0;
    if (own_lines(member, from, to) && (!last || member.comma != npos))
        return apply({from, to, ""});
    if (!last) return apply({member.begin(), members[index + 1].begin(), ""});
    if (member.comma != npos)  // `[1, 2,]` becomes `[1,]`: the trailing comma stays
        return apply({members[index - 1].comma + 1, member.comma + 1, ""});
    remove_last(container);
}

// The only member: the container becomes empty when nothing else is inside (`{}`), otherwise
// the member leaves with its lines, or alone, and the comments around it stay.
void Splicer::remove_only(const Container& container) {
    const Member& member = container.members.front();
    std::size_t from = 0, to = 0;
    bool lines = own_lines(member, from, to);
    if (!lines) {
        from = member.begin();
        to = member.comma != npos ? member.comma + 1 : member.value_end;
    }
    std::string_view text = view();
    bool empty = is_blank(text.substr(container.open + 1, from - container.open - 1)) &&
                 is_blank(text.substr(to, container.close - to));
    if (empty) return apply({container.open + 1, container.close, ""});
    apply({from, to, ""});
}

// Removes the last member and the comma before it; a member alone on its line leaves with its
// line and its trailing comment, so the lines around it are untouched.
void Splicer::remove_last(const Container& container) {
    const Member& last = container.members.back();
    const Member& previous = container.members[container.members.size() - 2];
    std::size_t comma = previous.comma;
    std::size_t newline = view().rfind('\n', last.begin());
    std::size_t line_start = newline == npos ? 0 : newline + 1;
    std::size_t line_break = newline;
    if (newline != npos && newline > 0 && view()[newline - 1] == '\r') --line_break;
    bool own_line = newline != npos && line_break > comma &&
                    is_blank(view().substr(line_start, last.begin() - line_start));
    if (!own_line) return apply({previous.value_end, last.value_end, ""});
    std::size_t tail = line_tail(last.value_end);
    // The comments kept between the comma and the member's line must not swallow what followed
    // the member on its line (`// note` then `]`): then the line break stays too.
    std::size_t rest = view().find_first_not_of(" \t", tail);
    bool line_continues = rest != npos && view()[rest] != '\n' && view()[rest] != '\r';
    std::string_view gap = view().substr(comma + 1, line_break - comma - 1);
    std::size_t kept_end = line_continues && ends_in_line_comment(gap) ? line_start : line_break;
    apply({comma, tail, std::string(view().substr(comma + 1, kept_end - comma - 1))});
}

// ---- text ----------------------------------------------------------------------------------

void Splicer::apply(Edit edit) {
    materialize();
    if (view().compare(edit.begin, edit.end - edit.begin, edit.text) == 0) return;
    pending_ = std::move(edit);
}

void Splicer::materialize() {
    if (!pending_) return;
    Edit edit = std::move(*pending_);
    pending_.reset();
    deep_ = SpanIndex();
    if (kept_original_) {
        edited_.replace(edit.begin, edit.end - edit.begin, edit.text);
        return;
    }
    std::string_view original = base();
    edited_.reserve(original.size() + edit.text.size());
    edited_.append(original.substr(0, edit.begin))
        .append(edit.text)
        .append(original.substr(edit.end));
    kept_original_ = true;
}

bool Splicer::changed() const {
    if (kept_original_) {
        auto parts = pieces();
        std::string_view original = base();
        std::size_t a = parts[0].size(), b = parts[1].size(), c = parts[2].size();
        return a + b + c != original.size() || original.substr(0, a) != parts[0] ||
               original.substr(a, b) != parts[1] || original.substr(a + b) != parts[2];
    }
    return pending_.has_value();
}

void Splicer::revert() {
    pending_.reset();
    if (!kept_original_) return;
    deep_ = SpanIndex();
    edited_ = std::string();
    kept_original_ = false;  // the validated text again: shallow_ describes it
}

std::array<std::string_view, 3> Splicer::pieces() const {
    std::string_view text = view();
    if (!pending_) return {text, {}, {}};
    return {text.substr(0, pending_->begin), pending_->text, text.substr(pending_->end)};
}

const std::string& Splicer::text() {
    materialize();
    if (kept_original_) return edited_;
    if (!owner_) return base_;
    if (laid_out_.size() != external_.size()) laid_out_ = std::string(external_);
    return laid_out_;
}

}  // namespace atomfile::json::detail
