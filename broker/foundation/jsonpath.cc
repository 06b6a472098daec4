#include "jsonpath.h"

#include <cctype>
#include <functional>

namespace wyvern::jsonpath {

// A filter expression: comparisons of relative paths (@...) and literals, joined by && and ||.
struct Filter {
  struct Operand {
    std::optional<Path> path;  // relative to the element (@)
    json literal;
  };
  struct Comparison {
    Operand left;
    std::string op;  // empty: existence / truthiness of `left`
    Operand right;
  };
  std::vector<std::vector<Comparison>> any_of;  // OR of ANDs
};

namespace {

bool is_digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

std::optional<long> parse_long(std::string_view s) {
  if (s.empty()) return std::nullopt;
  size_t i = (s[0] == '-') ? 1 : 0;
  if (i == s.size()) return std::nullopt;
  long v = 0;
  for (; i < s.size(); ++i) {
    if (!is_digit(s[i])) return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return s[0] == '-' ? -v : v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits at top-level commas (outside quotes).
std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> parts;
  char quote = 0;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (quote) {
      if (s[i] == '\\')
        ++i;
      else if (s[i] == quote)
        quote = 0;
    } else if (s[i] == '\'' || s[i] == '"') {
      quote = s[i];
    } else if (s[i] == ',') {
      parts.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  parts.push_back(trim(s.substr(start)));
  return parts;
}

std::optional<std::string> unquote(std::string_view s) {
  if (s.size() < 2 || (s.front() != '\'' && s.front() != '"') || s.back() != s.front())
    return std::nullopt;
  std::string out;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\\' && i + 2 < s.size()) ++i;
    out += s[i];
  }
  return out;
}

std::optional<Filter> parse_filter(std::string_view expr);

// Parses the inside of [...].
std::optional<Segment> parse_bracket(std::string_view content) {
  content = trim(content);
  Segment seg{};
  if (content == "*") {
    seg.kind = Segment::Kind::kWildcard;
    return seg;
  }
  if (content.size() >= 3 && content[0] == '?' && content[1] == '(' && content.back() == ')') {
    auto filter = parse_filter(content.substr(2, content.size() - 3));
    if (!filter) return std::nullopt;
    seg.kind = Segment::Kind::kFilter;
    seg.filter = std::make_shared<const Filter>(std::move(*filter));
    return seg;
  }
  auto parts = split_commas(content);
  if (parts.size() == 1 && (content[0] == '\'' || content[0] == '"')) {
    auto name = unquote(content);
    if (!name) return std::nullopt;
    seg.kind = Segment::Kind::kField;
    seg.name = std::move(*name);
    return seg;
  }
  if (parts.size() == 1 && content.find(':') != std::string_view::npos) {
    seg.kind = Segment::Kind::kSlice;
    std::vector<std::string_view> bounds;
    size_t start = 0;
    for (size_t i = 0; i <= content.size(); ++i)
      if (i == content.size() || content[i] == ':') {
        bounds.push_back(trim(content.substr(start, i - start)));
        start = i + 1;
      }
    if (bounds.size() > 3) return std::nullopt;
    std::optional<long>* fields[] = {&seg.start, &seg.end, &seg.step};
    for (size_t i = 0; i < bounds.size(); ++i) {
      if (bounds[i].empty()) continue;
      *fields[i] = parse_long(bounds[i]);
      if (!*fields[i]) return std::nullopt;
    }
    if (seg.step && *seg.step == 0) return std::nullopt;
    return seg;
  }
  if (parts.size() == 1) {
    auto index = parse_long(content);
    if (!index) return std::nullopt;
    seg.kind = Segment::Kind::kIndex;
    seg.index = *index;
    return seg;
  }
  seg.kind = Segment::Kind::kUnion;
  for (auto part : parts) {
    if (auto name = unquote(part)) {
      seg.members.push_back(*name);
    } else if (auto index = parse_long(part)) {
      seg.members.push_back(*index);
    } else {
      return std::nullopt;
    }
  }
  return seg;
}

// Index of the ']' closing the '[' at `open`, skipping quotes and parentheses.
size_t closing_bracket(std::string_view s, size_t open) {
  char quote = 0;
  int depth = 0;
  for (size_t i = open + 1; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == '\\')
        ++i;
      else if (c == quote)
        quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '(' || c == '[') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (c == ']') {
      if (depth == 0) return i;
      --depth;
    }
  }
  return std::string_view::npos;
}

std::optional<Path> parse_segments(std::string_view text, size_t pos, Path path) {
  while (pos < text.size()) {
    char c = text[pos];
    Segment seg{};
    if (c == '.') {
      bool deep = pos + 1 < text.size() && text[pos + 1] == '.';
      pos += deep ? 2 : 1;
      // "$.abc.['def ghi']", as AWS's docs write it, is "$.abc['def ghi']".
      if (!deep && pos < text.size() && text[pos] == '[') continue;
      if (pos < text.size() && text[pos] == '*') {
        seg.kind = deep ? Segment::Kind::kDeepWildcard : Segment::Kind::kWildcard;
        ++pos;
      } else if (deep && pos < text.size() && text[pos] == '[') {
        size_t close = closing_bracket(text, pos);
        if (close == std::string_view::npos) return std::nullopt;
        auto inner = parse_bracket(text.substr(pos + 1, close - pos - 1));
        if (!inner || inner->kind != Segment::Kind::kField) return std::nullopt;
        seg.kind = Segment::Kind::kDeepField;
        seg.name = inner->name;
        pos = close + 1;
      } else {
        size_t end = pos;
        while (end < text.size() && text[end] != '.' && text[end] != '[') ++end;
        if (end == pos) return std::nullopt;
        seg.kind = deep ? Segment::Kind::kDeepField : Segment::Kind::kField;
        seg.name = std::string(text.substr(pos, end - pos));
        pos = end;
      }
    } else if (c == '[') {
      size_t close = closing_bracket(text, pos);
      if (close == std::string_view::npos) return std::nullopt;
      auto parsed = parse_bracket(text.substr(pos + 1, close - pos - 1));
      if (!parsed) return std::nullopt;
      seg = std::move(*parsed);
      pos = close + 1;
    } else {
      return std::nullopt;
    }
    if (seg.kind != Segment::Kind::kField && seg.kind != Segment::Kind::kIndex)
      path.definite = false;
    path.segments.push_back(std::move(seg));
  }
  return path;
}

std::optional<Filter::Operand> parse_operand(std::string_view s) {
  s = trim(s);
  Filter::Operand op;
  if (!s.empty() && s[0] == '@') {
    auto path = parse_segments(s, 1, Path{std::string(s), {}, true});
    if (!path) return std::nullopt;
    op.path = std::move(*path);
    return op;
  }
  if (auto text = unquote(s)) {
    op.literal = *text;
    return op;
  }
  json literal = json::parse(s, nullptr, false);
  if (literal.is_discarded()) return std::nullopt;
  op.literal = std::move(literal);
  return op;
}

// Splits `s` at top-level occurrences of `sep` (outside quotes and parentheses).
std::vector<std::string_view> split_top(std::string_view s, std::string_view sep) {
  std::vector<std::string_view> parts;
  char quote = 0;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == '\\')
        ++i;
      else if (c == quote)
        quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '(' || c == '[') {
      ++depth;
    } else if (c == ')' || c == ']') {
      --depth;
    } else if (depth == 0 && s.compare(i, sep.size(), sep) == 0) {
      parts.push_back(s.substr(start, i - start));
      i += sep.size() - 1;
      start = i + 1;
    }
  }
  parts.push_back(s.substr(start));
  return parts;
}

