// The fast validator's code, included by json_fast_validator.cpp once per instruction set, each
// time in a namespace of its own and with ATOMFILE_CLASSIFY_BYTES set to the bytes stage one
// compares at once: 16 (SSE2), 32 (AVX2) or 64 (AVX-512BW). Hence no include guard, and nothing
// here is included.

// The keys of the fast path's open objects: a vector whose push_back is inlined (GCC leaves
// std::vector's out of line, a call per key).
class KeyStack {
  public:
    std::size_t size() const { return size_; }
    void push_back(std::string_view key) {
        if (size_ == capacity_) grow();
        data_[size_++] = key;
    }
    void resize(std::size_t size) { size_ = std::min(size, size_); }  // shrinks only
    void clear() { size_ = 0; }
    const std::string_view* begin() const { return data_.get(); }
    const std::string_view* end() const { return data_.get() + size_; }
    const std::string_view& operator[](std::size_t i) const { return data_[i]; }

  private:
    [[gnu::noinline]] void grow() {
        capacity_ = std::max<std::size_t>(64, capacity_ * 2);
        auto bigger = std::make_unique<std::string_view[]>(capacity_);
        std::copy(begin(), end(), bigger.get());
        data_ = std::move(bigger);
    }
    std::unique_ptr<std::string_view[]> data_;
    std::size_t size_ = 0, capacity_ = 0;
};

// The fast path of validate(), a structural index in the manner of simdjson: stage one
// classifies the 64 bytes of a block at once (quotes that are not escaped, the inside of strings
// as a prefix XOR of those quotes, whitespace, brackets and separators) and checks what needs
// no context (escapes, UTF-8, control characters in strings); stage two steps only from one
// token to the next (a bracket, comma, colon, opening quote, or the first byte of a number or
// literal), so whitespace and the inside of strings cost a few vector instructions per 64 bytes
// instead of a branch per byte. It accepts only what Validator accepts, with the same report;
// anything else (a comment, any error, nesting past max_depth, a scalar document) makes it give
// up, and Validator reads the text from the start: comments and errors are rare in big files
// and cost little in small ones, and Validator alone words the messages.
class FastValidator {
  public:
    FastValidator(std::string_view text, std::size_t max_depth, Dialect dialect)
        : t_(text), max_depth_(max_depth), strict_(dialect == Dialect::strict) {}
    // False when the fast path gives up; report is then unspecified.
    bool run(ScanReport& report);
    // The two halves of validate_halves(): run_head reads [0, split), which must leave it just
    // after a comma or opening bracket inside an array; run_tail reads [split, end) as if it
    // began there, with the levels opened before split unknown. join() checks that each agrees
    // with the other and makes the report of the whole text.
    bool run_head(ScanReport& report, std::size_t split);
    bool run_tail(ScanReport& report, std::size_t split);
    static bool join(const FastValidator& head, const FastValidator& tail, ScanReport& report);

  private:
    // One open container. The keys of every open object share one stack (keys_), each object's
    // from keys_begin; a 64-bit filter of their hashes spares comparing a new key with the
    // others unless its bit is set, and an object past 16 keys gets a hash set.
    struct FastLevel {
        bool object = false;
        // The tail's bottom level, opened before the split; until a colon or a bracket tells,
        // its kind may be unknown.
        bool before_split = false, kind_known = true;
        std::size_t open = 0;
        std::size_t keys_begin = 0, decoded_begin = 0;
        std::uint64_t filter = 0;
        std::unique_ptr<std::unordered_set<std::string_view>> index;
    };

