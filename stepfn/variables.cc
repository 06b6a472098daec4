#include "variables.h"

#include <algorithm>
#include <cstdint>

#include "foundation/jsonpath.h"

namespace wyvern::stepfn {
namespace {

struct CodePointRange {
  uint32_t first, last;
};

#include "unicode_identifiers.inc"

template <size_t N>
bool in_table(const CodePointRange (&table)[N], uint32_t cp) {
  auto it = std::upper_bound(std::begin(table), std::end(table), cp,
                             [](uint32_t c, const CodePointRange& r) { return c < r.first; });
  return it != std::begin(table) && cp <= std::prev(it)->last;
}

// The next code point of UTF-8 `s` at `pos` (advanced past it); nullopt for a malformed,
// overlong or surrogate sequence.
std::optional<uint32_t> next_code_point(std::string_view s, size_t& pos) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char lead = byte(pos);
  size_t length = lead < 0x80           ? 1
                  : (lead >> 5) == 0x6  ? 2
                  : (lead >> 4) == 0xE  ? 3
                  : (lead >> 3) == 0x1E ? 4
                                        : 0;
  if (length == 0 || pos + length > s.size()) return std::nullopt;
  uint32_t cp = length == 1 ? lead : lead & (0xFF >> (length + 1));
  for (size_t i = 1; i < length; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(pos + i) & 0x3F);
  }
  static constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kSmallest[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return std::nullopt;
  pos += length;
  return cp;
}

}  // namespace

bool is_variable_name(std::string_view name) {
  size_t pos = 0, count = 0;
  while (pos < name.size()) {
    auto cp = next_code_point(name, pos);
    if (!cp || !(count == 0 ? in_table(kIdStart, *cp) : in_table(kIdContinue, *cp))) return false;
    if (++count > kMaxVariableNameLength) return false;
  }
  return count > 0;
}

const json* VariableScope::find(std::string_view name) const {
  for (const json* scope : scopes_)
    if (auto it = scope->find(name); it != scope->end()) return &*it;
  return nullptr;
}

json VariableScope::all() const {
  json out = json::object();
  for (auto scope = scopes_.rbegin(); scope != scopes_.rend(); ++scope)
    for (const auto& [name, value] : (*scope)->items()) out[name] = value;
  return out;
}

std::optional<PathRef> path_ref(std::string_view text) {
  if (text.empty() || text[0] != '$') return std::nullopt;
  if (text.size() > 1 && text[1] == '$') return PathRef{PathRoot::kContext, "", std::string(text)};
  if (text.size() == 1 || text[1] == '.' || text[1] == '[')
    return PathRef{PathRoot::kDocument, "", std::string(text)};
  size_t end = text.find_first_of(".[", 1);
  if (end == std::string_view::npos) end = text.size();
  std::string name(text.substr(1, end - 1));
  if (!is_variable_name(name)) return std::nullopt;
  return PathRef{PathRoot::kVariable, std::move(name), "$" + std::string(text.substr(end))};
}

Selection select(std::string_view text, const json& document, const Bindings& bindings) {
  auto ref = path_ref(text);
  if (!ref) return {std::nullopt, Selection::Problem::kInvalid};
  const json* searched = &document;
  if (ref->root == PathRoot::kContext) searched = &bindings.context;
  if (ref->root == PathRoot::kVariable) {
    searched = bindings.variables.find(ref->variable);
    if (!searched) return {std::nullopt, Selection::Problem::kUndefinedVariable};
  }
  auto path = jsonpath::parse(ref->rest, ref->root == PathRoot::kContext ? "$$" : "$");
  if (!path) return {std::nullopt, Selection::Problem::kInvalid};
  auto value = jsonpath::query(*path, *searched);
  if (!value) return {std::nullopt, Selection::Problem::kNoMatch, searched};
  return {std::move(value)};
}

bool is_valid_path(std::string_view text, bool context_allowed, bool variables_allowed,
                   bool reference) {
  auto ref = path_ref(text);
  if (!ref || (ref->root == PathRoot::kContext && !context_allowed) ||
      (ref->root == PathRoot::kVariable && !variables_allowed))
    return false;
  auto path = jsonpath::parse(ref->rest, ref->root == PathRoot::kContext ? "$$" : "$");
  return path && (!reference || path->definite);
}

}  // namespace wyvern::stepfn
