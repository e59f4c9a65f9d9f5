// The public API (atomfile/json.hpp) over the splicer: paths parsed from text, values converted
// from nlohmann::json, edits made all or nothing, and update() through AtomicFile.
#include <future>
#include <new>
#include <utility>
#include <vector>

#include "atomfile/error.hpp"
#include "atomfile/json.hpp"
#include "json_document.hpp"
#include "json_format.hpp"
#include "json_patch.hpp"
#include "json_path.hpp"
#include "json_scanner.hpp"

namespace atomfile::json {

// ---- errors ----------------------------------------------------------------------------------

namespace {

class Category : public std::error_category {
  public:
    const char* name() const noexcept override { return "atomfile.json"; }
    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
            case errc::invalid_json:
                return "invalid JSON";
            case errc::invalid_path:
                return "invalid path";
            case errc::operation_failed:
                return "operation failed";
            case errc::ambiguous_key:
                return "ambiguous key";
        }
        return "unknown JSON error";
    }
};

std::string parse_message(const std::string& reason, std::size_t line, std::size_t column,
                          const std::string& path) {
    if (path.empty()) return reason;
    return "atomfile: parse JSON '" + path + "': line " + std::to_string(line) + ", column " +
           std::to_string(column) + ": " + reason;
}

}  // namespace

const std::error_category& error_category() noexcept {
    static const Category category;
    return category;
}

std::error_code make_error_code(errc code) noexcept {
    return {static_cast<int>(code), error_category()};
}

JsonError::JsonError(errc code, const std::string& message)
    : std::system_error(make_error_code(code)), message_(message) {}

const char* JsonError::what() const noexcept {
    return message_.what();
}

ParseError::ParseError(const std::string& reason, std::size_t offset, std::size_t line,
                       std::size_t column, const std::string& path)
    : JsonError(errc::invalid_json, parse_message(reason, line, column, path)),
      offset_(offset),
      line_(line),
      column_(column),
      path_(path) {}

PathError::PathError(const std::string& message) : JsonError(errc::invalid_path, message) {}

OperationError::OperationError(const std::string& message, errc code) : JsonError(code, message) {}

AmbiguousKey::AmbiguousKey(const std::string& message)
    : OperationError(message, errc::ambiguous_key) {}

const char* type_name(Type type) noexcept {
    switch (type) {
        case Type::object:
            return "object";
        case Type::array:
            return "array";
        case Type::string:
            return "string";
        case Type::number:
            return "number";
        case Type::boolean:
            return "boolean";
        case Type::null:
            return "null";
    }
    return "null";
}

namespace {

// The noexcept overloads: the code the throwing form's exception carries.
template <class Function>
auto capture(std::error_code& ec, Function&& function) noexcept -> decltype(function()) {
    using Result = decltype(function());
    ec.clear();
    try {
        return function();
    } catch (const std::system_error& e) {
        ec = e.code();
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    } catch (...) {
        ec = std::make_error_code(std::errc::io_error);
    }
    if constexpr (!std::is_void_v<Result>) return Result{};
}

}  // namespace

// ---- documents -------------------------------------------------------------------------------

struct Document::Impl {
    detail::Splicer splicer;
    ParseOptions options;
    std::vector<DuplicateKey> duplicates;
    // parse_external_concurrently's check: whether the text is valid without duplicate keys.
    std::shared_future<bool> validation = {};
};

namespace {

detail::Path path_of(std::string_view text) {
    return detail::parse_path(text);
}

}  // namespace

void validate_path(std::string_view path) {
    path_of(path);
}