    enum class Expect {
        value,
        value_or_close,
        key,
        key_or_close,
        colon,
        after_value,
        done,
        any_member,           // after a comma in a level of unknown kind (the tail's)
        colon_or_after_value  // after a string there: a key if a colon follows
    };
    // A level opened before the split that the tail closed: its kind, the closing bracket's
    // position and (objects) the keys the tail saw in it.
    struct TailClose {
        bool object = false;
        std::size_t close = 0;
        std::vector<std::string> keys;
    };
    // A container the tail opened and closed directly inside a level opened before the split,
    // the `closed`-th level (from the innermost) that the tail closed: shallow if that one is.
    struct TailChild {
        std::size_t open = 0, close = 0, closed = 0;
    };
    struct Block {
        std::uint64_t quote = 0, backslash = 0, space = 0, op = 0, slash = 0, high = 0, control = 0;
    };
    bool check_block(std::size_t base, const Block& block, std::uint64_t in_string,
                     std::uint64_t escaped);
    [[gnu::noinline]] static Block exact_block(const char* p);
    bool scan(std::size_t from, std::size_t to);
    // Stage one of one block: false when the fast path gives up on it.
    bool classify_block(std::size_t base, std::size_t to, std::uint64_t& escape_carry,
                        std::uint64_t& in_string_carry, std::uint64_t& scalar_carry,
                        std::uint64_t& tokens);
    // One token in the state expect_, for scan()'s rare states (the tail's level of unknown
    // kind, after the root); its common states are labels of their own.
    bool step(std::size_t pos);
    [[gnu::noinline]] bool step_unknown(std::size_t pos);  // the tail's rare path
    bool close_before_split(std::size_t pos);
    void know_kind(bool object) {
        levels_[0].object = object;
        levels_[0].kind_known = true;
        if (depth_ == 1) note_innermost();
    }
    // What a comma in the innermost level is followed by, kept at hand for the commonest step.
    void note_innermost() {
        const FastLevel& level = levels_[depth_ - 1];
        if (!level.kind_known)
            after_comma_ = Expect::any_member;
        else if (level.object)
            after_comma_ = strict_ ? Expect::key : Expect::key_or_close;
        else
            after_comma_ = strict_ ? Expect::value : Expect::value_or_close;
    }
    [[gnu::always_inline]] bool scalar(std::size_t pos);
    [[gnu::always_inline]] bool open(std::size_t pos, bool object);
    [[gnu::always_inline]] bool close(std::size_t pos, char c);
    [[gnu::always_inline]] void add_key(std::size_t colon);
    [[gnu::noinline]] std::string_view decoded_key(std::size_t end);  // rare paths of add_key
    [[gnu::noinline]] void note_duplicate(std::string_view key);
    bool escape_since(std::size_t begin, std::size_t end) const;
    bool fresh_key(FastLevel& level, const char* data, std::size_t size);
    [[gnu::noinline]] bool known_key(const FastLevel& level, std::string_view key) const;
    [[gnu::noinline]] void index_keys(FastLevel& level, std::string_view key);
    void value_done(std::size_t end) {
        if (depth_ > 0) {
            expect_ = Expect::after_value;
            return;
        }
        report_->root_end = end;
        expect_ = Expect::done;
    }

    std::string_view t_;
    std::size_t max_depth_;
    bool strict_;
    std::size_t depth_ = 0;
    std::vector<FastLevel> levels_;
    KeyStack keys_;
    std::deque<std::string> decoded_;  // escaped keys, unescaped (a deque never moves them)
    std::size_t decoded_count_ = 0;    // decoded_.size(), which a deque computes at some cost
    Expect expect_ = Expect::value;
    Expect after_comma_ = Expect::value;
    std::size_t key_begin_ = 0;  // the opening quote of the key whose colon comes next
    std::size_t escape_resume_ = 0, utf8_resume_ = 0;  // where the last escape or sequence ended
    // The escapes that begin in the current block (one bit each), and where the last one before
    // it began (none: no_position), so a key knows whether it needs decoding.
    std::size_t block_base_ = 0;
    std::uint64_t block_escapes_ = 0;
    std::size_t last_escape_ = no_position;
    ScanReport* report_ = nullptr;
    // The tail's: levels opened before the split and closed in it, containers directly inside
    // them, and how deep beyond the split's level it went (relative to the levels it closed).
    bool tail_ = false;
    // Whether a container closed directly in the level the tail began in may be shallow: only
    // when that level is the root, so not when the root is an object (the split lies in an
    // array). Spares a text of records under a root object half a million entries.
    bool tail_bottom_children_shallow_ = true;
    std::vector<TailClose> tail_closes_;
    std::vector<TailChild> tail_children_;
    std::ptrdiff_t deepest_ = 0;
};

constexpr Table scalar_run_end_table = make_table(" \t\n\r,:[]{}\"/");

inline std::uint64_t bits16(__m128i mask, int i) {
    return static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(mask))) << (16 * i);
}

// Stage one's common case, 16 bytes: quotes, whitespace, brackets and separators, and in out[3]
// every byte that may need a closer look (slash, backslash, control characters, whitespace's
// among them, and non-ASCII bytes). A block whose only such bytes are whitespace needs nothing
// else; the others are classified again by classify_exact16.
[[gnu::always_inline]] inline void classify16(__m128i v, int i, std::uint64_t* out) {
    __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));  // '[' -> '{', ']' -> '}'
    out[0] |= bits16(equal16(v, '"'), i);
    out[1] |= bits16(_mm_or_si128(_mm_or_si128(equal16(v, ' '), equal16(v, '\n')),
                                  _mm_or_si128(equal16(v, '\r'), equal16(v, '\t'))),
                     i);
    out[2] |= bits16(_mm_or_si128(_mm_or_si128(equal16(folded, '{'), equal16(folded, '}')),
                                  _mm_or_si128(equal16(v, ','), equal16(v, ':'))),
                     i);
    out[3] |= bits16(_mm_or_si128(_mm_or_si128(equal16(v, '/'), equal16(v, '\\')),
                                  _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))),  // and every high byte
                     i);
}