std::optional<Filter> parse_filter(std::string_view expr) {
  Filter filter;
  for (auto alternative : split_top(expr, "||")) {
    std::vector<Filter::Comparison> all;
    for (auto term : split_top(alternative, "&&")) {
      term = trim(term);
      while (term.size() >= 2 && term.front() == '(' && term.back() == ')')
        term = trim(term.substr(1, term.size() - 2));
      Filter::Comparison cmp;
      static const char* kOps[] = {"==", "!=", "<=", ">=", "<", ">"};
      size_t at = std::string_view::npos;
      std::string op;
      for (const char* candidate : kOps) {
        auto parts = split_top(term, candidate);
        if (parts.size() == 2) {
          at = parts[0].size();
          op = candidate;
          break;
        }
      }
      if (at == std::string_view::npos) {
        auto operand = parse_operand(term);
        if (!operand) return std::nullopt;
        cmp.left = std::move(*operand);
      } else {
        auto left = parse_operand(term.substr(0, at));
        auto right = parse_operand(term.substr(at + op.size()));
        if (!left || !right) return std::nullopt;
        cmp.left = std::move(*left);
        cmp.op = op;
        cmp.right = std::move(*right);
      }
      all.push_back(std::move(cmp));
    }
    filter.any_of.push_back(std::move(all));
  }
  return filter;
}

using Nodes = std::vector<const json*>;

void descendants(const json* node, Nodes& out) {
  if (node->is_object())
    for (const auto& [k, v] : node->items()) {
      out.push_back(&v);
      descendants(&v, out);
    }
  else if (node->is_array())
    for (const auto& v : *node) {
      out.push_back(&v);
      descendants(&v, out);
    }
}

bool filter_matches(const Filter& filter, const json& element);

