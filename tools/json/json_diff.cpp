#include "json/json_diff.hpp"

#include <algorithm>
#include <vector>

namespace atomfile::json {

namespace {

using Lines = std::vector<std::string_view>;

Lines split_lines(std::string_view text) {
    Lines lines;
    for (std::size_t start = 0; start < text.size();) {
        std::size_t end = std::min(text.find('\n', start), text.size() - 1) + 1;
        lines.push_back(text.substr(start, end - start));
        start = end;
    }
    return lines;
}

// A changed region: old lines [a_begin, a_end) became new lines [b_begin, b_end).
struct Block {
    std::size_t a_begin, a_end, b_begin, b_end;
};

// Myers' O(ND) shortest edit script between a[lo_a, hi_a) and b[lo_b, hi_b); false when it needs
// more than max_edits edits. Keeps only the diagonals each step can reach: O(D^2) memory.
bool myers(const Lines& a, const Lines& b, std::size_t lo_a, std::size_t hi_a, std::size_t lo_b,
           std::size_t hi_b, std::size_t max_edits, std::vector<Block>& blocks) {
    const long n = static_cast<long>(hi_a - lo_a), m = static_cast<long>(hi_b - lo_b);
    const long limit = std::min<long>(n + m, static_cast<long>(max_edits));
    std::vector<std::vector<long>> trace;  // trace[d][k + d] = furthest x on diagonal k
    std::vector<long> previous;
    long final_d = -1;
    for (long d = 0; d <= limit && final_d < 0; ++d) {
        std::vector<long> v(static_cast<std::size_t>(2 * d + 1));
        for (long k = -d; k <= d; k += 2) {
            auto get = [&](long kk) { return previous[static_cast<std::size_t>(kk + d - 1)]; };
            long x = d == 0                                             ? 0
                     : (k == -d || (k != d && get(k - 1) < get(k + 1))) ? get(k + 1)
                                                                        : get(k - 1) + 1;
            long y = x - k;
            while (x < n && y < m &&
                   a[lo_a + static_cast<std::size_t>(x)] == b[lo_b + static_cast<std::size_t>(y)])
                ++x, ++y;
            v[static_cast<std::size_t>(k + d)] = x;
            if (x >= n && y >= m) final_d = d;
        }
        trace.push_back(v);
        previous = std::move(v);
    }
    if (final_d < 0) return false;
    std::vector<Block> reversed;
    long x = n, y = m;
    for (long d = final_d; d > 0; --d) {
        const auto& prev = trace[static_cast<std::size_t>(d - 1)];
        auto get = [&](long kk) { return prev[static_cast<std::size_t>(kk + d - 1)]; };
        long k = x - y;
        bool down = k == -d || (k != d && get(k - 1) < get(k + 1));
        long prev_k = down ? k + 1 : k - 1;
        long prev_x = get(prev_k), prev_y = prev_x - prev_k;
        long step_x = down ? prev_x : prev_x + 1, step_y = step_x - k;
        reversed.push_back(
            {lo_a + static_cast<std::size_t>(prev_x), lo_a + static_cast<std::size_t>(step_x),
             lo_b + static_cast<std::size_t>(prev_y), lo_b + static_cast<std::size_t>(step_y)});
        x = prev_x, y = prev_y;
    }
    for (auto it = reversed.rbegin(); it != reversed.rend(); ++it) {
        if (!blocks.empty() && blocks.back().a_end == it->a_begin &&
            blocks.back().b_end == it->b_begin) {
            blocks.back().a_end = it->a_end, blocks.back().b_end = it->b_end;
        } else {
            blocks.push_back(*it);
        }
    }
    return true;
}

std::string hunk_range(std::size_t start, std::size_t count) {
    return std::to_string(count == 0 ? start : start + 1) + "," + std::to_string(count);
}

void emit(std::string& out, char kind, std::string_view line) {
    out += kind;
    out += line;
    if (line.empty() || line.back() != '\n') out += "\n\\ No newline at end of file\n";
}

void emit_hunk(std::string& out, const Lines& a, const Lines& b, const Block* first,
               const Block* last, std::size_t context) {
    std::size_t a_start = first->a_begin - std::min(first->a_begin, context);
    std::size_t a_stop = std::min(a.size(), last->a_end + context);
    std::size_t b_start = first->b_begin - (first->a_begin - a_start);
    std::size_t b_stop = last->b_end + (a_stop - last->a_end);
    out += "@@ -" + hunk_range(a_start, a_stop - a_start) + " +" +
           hunk_range(b_start, b_stop - b_start) + " @@\n";
    std::size_t at = a_start;
    for (const Block* block = first; block <= last; ++block) {
        for (; at < block->a_begin; ++at) emit(out, ' ', a[at]);
        for (std::size_t i = block->a_begin; i < block->a_end; ++i) emit(out, '-', a[i]);
        for (std::size_t i = block->b_begin; i < block->b_end; ++i) emit(out, '+', b[i]);
        at = block->a_end;
    }
    for (; at < a_stop; ++at) emit(out, ' ', a[at]);
}

}  // namespace

std::string unified_diff(std::string_view old_text, std::string_view new_text,
                         std::string_view old_label, std::string_view new_label,
                         std::size_t context, std::size_t max_edits) {
    if (old_text == new_text) return {};
    const Lines a = split_lines(old_text), b = split_lines(new_text);
    std::size_t head = 0, tail = 0;
    while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
    while (tail < a.size() - head && tail < b.size() - head &&
           a[a.size() - 1 - tail] == b[b.size() - 1 - tail])
        ++tail;
    std::vector<Block> blocks;
    if (!myers(a, b, head, a.size() - tail, head, b.size() - tail, max_edits, blocks))
        blocks.assign(1, {head, a.size() - tail, head, b.size() - tail});
    std::string out = "--- " + std::string(old_label) + "\n+++ " + std::string(new_label) + "\n";
    for (std::size_t i = 0; i < blocks.size();) {
        std::size_t j = i;
        while (j + 1 < blocks.size() && blocks[j + 1].a_begin - blocks[j].a_end <= 2 * context) ++j;
        emit_hunk(out, a, b, &blocks[i], &blocks[j], context);
        i = j + 1;
    }
    return out;
}

}  // namespace atomfile::json