#if ATOMFILE_CLASSIFY_BYTES == 32
inline std::uint64_t bits32(__m256i mask, int i) {
    return static_cast<std::uint64_t>(static_cast<unsigned>(_mm256_movemask_epi8(mask)))
           << (32 * i);
}

inline __m256i equal32(__m256i v, char c) {
    return _mm256_cmpeq_epi8(v, _mm256_set1_epi8(c));
}

// classify16's classes for 32 bytes (AVX2).
[[gnu::always_inline]] inline void classify32(const char* p, int i, std::uint64_t* out) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i folded = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
    out[0] |= bits32(equal32(v, '"'), i);
    out[1] |= bits32(_mm256_or_si256(_mm256_or_si256(equal32(v, ' '), equal32(v, '\n')),
                                     _mm256_or_si256(equal32(v, '\r'), equal32(v, '\t'))),
                     i);
    out[2] |= bits32(_mm256_or_si256(_mm256_or_si256(equal32(folded, '{'), equal32(folded, '}')),
                                     _mm256_or_si256(equal32(v, ','), equal32(v, ':'))),
                     i);
    out[3] |= bits32(_mm256_or_si256(_mm256_or_si256(equal32(v, '/'), equal32(v, '\\')),
                                     _mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), v)),
                     i);
}
#endif

#if ATOMFILE_CLASSIFY_BYTES == 64
inline std::uint64_t equal64(__m512i v, char c) {
    return _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(c));
}

// classify16's classes for the 64 bytes at once (AVX-512BW): compares give the bits directly.
[[gnu::always_inline]] inline void classify64(const char* p, std::uint64_t* out) {
    const __m512i v = _mm512_loadu_si512(p);
    const __m512i folded = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
    out[0] = equal64(v, '"');
    out[1] = equal64(v, ' ') | equal64(v, '\n') | equal64(v, '\r') | equal64(v, '\t');
    out[2] = equal64(folded, '{') | equal64(folded, '}') | equal64(v, ',') | equal64(v, ':');
    out[3] = equal64(v, '/') | equal64(v, '\\') | _mm512_cmplt_epi8_mask(v, _mm512_set1_epi8(0x20));
}
#endif

// Every class apart: quote, backslash, space, bracket or separator, slash, high, control.
[[gnu::always_inline]] inline void classify_exact16(__m128i v, int i, std::uint64_t* out) {
    __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));  // '[' -> '{', ']' -> '}'
    out[0] |= bits16(equal16(v, '"'), i);
    out[1] |= bits16(equal16(v, '\\'), i);
    out[2] |= bits16(_mm_or_si128(_mm_or_si128(equal16(v, ' '), equal16(v, '\n')),
                                  _mm_or_si128(equal16(v, '\r'), equal16(v, '\t'))),
                     i);
    out[3] |= bits16(_mm_or_si128(_mm_or_si128(equal16(folded, '{'), equal16(folded, '}')),
                                  _mm_or_si128(equal16(v, ','), equal16(v, ':'))),
                     i);
    out[4] |= bits16(equal16(v, '/'), i);
    out[5] |= bits16(v, i);
    out[6] |= bits16(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)), i);  // and every high byte
}

// The classes of 64 bytes apart, for the blocks classify16 leaves in doubt.
FastValidator::Block FastValidator::exact_block(const char* p) {
    std::uint64_t bits[7] = {};
    classify_exact16(load16(p), 0, bits);
    classify_exact16(load16(p + 16), 1, bits);
    classify_exact16(load16(p + 32), 2, bits);
    classify_exact16(load16(p + 48), 3, bits);
    return Block{bits[0], bits[1], bits[2], bits[3], bits[4], bits[5], bits[6] & ~bits[5]};
}

// The characters that backslashes escape; carry says the block starts with one.
inline std::uint64_t escaped_by(std::uint64_t backslashes, std::uint64_t& carry) {
    std::uint64_t escaped = carry;
    backslashes &= ~carry;
    carry = 0;
    while (backslashes) {
        unsigned i = static_cast<unsigned>(__builtin_ctzll(backslashes));
        if (i == 63) {
            carry = 1;
            break;
        }
        escaped |= std::uint64_t{2} << i;
        backslashes &= ~(std::uint64_t{3} << i);
    }
    return escaped;
}