Nodes apply(const Path& path, const json& doc) {
  Nodes nodes{&doc};
  for (const auto& seg : path.segments) {
    Nodes next;
    for (const json* node : nodes) {
      switch (seg.kind) {
        case Segment::Kind::kField:
          if (node->is_object())
            if (auto it = node->find(seg.name); it != node->end()) next.push_back(&*it);
          break;
        case Segment::Kind::kIndex:
          if (node->is_array()) {
            long n = static_cast<long>(node->size());
            long i = seg.index < 0 ? n + seg.index : seg.index;
            if (i >= 0 && i < n) next.push_back(&(*node)[static_cast<size_t>(i)]);
          }
          break;
        case Segment::Kind::kWildcard:
          if (node->is_object() || node->is_array())
            for (const auto& v : *node) next.push_back(&v);
          break;
        case Segment::Kind::kSlice:
          if (node->is_array()) {
            long n = static_cast<long>(node->size());
            long step = seg.step.value_or(1);
            auto clamp = [&](std::optional<long> v, long fallback) {
              if (!v) return fallback;
              long x = *v < 0 ? n + *v : *v;
              return std::max(step > 0 ? 0L : -1L, std::min(x, step > 0 ? n : n - 1));
            };
            long start = clamp(seg.start, step > 0 ? 0 : n - 1);
            long end = clamp(seg.end, step > 0 ? n : -1);
            for (long i = start; step > 0 ? i < end : i > end; i += step)
              next.push_back(&(*node)[static_cast<size_t>(i)]);
          }
          break;
        case Segment::Kind::kUnion:
          for (const auto& member : seg.members) {
            if (member.is_string() && node->is_object()) {
              if (auto it = node->find(member.get<std::string>()); it != node->end())
                next.push_back(&*it);
            } else if (member.is_number_integer() && node->is_array()) {
              long n = static_cast<long>(node->size());
              long i = member.get<long>();
              if (i < 0) i += n;
              if (i >= 0 && i < n) next.push_back(&(*node)[static_cast<size_t>(i)]);
            }
          }
          break;
        case Segment::Kind::kDeepField: {
          Nodes all{node};
          descendants(node, all);
          for (const json* d : all)
            if (d->is_object())
              if (auto it = d->find(seg.name); it != d->end()) next.push_back(&*it);
          break;
        }
        case Segment::Kind::kDeepWildcard:
          descendants(node, next);
          break;
        case Segment::Kind::kFilter:
          if (node->is_array() || node->is_object())
            for (const auto& v : *node)
              if (filter_matches(*seg.filter, v)) next.push_back(&v);
          break;
      }
    }
    nodes = std::move(next);
  }
  return nodes;
}

std::optional<json> operand_value(const Filter::Operand& op, const json& element) {
  if (!op.path) return op.literal;
  Nodes found = apply(*op.path, element);
  if (found.empty()) return std::nullopt;
  return *found.front();
}

bool compare(const json& a, const std::string& op, const json& b) {
  if (op == "==") return a == b;
  if (op == "!=") return a != b;
  bool numbers = a.is_number() && b.is_number();
  bool strings = a.is_string() && b.is_string();
  if (!numbers && !strings) return false;
  if (op == "<") return a < b;
  if (op == "<=") return a <= b;
  if (op == ">") return a > b;
  return a >= b;
}

bool filter_matches(const Filter& filter, const json& element) {
  for (const auto& all : filter.any_of) {
    bool ok = true;
    for (const auto& cmp : all) {
      auto left = operand_value(cmp.left, element);
      if (cmp.op.empty()) {
        ok = left.has_value() && !(left->is_boolean() && !left->get<bool>());
      } else {
        auto right = operand_value(cmp.right, element);
        ok = left && right && compare(*left, cmp.op, *right);
      }
      if (!ok) break;
    }
    if (ok) return true;
  }
  return false;
}

}  // namespace

std::optional<Path> parse(std::string_view text, std::string_view root) {
  if (text.compare(0, root.size(), root) != 0) return std::nullopt;
  // "$$" is the context object's root, never a path into the document.
  if (root == "$" && text.size() > 1 && text[1] == '$') return std::nullopt;
  return parse_segments(text, root.size(), Path{std::string(text), {}, true});
}

std::optional<json> query(const Path& path, const json& doc) {
  Nodes found = apply(path, doc);
  if (path.definite) {
    if (found.empty()) return std::nullopt;
    return *found.front();
  }
  json out = json::array();
  for (const json* n : found) out.push_back(*n);
  return out;
}

std::optional<json> set(const Path& path, json doc, json value) {
  if (!path.definite) return std::nullopt;
  if (path.segments.empty()) return value;
  json* node = &doc;
  for (size_t i = 0; i < path.segments.size(); ++i) {
    const auto& seg = path.segments[i];
    bool last = i + 1 == path.segments.size();
    if (seg.kind == Segment::Kind::kField) {
      if (node->is_null()) *node = json::object();
      if (!node->is_object()) return std::nullopt;
      json& child = (*node)[seg.name];
      if (last) {
        child = std::move(value);
        return doc;
      }
      node = &child;
    } else {
      if (!node->is_array()) return std::nullopt;
      long n = static_cast<long>(node->size());
      long idx = seg.index < 0 ? n + seg.index : seg.index;
      if (idx < 0 || idx >= n) return std::nullopt;
      json& child = (*node)[static_cast<size_t>(idx)];
      if (last) {
        child = std::move(value);
        return doc;
      }
      node = &child;
    }
  }
  return doc;
}

}  // namespace wyvern::jsonpath