namespace {

// One JSON value given as text, validated as the document's own text is and trimmed of the
// space and comments around it. Duplicate keys are refused: which one is meant is unknown.
std::string value_text(std::string_view json, const ParseOptions& options) {
    detail::ScanReport report = detail::validate(json, options.max_depth, options.dialect);
    if (!report.duplicates.empty()) {
        const detail::DuplicateKey& duplicate = report.duplicates.front();
        std::size_t line = 0, column = 0;
        detail::line_and_column(json, duplicate.offset, line, column);
        throw ParseError("duplicate key \"" + duplicate.key + "\"", duplicate.offset, line, column);
    }
    return std::string(json.substr(report.root_begin, report.root_end - report.root_begin));
}

// nlohmann's compact printing, dump(), with the containers walked on an explicit stack:
// dump() recurses once per level, and a value may nest millions of levels deep. Scalars and
// keys are printed by dump() itself, so every spelling stays nlohmann's.
std::string compact_text(const nlohmann::json& value) {
    struct Open {
        const nlohmann::json* container;
        nlohmann::json::const_iterator next;
    };
    std::string text;
    std::vector<Open> open;
    const nlohmann::json* at = &value;
    while (true) {
        if (at && at->is_structured()) {
            text += at->is_object() ? '{' : '[';
            open.push_back({at, at->begin()});
        } else if (at) {
            text += at->dump();
        }
        if (open.empty()) return text;
        Open& top = open.back();
        if (top.next == top.container->end()) {
            text += top.container->is_object() ? '}' : ']';
            open.pop_back();
            at = nullptr;  // the container is done: its parent continues
            continue;
        }
        if (top.next != top.container->begin()) text += ',';
        if (top.container->is_object()) text += nlohmann::json(top.next.key()).dump() + ':';
        at = &*top.next++;
    }
}

// A string that is not UTF-8 cannot be JSON.
std::string value_text(const nlohmann::json& value) {
    try {
        return compact_text(value);
    } catch (const nlohmann::json::exception& e) {
        throw OperationError(std::string("the value cannot be written as JSON: ") + e.what());
    }
}

// Runs an edit of several steps so that a failure part way leaves the document as it was: an
// unedited document is reverted to its text, which it keeps anyway; an edited one is edited as a
// copy (a big file's merge or patch, the usual first edit, thus costs no second copy of it).
template <class Edit>
void all_or_nothing(detail::Splicer& splicer, Edit&& edit) {
    if (splicer.pristine()) {
        try {
            edit(splicer);
        } catch (...) {
            splicer.revert();
            throw;
        }
        return;
    }
    detail::Splicer copy = splicer;
    edit(copy);
    splicer = std::move(copy);
}

}  // namespace