// Each bit the XOR of those up to it: the inside of strings from their quotes.
inline std::uint64_t prefix_xor(std::uint64_t bits) {
#if ATOMFILE_CLASSIFY_BYTES > 16
    // A carry-less product by all ones: one instruction for the six steps below.
    const __m128i product =
        _mm_clmulepi64_si128(_mm_set_epi64x(0, static_cast<long long>(bits)), _mm_set1_epi8(-1), 0);
    return static_cast<std::uint64_t>(_mm_cvtsi128_si64(product));
#else
    // Unrolled by hand: GCC's -O2 keeps the loop, a branch per shift.
    bits ^= bits << 1;
    bits ^= bits << 2;
    bits ^= bits << 4;
    bits ^= bits << 8;
    bits ^= bits << 16;
    bits ^= bits << 32;
    return bits;
#endif
}

// What must hold of the bytes of a block, tokens aside: no comment, stray backslash or non-ASCII
// byte outside strings, no control character inside one, valid escapes and UTF-8.
bool FastValidator::check_block(std::size_t base, const Block& block, std::uint64_t in_string,
                                std::uint64_t escaped) {
    std::uint64_t outside = ~(in_string | block.quote);
    if ((block.slash | block.high | block.backslash) & outside) return false;
    if (block.control & in_string) return false;
    block_escapes_ = block.backslash & ~escaped & in_string;
    for (std::uint64_t starts = block_escapes_; starts; starts &= starts - 1) {
        std::size_t pos = base + static_cast<std::size_t>(__builtin_ctzll(starts));
        if (pos < escape_resume_) continue;  // the second half of a surrogate pair
        long code_point = 0;
        std::size_t length = escape_length(t_, pos, code_point);
        if (length == 0) return false;
        escape_resume_ = pos + length;
    }
    for (std::uint64_t high = block.high; high; high &= high - 1) {
        std::size_t pos = base + static_cast<std::size_t>(__builtin_ctzll(high));
        if (pos < utf8_resume_) continue;
        std::size_t length = utf8_length(t_, pos);
        if (length == 0) return false;
        utf8_resume_ = pos + length;
    }
    return true;
}

bool FastValidator::run(ScanReport& report) {
    report_ = &report;
    std::size_t start = after_bom(t_);
    if (!scan(start, t_.size()) || expect_ != Expect::done) return false;
    sort_spans(report.shallow);
    return true;
}

bool FastValidator::run_head(ScanReport& report, std::size_t split) {
    report_ = &report;
    std::size_t start = after_bom(t_);
    if (!scan(start, split) || depth_ == 0 || levels_[depth_ - 1].object) return false;
    return expect_ == Expect::value || expect_ == Expect::value_or_close;
}

bool FastValidator::run_tail(ScanReport& report, std::size_t split) {
    report_ = &report;
    tail_ = true;
    std::size_t root = after_bom(t_);
    while (root < split && space_table[at(t_, root)]) ++root;
    tail_bottom_children_shallow_ = t_[root] != '{';  // a comment first: cannot tell
    levels_.emplace_back();
    levels_[0].before_split = true;  // an array, as the head must confirm
    depth_ = 1;
    note_innermost();
    expect_ = strict_ ? Expect::value : Expect::value_or_close;
    // Ends having closed the levels before the split, and nothing it opened.
    return scan(split, t_.size()) && depth_ == 1 && !tail_closes_.empty() &&
           expect_ == Expect::after_value;
}

// Stage one and two over [from, to): false when the fast path gives up or to lies in a string.
// Stage two is threaded: each state is a label that takes the next token and jumps to the state
// it leads to, so the state lives in the program counter (expect_ is written only when a block
// runs out of tokens) and each state's test of the character is a branch of its own, which the
// predictor learns apart, rather than one indirect jump per token.
bool FastValidator::scan(std::size_t from, std::size_t to) {
    std::uint64_t escape_carry = 0, in_string_carry = 0, scalar_carry = 0;
    std::size_t pos = 0;
    char c = 0;
    const char* const data = t_.data();  // kept in a register: the steps store to members
    for (std::size_t base = from; base < to; base += 64) {
        // The last escape of the block before, now that its tokens are done with.
        if (block_escapes_)
            last_escape_ =
                block_base_ + 63 - static_cast<std::size_t>(__builtin_clzll(block_escapes_));
        std::uint64_t tokens = 0;
        if (!classify_block(base, to, escape_carry, in_string_carry, scalar_carry, tokens))
            return false;
        block_base_ = base;
// The next token of this block into pos and c; when there is none, the state is kept in expect_
// for the next block.
#define ATOMFILE_NEXT_TOKEN(state)                               \
    if (!tokens) {                                               \
        expect_ = state;                                         \
        continue;                                                \
    }                                                            \
    pos = base + static_cast<unsigned>(__builtin_ctzll(tokens)); \
    tokens &= tokens - 1;                                        \
    c = data[pos]
// Jumps to the label of the state in expect_: at a block's start, and after a rare step.
#define ATOMFILE_RESUME()            \
    switch (expect_) {               \
        case Expect::after_value:    \
            goto after_value;        \
        case Expect::key_or_close:   \
            goto key_or_close;       \
        case Expect::key:            \
            goto key;                \
        case Expect::colon:          \
            goto colon;              \
        case Expect::value_or_close: \
            goto value_or_close;     \
        case Expect::value:          \
            goto value;              \
        default:                     \
            goto rare;               \
    }
        ATOMFILE_RESUME();
    after_value:
        ATOMFILE_NEXT_TOKEN(Expect::after_value);
        if (c != ',') goto close_token;
        if (after_comma_ == Expect::key_or_close) goto key_or_close;
        if (after_comma_ == Expect::value_or_close) goto value_or_close;
        if (after_comma_ == Expect::key) goto key;
        if (after_comma_ == Expect::value) goto element;
        expect_ = after_comma_;
        goto rare;
    // After a value whose level the jump to here tells: a comma needs no look at the level.
    member_done:
        ATOMFILE_NEXT_TOKEN(Expect::after_value);
        if (c != ',') goto close_token;
        if (strict_) goto key;
        goto key_or_close;
    element_done:
        ATOMFILE_NEXT_TOKEN(Expect::after_value);
        if (c != ',') goto close_token;
        if (strict_) goto element;
        goto value_or_close;
    key_or_close:
        ATOMFILE_NEXT_TOKEN(Expect::key_or_close);
        if (c == '}') goto close_token;
        goto key_token;
    key:
        ATOMFILE_NEXT_TOKEN(Expect::key);
    key_token:
        if (c != '"') return false;
        key_begin_ = pos;
    colon:
        ATOMFILE_NEXT_TOKEN(Expect::colon);
        if (c != ':') return false;
        add_key(pos);
        ATOMFILE_NEXT_TOKEN(Expect::value);
    member_value_token:
        if (c == '"') goto member_done;
        if (c == '{') goto open_object;
        if (c == '[') goto open_array;
        if (!scalar(pos)) return false;
        goto member_done;
    value_or_close:
        ATOMFILE_NEXT_TOKEN(Expect::value_or_close);
        if (c == ']') goto close_token;
        goto element_token;
    element:
        ATOMFILE_NEXT_TOKEN(Expect::value);
    element_token:
        if (c == '"') goto element_done;
        if (c == '{') goto open_object;
        if (c == '[') goto open_array;
        if (!scalar(pos)) return false;
        goto element_done;
    value:  // the state a block began in: the root's value, or a member's or an element's
        ATOMFILE_NEXT_TOKEN(Expect::value);
        if (depth_ > 0) {
            if (levels_[depth_ - 1].object) goto member_value_token;
            goto element_token;
        }
        if (c == '{') goto open_object;
        if (c == '[') goto open_array;
        return false;  // a scalar document: Validator's
    open_object:
        if (!open(pos, true)) return false;
        goto key_or_close;
    open_array:
        if (!open(pos, false)) return false;
        goto value_or_close;
    close_token:
        if (!close(pos, c)) return false;
        if (expect_ == Expect::after_value) goto after_value;
        goto rare;  // the root closed
    rare:           // the tail's level of unknown kind, and after the root
        ATOMFILE_NEXT_TOKEN(expect_);
        if (!step(pos)) return false;
        ATOMFILE_RESUME();
#undef ATOMFILE_NEXT_TOKEN
#undef ATOMFILE_RESUME
    }
    if (block_escapes_)
        last_escape_ = block_base_ + 63 - static_cast<std::size_t>(__builtin_clzll(block_escapes_));
    return in_string_carry == 0;
}