Document::Document(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Document::Document(Document&&) noexcept = default;
Document& Document::operator=(Document&&) noexcept = default;
Document::Document(const Document& other) : impl_(std::make_unique<Impl>(*other.impl_)) {}
Document& Document::operator=(const Document& other) {
    if (this != &other) impl_ = std::make_unique<Impl>(*other.impl_);
    return *this;
}
Document::~Document() = default;

namespace {

// The duplicate keys of a freshly parsed document (its Impl), with their lines and columns.
template <class Impl>
void locate_duplicates(Impl& impl) {
    std::string_view text = impl.splicer.pieces()[0];  // unedited: the whole text
    for (const detail::DuplicateKey& found : impl.splicer.duplicates()) {
        DuplicateKey duplicate{found.key, found.offset, 0, 0};
        detail::line_and_column(text, found.offset, duplicate.line, duplicate.column);
        impl.duplicates.push_back(std::move(duplicate));
    }
}

}  // namespace

Document Document::parse(std::string text, const ParseOptions& options) {
    auto impl = std::make_unique<Impl>(
        Impl{detail::Splicer(std::move(text), options.max_depth, options.dialect), options, {}});
    locate_duplicates(*impl);
    return Document(std::move(impl));
}

Document Document::parse_external(std::string_view text, std::shared_ptr<const void> owner,
                                  const ParseOptions& options) {
    auto impl = std::make_unique<Impl>(Impl{
        detail::Splicer(text, std::move(owner), options.max_depth, options.dialect), options, {}});
    locate_duplicates(*impl);
    return Document(std::move(impl));
}

std::optional<Document> Document::parse_external(std::string_view text,
                                                 std::shared_ptr<const void> owner,
                                                 const ParseOptions& options,
                                                 std::error_code& ec) noexcept {
    return capture(ec, [&] {
        return std::optional<Document>(parse_external(text, std::move(owner), options));
    });
}

Document Document::parse_external_concurrently(std::string_view text,
                                               std::shared_ptr<const void> owner,
                                               const ParseOptions& options) {
    // The thread holds the owner: the text outlives it even if the document goes first (whose
    // last copy then waits for it, as a future of std::async does).
    auto check = [text, owner, options] {
        try {
            return detail::validate(text, options.max_depth, options.dialect).duplicates.empty();
        } catch (...) {  // invalid, or out of memory: parse_external says which
            return false;
        }
    };
    std::shared_future<bool> validation = std::async(std::launch::async, check).share();
    detail::Splicer splicer(text, std::move(owner), options.max_depth,
                            detail::Splicer::Unvalidated{});
    return Document(std::make_unique<Impl>(Impl{std::move(splicer), options, {}, validation}));
}

bool Document::validated() const {
    return !impl_->validation.valid() || impl_->validation.get();
}

std::optional<Document> Document::parse(std::string text, const ParseOptions& options,
                                        std::error_code& ec) noexcept {
    return capture(ec, [&] { return std::optional<Document>(parse(std::move(text), options)); });
}

bool Document::contains(std::string_view path) const {
    return impl_->splicer.contains(path_of(path));
}

namespace {

// What read gives for an existing path, nullopt for a missing one. The path is walked once when
// it exists (a lookup in a big file costs a pass over the text it crosses); a missing one is
// told apart from other failures afterwards.
template <class Read>
std::optional<std::string> read_existing(detail::Splicer& splicer, const detail::Path& path,
                                         Read&& read) {
    try {
        return read();
    } catch (const OperationError&) {
        if (splicer.contains(path)) throw;
        return std::nullopt;
    }
}

}  // namespace

std::optional<std::string> Document::get_text(std::string_view path) const {
    detail::Path parsed = path_of(path);
    return read_existing(impl_->splicer, parsed, [&] { return impl_->splicer.get(parsed); });
}

std::optional<nlohmann::json> Document::get(std::string_view path) const {
    std::optional<std::string> text = get_text(path);
    if (!text) return std::nullopt;
    // Printed compactly first: nlohmann reads neither comments nor trailing commas.
    detail::Style compact{"", "\n", ":", ",", false};
    try {
        return nlohmann::json::parse(detail::reformat(*text, compact, "", false));
    } catch (const nlohmann::json::exception& e) {
        throw OperationError(std::string(path) + ": " + e.what());
    }
}

std::optional<std::string> Document::print(std::string_view path) const {
    detail::Path parsed = path_of(path);
    return read_existing(impl_->splicer, parsed, [&] { return impl_->splicer.print(parsed); });
}

Type Document::type(std::string_view path) const {
    return impl_->splicer.type(path_of(path));
}

std::vector<std::string> Document::keys(std::string_view path) const {
    return impl_->splicer.member_names(path_of(path));
}

std::size_t Document::size(std::string_view path) const {
    return impl_->splicer.size(path_of(path));
}

bool Document::test(std::string_view path, const nlohmann::json& value) const {
    return detail::json_equal(impl_->splicer.get(path_of(path)), value_text(value));
}

bool Document::test_text(std::string_view path, std::string_view json) const {
    std::string value = value_text(json, impl_->options);
    return detail::json_equal(impl_->splicer.get(path_of(path)), value);
}

void Document::set(std::string_view path, const nlohmann::json& value) {
    impl_->splicer.set(path_of(path), value_text(value));
}

void Document::set(std::string_view path, const nlohmann::json& value,
                   std::error_code& ec) noexcept {
    capture(ec, [&] { set(path, value); });
}

void Document::set_text(std::string_view path, std::string_view json) {
    impl_->splicer.set(path_of(path), value_text(json, impl_->options));
}

bool Document::remove(std::string_view path) {
    detail::Path parsed = path_of(path);
    if (!impl_->splicer.contains(parsed)) return false;
    impl_->splicer.remove(parsed);
    return true;
}

bool Document::remove(std::string_view path, std::error_code& ec) noexcept {
    return capture(ec, [&] { return remove(path); });
}

void Document::append(std::string_view path, const nlohmann::json& value) {
    impl_->splicer.append(path_of(path), value_text(value));
}

void Document::append_text(std::string_view path, std::string_view json) {
    impl_->splicer.append(path_of(path), value_text(json, impl_->options));
}

void Document::merge(const nlohmann::json& patch) {
    std::string text = value_text(patch);
    all_or_nothing(impl_->splicer,
                   [&](detail::Splicer& splicer) { detail::apply_merge_patch(splicer, {}, text); });
}

void Document::merge(const nlohmann::json& patch, std::error_code& ec) noexcept {
    capture(ec, [&] { merge(patch); });
}

void Document::merge_text(std::string_view json) {
    std::string text = value_text(json, impl_->options);
    all_or_nothing(impl_->splicer,
                   [&](detail::Splicer& splicer) { detail::apply_merge_patch(splicer, {}, text); });
}

void Document::apply_patch(const nlohmann::json& patch) {
    std::string text = value_text(patch);
    all_or_nothing(impl_->splicer,
                   [&](detail::Splicer& splicer) { detail::apply_patch(splicer, text); });
}

void Document::apply_patch(const nlohmann::json& patch, std::error_code& ec) noexcept {
    capture(ec, [&] { apply_patch(patch); });
}

void Document::apply_patch_text(std::string_view json) {
    std::string text = value_text(json, impl_->options);
    all_or_nothing(impl_->splicer,
                   [&](detail::Splicer& splicer) { detail::apply_patch(splicer, text); });
}

const std::string& Document::text() const {
    return impl_->splicer.text();
}

std::array<std::string_view, 3> Document::pieces() const {
    return impl_->splicer.pieces();
}

bool Document::changed() const {
    return impl_->splicer.changed();
}

const std::vector<DuplicateKey>& Document::duplicates() const {
    return impl_->duplicates;
}

const std::string& Document::indent() const {
    return impl_->splicer.style().indent;
}

bool Document::indented() const {
    return impl_->splicer.style().indented;
}

void Document::set_indent(std::string unit) {
    impl_->splicer.set_indent(std::move(unit));
}

std::string Document::format(std::string_view json) const {
    const detail::Style& style = impl_->splicer.style();
    return detail::reformat(value_text(json, impl_->options), style, "", !style.indent.empty());
}

// ---- update ----------------------------------------------------------------------------------

namespace {

Document parse_file(std::string text, const PathArg& path, const ParseOptions& options) {
    try {
        return Document::parse(std::move(text), options);
    } catch (const ParseError& e) {
        throw ParseError(e.what(), e.offset(), e.line(), e.column(), path.str());
    }
}

}  // namespace

bool update(const PathArg& path, const Edit& edit, const ReplaceOptions& options,
            const ParseOptions& parse_options) {
    ReplaceOptions locked = options;
    locked.lock = true;
    AtomicFile file(path, locked);
    std::string text = file.read_original();
    bool fresh = text.empty();
    if (fresh) text = "{}\n";
    Document document = parse_file(std::move(text), path, parse_options);
    if (fresh) document.set_indent("  ");  // json-edit --create's layout, not one line
    edit(document);
    if (!document.changed()) {
        file.discard();
        return false;
    }
    for (std::string_view piece : document.pieces()) file.write(piece);
    file.commit();
    return file.replaced();
}

bool update(const PathArg& path, const Edit& edit, const ReplaceOptions& options,
            const ParseOptions& parse_options, std::error_code& ec) noexcept {
    return capture(ec, [&] { return update(path, edit, options, parse_options); });
}

bool update(const PathArg& path, const Edit& edit, std::error_code& ec) noexcept {
    return update(path, edit, {}, {}, ec);
}

}  // namespace atomfile::json