// Stage one for the block at base: the positions of its tokens as bits.
inline bool FastValidator::classify_block(std::size_t base, std::size_t to,
                                          std::uint64_t& escape_carry,
                                          std::uint64_t& in_string_carry,
                                          std::uint64_t& scalar_carry, std::uint64_t& tokens) {
    std::uint64_t bits[4] = {};
    const char* p = t_.data() + base;
    char padded[64];
    if (base + 64 > to) {
        std::memset(padded, ' ', sizeof padded);
        std::memcpy(padded, p, to - base);
        p = padded;
    }
#if ATOMFILE_CLASSIFY_BYTES == 64
    classify64(p, bits);
#elif ATOMFILE_CLASSIFY_BYTES == 32
    classify32(p, 0, bits);
    classify32(p + 32, 1, bits);
#else
    // Unrolled by hand: constant shifts, and GCC's -O2 leaves such a loop rolled.
    classify16(load16(p), 0, bits);
    classify16(load16(p + 16), 1, bits);
    classify16(load16(p + 32), 2, bits);
    classify16(load16(p + 48), 3, bits);
#endif
    Block block;
    std::uint64_t in_string = 0;
    if ((bits[3] & ~bits[1]) == 0 && escape_carry == 0) {
        // No escape, comment, non-ASCII or control byte but whitespace: nothing to check
        // but that the whitespace lies outside strings.
        block.quote = bits[0];
        block.space = bits[1];
        block.op = bits[2];
        in_string = prefix_xor(block.quote) ^ in_string_carry;
        if (bits[3] & in_string) return false;
        block_escapes_ = 0;
    } else {
        block = exact_block(p);
        std::uint64_t escaped =
            block.backslash | escape_carry ? escaped_by(block.backslash, escape_carry) : 0;
        block.quote &= ~escaped;
        in_string = prefix_xor(block.quote) ^ in_string_carry;
        if (!check_block(base, block, in_string, escaped)) return false;
    }
    in_string_carry = static_cast<std::uint64_t>(static_cast<std::int64_t>(in_string) >> 63);
    std::uint64_t outside = ~(in_string | block.quote);
    std::uint64_t scalar_bytes = outside & ~block.space & ~block.op;
    std::uint64_t scalar_starts = scalar_bytes & ~(scalar_bytes << 1 | scalar_carry);
    scalar_carry = scalar_bytes >> 63;
    // Opening quotes only: a string's end needs no step (stage one checked its inside).
    tokens = (block.op & outside) | (block.quote & in_string) | scalar_starts;
    return true;
}

bool FastValidator::step(std::size_t pos) {
    char c = t_[pos];
    switch (expect_) {
        case Expect::after_value:
            if (c != ',') return close(pos, c);
            expect_ = after_comma_;
            return true;
        case Expect::key_or_close:
            if (c == '}') return close(pos, c);
            [[fallthrough]];
        case Expect::key:
            key_begin_ = pos;
            expect_ = Expect::colon;
            return c == '"';
        case Expect::colon:
            if (c != ':') return false;
            add_key(pos);
            expect_ = Expect::value;
            return true;
        case Expect::value_or_close:
            if (c == ']') return close(pos, c);
            [[fallthrough]];
        case Expect::value:
            if (c == '"') {
                if (depth_ == 0) return false;  // a string document: Validator's
                expect_ = Expect::after_value;
                return true;
            }
            if (c == '{' || c == '[') return open(pos, c == '{');
            if (depth_ == 0 || !scalar(pos)) return false;
            expect_ = Expect::after_value;
            return true;
        case Expect::any_member:
        case Expect::colon_or_after_value:
            return step_unknown(pos);
        case Expect::done:
            break;
    }
    return false;
}

// The tail's level opened before the split, of a kind not known yet (after it closed one such
// level, the next is as unknown): the first member after a comma tells, or its closing bracket.
bool FastValidator::step_unknown(std::size_t pos) {
    char c = t_[pos];
    if (expect_ == Expect::colon_or_after_value) {  // the string was a key, or a value
        know_kind(c == ':');
        if (c != ':') {
            expect_ = Expect::after_value;
            return step(pos);
        }
        add_key(pos);
        expect_ = Expect::value;
        return true;
    }
    if (c == '"') {
        key_begin_ = pos;
        expect_ = Expect::colon_or_after_value;
        return true;
    }
    if (c == '}' || c == ']') {  // JSONC's trailing comma
        if (strict_) return false;
        know_kind(c == '}');
        return close(pos, c);
    }
    know_kind(false);  // a value that is not a string: an array
    expect_ = Expect::value;
    return step(pos);
}

// Where true, false or null ends if one starts at p (pos in the text), with 5 bytes readable
// there; no_position if none does. Four bytes compared at once rather than through memcmp.
inline std::size_t literal_end(const char* p, std::size_t pos) {
    std::uint32_t word;
    std::memcpy(&word, p, 4);
    std::uint32_t want_true, want_null, want_fals;
    std::memcpy(&want_true, "true", 4);
    std::memcpy(&want_null, "null", 4);
    std::memcpy(&want_fals, "fals", 4);
    if (word == want_true || word == want_null) return pos + 4;
    if (word == want_fals && p[4] == 'e') return pos + 5;
    return no_position;
}

// The end of the number at p as RFC 8259 spells it (Validator::scan_number's grammar), or
// nullptr. Over pointers and inlined: numbers are most of a data file's scalars.
[[gnu::always_inline]] inline const char* number_end(const char* p, const char* end) {
    auto digit = [end](const char* q) {
        return q < end && static_cast<unsigned char>(*q - '0') < 10;
    };
    if (*p == '-') ++p;
    if (!digit(p)) return nullptr;
    if (*p == '0') {
        ++p;
    } else {
        do ++p;
        while (digit(p));
    }
    if (p < end && *p == '.') {
        if (!digit(++p)) return nullptr;
        do ++p;
        while (digit(p));
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        ++p;
        if (p < end && (*p == '+' || *p == '-')) ++p;
        if (!digit(p)) return nullptr;
        do ++p;
        while (digit(p));
    }
    return p;
}

// A number or literal: its bytes up to the next delimiter must be exactly one.
inline bool FastValidator::scalar(std::size_t pos) {
    std::size_t end = no_position;
    char c = t_[pos];
    if (c == '-' || (c >= '0' && c <= '9')) {
        const char* number = t_.data() + pos;
        const char* after = number_end(number, t_.data() + t_.size());
        if (after) end = pos + static_cast<std::size_t>(after - number);
    } else if (t_.size() - pos >= 5) {  // a word and at least one byte after it
        end = literal_end(t_.data() + pos, pos);
    } else {
        using namespace std::literals;
        std::string_view word = c == 't' ? "true"sv : c == 'f' ? "false"sv : "null"sv;
        if (t_.compare(pos, word.size(), word) == 0) end = pos + word.size();
    }
    return end != no_position && (end == t_.size() || scalar_run_end_table[at(t_, end)]);
}

inline bool FastValidator::open(std::size_t pos, bool object) {
    if (depth_ >= max_depth_) return false;
    if (tail_)
        deepest_ = std::max(deepest_, static_cast<std::ptrdiff_t>(depth_) -
                                          static_cast<std::ptrdiff_t>(tail_closes_.size()));
    if (depth_ == 0) report_->root_begin = pos;
    if (levels_.size() <= depth_) levels_.emplace_back();
    FastLevel& level = levels_[depth_++];
    level.object = object;
    level.open = pos;
    if (object) {
        level.keys_begin = keys_.size();
        level.decoded_begin = decoded_count_;
        level.filter = 0;
        level.index.reset();
    }
    expect_ = object ? Expect::key_or_close : Expect::value_or_close;
    note_innermost();
    return true;
}

inline bool FastValidator::close(std::size_t pos, char c) {
    if (depth_ == 0) return false;
    if (!levels_[depth_ - 1].kind_known) know_kind(c == '}');
    if (c != (levels_[depth_ - 1].object ? '}' : ']')) return false;
    FastLevel& level = levels_[depth_ - 1];
    if (level.before_split) return close_before_split(pos);
    if (tail_ && depth_ == 2 && (tail_bottom_children_shallow_ || !tail_closes_.empty()))
        tail_children_.push_back({level.open, pos + 1, tail_closes_.size()});
    else if (!tail_ && depth_ <= 2)
        report_->shallow.emplace_back(level.open, pos + 1);
    if (level.object) {
        keys_.resize(level.keys_begin);
        if (decoded_count_ != level.decoded_begin) {
            decoded_.resize(level.decoded_begin);
            decoded_count_ = level.decoded_begin;
        }
    }
    if (--depth_ > 0) note_innermost();
    value_done(pos + 1);
    return true;
}

// The tail closes a level opened before the split: the level below it takes its place, its
// kind unknown.
bool FastValidator::close_before_split(std::size_t pos) {
    FastLevel& level = levels_[0];
    TailClose closed{level.object, pos, {}};
    if (level.object) closed.keys.assign(keys_.begin(), keys_.end());
    tail_closes_.push_back(std::move(closed));
    keys_.clear();
    decoded_.clear();
    decoded_count_ = 0;
    level = FastLevel();
    level.before_split = true;
    level.kind_known = false;
    note_innermost();
    expect_ = Expect::after_value;
    return true;
}

bool FastValidator::join(const FastValidator& head, const FastValidator& tail, ScanReport& report) {
    const std::size_t depth = head.depth_;
    const auto& closes = tail.tail_closes_;
    if (closes.size() != depth || static_cast<std::ptrdiff_t>(depth) + tail.deepest_ >
                                      static_cast<std::ptrdiff_t>(head.max_depth_))
        return false;
    // Only space after the root's closing bracket.
    for (std::size_t p = closes.back().close + 1; p < head.t_.size(); ++p)
        if (!space_table[at(head.t_, p)]) return false;
    report = ScanReport();
    report.root_begin = head.report_->root_begin;
    report.root_end = closes.back().close + 1;
    // The halves' reports are scratch that ends here: the head's spans are moved, not copied
    // (a million records under a root array make 16 MB of them), with room for the tail's.
    report.duplicates = std::move(head.report_->duplicates);
    report.shallow = std::move(head.report_->shallow);
    report.shallow.reserve(report.shallow.size() + depth + tail.tail_children_.size());
    for (std::size_t i = 0; i < depth; ++i) {
        const std::size_t level = depth - 1 - i;  // the head's level the tail's i-th close ends
        const FastLevel& open = head.levels_[level];
        if (open.object != closes[i].object) return false;
        if (level < 2) report.shallow.emplace_back(open.open, closes[i].close + 1);
        if (!open.object || closes[i].keys.empty()) continue;
        // A key repeated across the split: the one-pass path words it.
        std::size_t keys_end = head.keys_.size();
        for (std::size_t above = level + 1; above < depth; ++above)
            if (head.levels_[above].object) {
                keys_end = head.levels_[above].keys_begin;
                break;
            }
        std::unordered_set<std::string_view> seen(
            head.keys_.begin() + static_cast<std::ptrdiff_t>(open.keys_begin),
            head.keys_.begin() + static_cast<std::ptrdiff_t>(keys_end));
        for (const std::string& key : closes[i].keys)
            if (seen.count(key)) return false;
    }
    for (const TailChild& child : tail.tail_children_)
        if (depth - child.closed <= 1) report.shallow.emplace_back(child.open, child.close);
    report.duplicates.insert(report.duplicates.end(), tail.report_->duplicates.begin(),
                             tail.report_->duplicates.end());
    sort_spans(report.shallow);
    return true;
}

inline bool FastValidator::fresh_key(FastLevel& level, const char* data, std::size_t size) {
    if (level.index) return level.index->emplace(data, size).second;
    unsigned hash = static_cast<unsigned>(size) * 7;
    if (size > 0)
        hash +=
            static_cast<unsigned char>(data[0]) * 31u + static_cast<unsigned char>(data[size - 1]);
    std::uint64_t bit = std::uint64_t{1} << (hash & 63);
    bool fresh = true;
    if (level.filter & bit) fresh = !known_key(level, std::string_view(data, size));
    level.filter |= bit;
    if (keys_.size() - level.keys_begin >= 16) index_keys(level, std::string_view(data, size));
    return fresh;
}

bool FastValidator::known_key(const FastLevel& level, std::string_view key) const {
    for (std::size_t i = level.keys_begin; i < keys_.size(); ++i)
        if (keys_[i] == key) return true;
    return false;
}

void FastValidator::index_keys(FastLevel& level, std::string_view key) {
    level.index = std::make_unique<std::unordered_set<std::string_view>>(
        keys_.begin() + static_cast<std::ptrdiff_t>(level.keys_begin), keys_.end());
    level.index->insert(key);
}

// The key ends at the last quote before its colon (only whitespace lies between).
inline void FastValidator::add_key(std::size_t colon) {
    std::size_t end = colon;
    while (t_[end - 1] != '"') --end;
    // The key as pointer and size, not a string_view copied whole: a 16-byte reload of a view
    // just stored in two halves stalls on store forwarding, once per key.
    const char* data = t_.data() + key_begin_ + 1;
    std::size_t size = end - key_begin_ - 2;
    // No escape in this block nor since the key began (the common case) is told at once.
    bool maybe_escaped =
        block_escapes_ != 0 || (last_escape_ != no_position && last_escape_ >= key_begin_);
    if (maybe_escaped && escape_since(key_begin_, end)) {
        std::string_view decoded = decoded_key(end);
        data = decoded.data();
        size = decoded.size();
    }
    if (!fresh_key(levels_[depth_ - 1], data, size)) note_duplicate(std::string_view(data, size));
    keys_.push_back(std::string_view(data, size));
}

std::string_view FastValidator::decoded_key(std::size_t end) {
    decoded_.emplace_back();
    ++decoded_count_;
    decode_json_string(t_.substr(key_begin_, end - key_begin_), decoded_.back());
    return decoded_.back();
}

void FastValidator::note_duplicate(std::string_view key) {
    report_->duplicates.push_back({std::string(key), key_begin_});
}

// Whether an escape begins in [begin, end), end lying in the current block or the one before.
bool FastValidator::escape_since(std::size_t begin, std::size_t end) const {
    if (last_escape_ != no_position && last_escape_ >= begin && last_escape_ < end) return true;
    if (end <= block_base_) return false;
    std::size_t from = std::max(begin, block_base_) - block_base_, to = end - block_base_;
    std::uint64_t below_to = to >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << to) - 1;
    return (block_escapes_ & below_to & ~((std::uint64_t{1} << from) - 1)) != 0;
}
