// The many-rule matcher: an inverted index from event values to the rules that need them.
//
// A rule's life. add() reads the compiled pattern's sub-rules (one per combination of "$or"
// branches; the pattern matches when one of them does) and gives each an anchor: one of its
// fields that cannot be met without a leaf of that name, and the keys one of which that leaf
// must have (an exact value, a prefix or a suffix, or, when the field's conditions have no such
// key, mere presence). The rule is posted under the keys of every sub-rule's anchor. A sub-rule
// with no such field (each of its fields allows {"exists": false}) sends the rule to the scan
// list instead. remove() takes the postings back.
//
// An event's life. match() walks the event once, flattening it as the engine does (dotted names,
// arrays transparent) but only down the names some rule is posted under; each leaf looks its
// value up in its field's postings with a few hash probes: its typed value, its address form,
// its prefixes and suffixes of the lengths posted, its case-folded form. The rules found and the
// scan list are sorted, deduplicated and confirmed with matches(), so a key only needs to be
// necessary for its rule, never sufficient: the answer is exactly the engine's.
//
// Choosing anchors. The best anchor is the rarest. Every key counts the rules that contain it,
// anchored there or not, and a sub-rule anchors on the field whose keys count least, presence and
// affixes weighed as commoner than exact values. A rule added early may anchor on a key that later
// turns out to be shared by thousands ("detail-type": ["T"]); so whenever a key's count reaches
// a power of two, the rules anchored on it choose again. Moving a rule changes no count, so this
// settles, and each rule is reconsidered O(log n) times at most per key it holds.
#include "event_ruleset.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "event_pattern_rules.h"

namespace wyvern {
namespace {

using json = nlohmann::json;
using Kind = Condition::Kind;

// A key is a tag byte followed by the bytes of what it is about.
constexpr char kString = 's';  // an exact string
constexpr char kIp = 'i';      // an address in parsed form, so "10.0.0.01" finds "10.0.0.1"
constexpr char kNumber = 'n';  // a number, as its double: 300 and 300.0 are one key
constexpr char kTrue = 't';
constexpr char kFalse = 'f';
constexpr char kNull = 'z';
constexpr char kFolded = 'c';   // an equals-ignore-case string, folded
constexpr char kPresent = 'e';  // any leaf at all

// Affixes are probed by the lengths posted, so each has its own tag.
enum Affix : int { kPrefix, kSuffix, kFoldedPrefix, kFoldedSuffix, kAffixes };
constexpr char kAffixTag[kAffixes] = {'p', 'x', 'P', 'X'};

int affix_of(char tag) {
  for (int a = 0; a < kAffixes; ++a)
    if (kAffixTag[a] == tag) return a;
  return -1;
}

bool is_folded(char tag) {
  return tag == kFolded || tag == kAffixTag[kFoldedPrefix] || tag == kAffixTag[kFoldedSuffix];
}

// The engine reads events this deep and no deeper (event_pattern_match.cc).
constexpr size_t kMaxEventDepth = 1100;

std::string tagged(char tag, std::string_view bytes) {
  std::string key(1, tag);
  key.append(bytes);
  return key;
}

// Numbers the engine may call equal share a key: within +/-5e9 EventBridge compares them to
// six decimal places, so they are keyed by that; beyond, by their double (SNS compares
// doubles, and a key shared by values the match then tells apart is only a wasted check).
std::string number_key(double value) {
  std::string key(1 + sizeof(int64_t), kNumber);
  if (std::fabs(value) <= 5e9) {
    int64_t micros = std::llround(value * 1e6);
    std::memcpy(key.data() + 1, &micros, sizeof micros);
    return key;
  }
  key += 'd';  // a different length: never equal to a six-decimal key
  std::memcpy(key.data() + 1, &value, sizeof value);
  return key;
}

std::string ip_key(const IpAddress& ip) {
  std::string key(1, kIp);
  key += ip.v6 ? '6' : '4';
  key.append(reinterpret_cast<const char*>(ip.bytes.data()), ip.bytes.size());
  return key;
}

// A wildcard is anchored by the literal text before its first star, or else after its last.
std::optional<std::string> glob_key(const Glob& glob) {
  auto text = [](Glob::const_iterator from, Glob::const_iterator to) {
    std::string out;
    for (; from != to; ++from) out += static_cast<char>(*from);
    return out;
  };
  const auto first = std::find(glob.begin(), glob.end(), kStar);
  if (first == glob.end()) return tagged(kString, text(glob.begin(), glob.end()));
  if (first != glob.begin()) return tagged(kAffixTag[kPrefix], text(glob.begin(), first));
  const auto after_last = std::find(glob.rbegin(), glob.rend(), kStar).base();
  if (after_last != glob.end()) return tagged(kAffixTag[kSuffix], text(after_last, glob.end()));
  return std::nullopt;
}

// A key every value meeting `c` has, if there is one.
std::optional<std::string> condition_key(const Condition& c) {
  switch (c.kind) {
    case Kind::kExactString:
      return c.ip ? ip_key(*c.ip) : tagged(kString, c.text);
    case Kind::kExactLiteral:
      if (c.literal.is_number()) return number_key(c.literal.get<double>());
      if (c.literal.is_boolean()) return std::string(1, c.literal.get<bool>() ? kTrue : kFalse);
      return std::string(1, kNull);
    case Kind::kPrefix:
      return tagged(kAffixTag[kPrefix], c.text);
    case Kind::kSuffix:
      return tagged(kAffixTag[kSuffix], c.text);
    case Kind::kPrefixIgnoreCase:
      return tagged(kAffixTag[kFoldedPrefix], c.text);
    case Kind::kSuffixIgnoreCase:
      return tagged(kAffixTag[kFoldedSuffix], c.text);
    case Kind::kEqualsIgnoreCase:
      return tagged(kFolded, c.text);
    case Kind::kWildcard:
      return glob_key(c.globs.front());
    case Kind::kNumeric:  // {"numeric": ["=", x]} is an exact number
      if (c.range.low && c.range.high && *c.range.low == *c.range.high && !c.range.low_open &&
          !c.range.high_open)
        return number_key(*c.range.low);
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// The keys one of which a leaf of `field` must have for the field to be met: its conditions'
// keys, or presence when one of them has none. Empty when the field may be absent.
std::vector<std::string> field_keys(const FieldRule& field) {
  if (field.allows_absent) return {};
  std::vector<std::string> keys;
  for (const Condition& c : field.any_of) {
    auto key = condition_key(c);
    if (!key) return {std::string(1, kPresent)};
    keys.push_back(std::move(*key));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

// How many candidates a key is likely to bring per rule that holds it: exact values only when
// the value is there, affixes for a range of values, presence for every event with the field.
double key_weight(const std::string& key) {
  if (key[0] == kPresent) return 8;
  return affix_of(key[0]) >= 0 ? 2 : 1;
}

struct Anchor {
  std::string field;
  std::string key;
  friend bool operator==(const Anchor&, const Anchor&) = default;
  friend auto operator<=>(const Anchor&, const Anchor&) = default;
};

void sort_unique(std::vector<Anchor>& anchors) {
  std::sort(anchors.begin(), anchors.end());
  anchors.erase(std::unique(anchors.begin(), anchors.end()), anchors.end());
}

using Slot = uint32_t;

// The postings of one field name.
struct Field {
  std::unordered_map<std::string, std::vector<Slot>> postings;  // key -> rules
  std::vector<Slot> present;                                    // rules anchored on presence
  std::map<size_t, size_t> lengths[kAffixes];                   // affix length -> keys with it
  size_t keys = 0;         // distinct keys posted, presence included
  size_t ip_keys = 0;      // of those, addresses
  size_t folded_keys = 0;  // of those, folded strings and affixes
};

// A name the walk may reach: a field with postings, a dotted prefix of one, or both.
struct Path {
  std::unique_ptr<Field> field;
  size_t below = 0;  // posted names this is a dotted prefix of
  // The paths that extend this one, by the rest of their names: "b" and "b.c" under "a". An
  // object is walked by looking these up in it, or by looking its keys up in all paths when it
  // has fewer keys than this has children.
  std::vector<std::pair<std::string, const Path*>> children;
};

struct Rule {
  RuleSet::RuleId id = 0;
  std::optional<CompiledPattern> pattern;
  std::vector<Anchor> anchors;  // where it is posted; empty when scanned
  std::vector<Anchor> counted;  // the keys it counts towards
  bool scanned = false;
};

// One event's walk.
struct Probe {
  std::vector<Slot> candidates;
  std::vector<const Field*> present_taken;
  std::string key;  // scratch, to probe without allocating
};

std::vector<std::string> dotted_prefixes(const std::string& name) {
  std::vector<std::string> out;
  for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1))
    out.push_back(name.substr(0, dot));
  return out;
}

}  // namespace

class RuleSet::Index {
 public:
  void add(RuleId id, CompiledPattern pattern) {
    remove(id);
    Slot slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = static_cast<Slot>(rules_.size());
      rules_.emplace_back();
    }
    ids_.emplace(id, slot);
    Rule& rule = rules_[slot];
    rule.id = id;
    rule.pattern.emplace(std::move(pattern));

    for (const SubRule& sub : pattern_rules(*rule.pattern).any_of) {
      for (const auto& field : sub.fields) {
        const std::vector<std::string> keys = field_keys(*field);
        if (keys.empty()) continue;
        for (const std::string& key : keys) rule.counted.push_back({field->name, key});
        if (keys.front()[0] != kPresent) rule.counted.push_back({field->name, {kPresent}});
      }
    }
    sort_unique(rule.counted);
    std::vector<Anchor> crowded;  // keys whose count just reached a power of two
    for (const Anchor& a : rule.counted) {
      const size_t n = ++counts_[a.field][a.key];
      if (n >= 2 && (n & (n - 1)) == 0) crowded.push_back(a);
    }

    place(slot);
    for (const Anchor& a : crowded) reconsider(a, slot);
  }

  void remove(RuleId id) {
    auto found = ids_.find(id);
    if (found == ids_.end()) return;
    const Slot slot = found->second;
    ids_.erase(found);
    Rule& rule = rules_[slot];
    unplace(slot);
    for (const Anchor& a : rule.counted) {
      auto field = counts_.find(a.field);
      auto key = field->second.find(a.key);
      if (--key->second == 0) field->second.erase(key);
      if (field->second.empty()) counts_.erase(field);
    }
    rule = Rule{};
    free_.push_back(slot);
  }

  size_t size() const { return ids_.size(); }

  std::vector<RuleId> match(const json& event, MatchStats* stats) const {
    if (stats) *stats = {};
    if (!event.is_object()) return {};
    Probe probe;
    std::string name;
    visit_object(event, root_, name, 0, probe);
    std::vector<Slot>& candidates = probe.candidates;
    candidates.insert(candidates.end(), scan_.begin(), scan_.end());
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());

    std::vector<RuleId> ids;
    for (Slot slot : candidates)
      if (matches(*rules_[slot].pattern, event)) ids.push_back(rules_[slot].id);
    std::sort(ids.begin(), ids.end());
    if (stats) {
      stats->candidates = candidates.size();
      stats->scanned = scan_.size();
    }
    return ids;
  }

 private:
  // --- Anchoring ---

  size_t count(const std::string& field, const std::string& key) const {
    auto f = counts_.find(field);
    if (f == counts_.end()) return 0;
    auto k = f->second.find(key);
    return k == f->second.end() ? 0 : k->second;
  }

  // Where the rule in `slot` should be posted now; nullopt when it belongs to the scan list.
  std::optional<std::vector<Anchor>> choose(Slot slot) const {
    const PatternRules& rules = pattern_rules(*rules_[slot].pattern);
    if (rules.any_of.empty()) return std::nullopt;
    std::vector<Anchor> anchors;
    for (const SubRule& sub : rules.any_of) {
      const FieldRule* best = nullptr;
      std::vector<std::string> best_keys;
      double best_cost = std::numeric_limits<double>::infinity();
      for (const auto& field : sub.fields) {
        std::vector<std::string> keys = field_keys(*field);
        if (keys.empty()) continue;
        double cost = 0;
        for (const std::string& key : keys) cost += key_weight(key) * count(field->name, key);
        if (cost < best_cost) {
          best = field.get();
          best_keys = std::move(keys);
          best_cost = cost;
        }
      }
      if (!best) return std::nullopt;
      for (std::string& key : best_keys) anchors.push_back({best->name, std::move(key)});
    }
    sort_unique(anchors);
    return anchors;
  }

  void place(Slot slot) {
    Rule& rule = rules_[slot];
    auto anchors = choose(slot);
    if (!anchors) {
      rule.scanned = true;
      scan_.push_back(slot);
      return;
    }
    for (const Anchor& a : *anchors) post(a, slot);
    rule.anchors = std::move(*anchors);
  }

  void unplace(Slot slot) {
    Rule& rule = rules_[slot];
    if (rule.scanned) {
      scan_.erase(std::find(scan_.begin(), scan_.end(), slot));
      rule.scanned = false;
    }
    for (const Anchor& a : rule.anchors) unpost(a, slot);
    rule.anchors.clear();
  }

  // The rules anchored on `crowded` (but the one just added) choose again.
  void reconsider(const Anchor& crowded, Slot added) {
    auto path = paths_.find(crowded.field);
    if (path == paths_.end() || !path->second.field) return;
    const Field& field = *path->second.field;
    std::vector<Slot> posted;
    if (crowded.key[0] == kPresent) {
      posted = field.present;
    } else if (auto list = field.postings.find(crowded.key); list != field.postings.end()) {
      posted = list->second;
    }
    for (Slot slot : posted) {
      if (slot == added) continue;
      auto anchors = choose(slot);
      if (!anchors || *anchors == rules_[slot].anchors) continue;
      for (const Anchor& a : rules_[slot].anchors) unpost(a, slot);
      for (const Anchor& a : *anchors) post(a, slot);
      rules_[slot].anchors = std::move(*anchors);
    }
  }

  // The path `name`, made if need be. Its dotted prefixes must exist already.
  Path& path(const std::string& name) {
    auto [at, made] = paths_.try_emplace(name);
    if (made) {
      root_.children.emplace_back(name, &at->second);
      for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1))
        paths_.at(name.substr(0, dot)).children.emplace_back(name.substr(dot + 1), &at->second);
    }
    return at->second;
  }

  // Forgets the path `name` if nothing needs it any more.
  void drop_if_unused(const std::string& name) {
    auto at = paths_.find(name);
    if (at->second.field || at->second.below > 0) return;
    auto unlink = [&](Path& parent) {
      auto& children = parent.children;
      children.erase(std::find_if(children.begin(), children.end(),
                                  [&](const auto& child) { return child.second == &at->second; }));
    };
    unlink(root_);
    for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1))
      unlink(paths_.at(name.substr(0, dot)));
    paths_.erase(at);
  }

  void post(const Anchor& a, Slot slot) {
    auto found = paths_.find(a.field);
    if (found == paths_.end() || !found->second.field) {
      for (const std::string& prefix : dotted_prefixes(a.field)) ++path(prefix).below;
      path(a.field).field = std::make_unique<Field>();
    }
    Field& field = *paths_.at(a.field).field;
    std::vector<Slot>& list = a.key[0] == kPresent ? field.present : field.postings[a.key];
    if (list.empty()) {
      ++field.keys;
      if (const int affix = affix_of(a.key[0]); affix >= 0)
        ++field.lengths[affix][a.key.size() - 1];
      if (a.key[0] == kIp) ++field.ip_keys;
      if (is_folded(a.key[0])) ++field.folded_keys;
    }
    list.push_back(slot);
  }

  void unpost(const Anchor& a, Slot slot) {
    auto path = paths_.find(a.field);
    Field& field = *path->second.field;
    const bool present = a.key[0] == kPresent;
    auto posting = present ? field.postings.end() : field.postings.find(a.key);
    std::vector<Slot>& list = present ? field.present : posting->second;
    auto at = std::find(list.begin(), list.end(), slot);
    *at = list.back();
    list.pop_back();
    if (!list.empty()) return;

    if (!present) field.postings.erase(posting);
    if (const int affix = affix_of(a.key[0]); affix >= 0) {
      auto length = field.lengths[affix].find(a.key.size() - 1);
      if (--length->second == 0) field.lengths[affix].erase(length);
    }
    if (a.key[0] == kIp) --field.ip_keys;
    if (is_folded(a.key[0])) --field.folded_keys;
    if (--field.keys > 0) return;

    path->second.field.reset();
    drop_if_unused(a.field);
    const std::vector<std::string> prefixes = dotted_prefixes(a.field);
    for (auto prefix = prefixes.rbegin(); prefix != prefixes.rend(); ++prefix) {
      --paths_.at(*prefix).below;
      drop_if_unused(*prefix);
    }
  }

  // --- Matching ---

  // The members of `object`, found at `path` (named `name`, or the event itself at depth 0).
  void visit_object(const json& object, const Path& path, std::string& name, size_t depth,
                    Probe& probe) const {
    const size_t length = name.size();
    auto extend = [&](const std::string& key) {
      if (depth > 0) name += '.';
      name += key;
    };
    if (path.children.size() <= object.size()) {
      for (const auto& [rest, child] : path.children) {
        auto member = object.find(rest);
        if (member == object.end()) continue;
        extend(rest);
        visit_path(*member, *child, name, depth + 1, probe);
        name.resize(length);
      }
      return;
    }
    for (auto member = object.begin(); member != object.end(); ++member) {
      extend(member.key());
      if (auto child = paths_.find(name); child != paths_.end())
        visit_path(member.value(), child->second, name, depth + 1, probe);
      name.resize(length);
    }
  }

  void visit_path(const json& value, const Path& path, std::string& name, size_t depth,
                  Probe& probe) const {
    if (depth > kMaxEventDepth) return;
    if (value.is_object()) {
      if (path.below > 0) visit_object(value, path, name, depth, probe);
    } else if (value.is_array()) {
      for (const json& element : value) visit_path(element, path, name, depth + 1, probe);
    } else if (path.field) {
      probe_leaf(*path.field, value, probe);
    }
  }

  static void take(const Field& field, const std::string& key, Probe& probe) {
    auto list = field.postings.find(key);
    if (list != field.postings.end())
      probe.candidates.insert(probe.candidates.end(), list->second.begin(), list->second.end());
  }

  static void take(const Field& field, char tag, std::string_view bytes, Probe& probe) {
    probe.key.assign(1, tag);
    probe.key.append(bytes);
    take(field, probe.key, probe);
  }

  static void take_affixes(const Field& field, Affix affix, std::string_view s, Probe& probe) {
    const bool prefix = affix == kPrefix || affix == kFoldedPrefix;
    for (const auto& [length, keys] : field.lengths[affix]) {
      if (length > s.size()) break;
      take(field, kAffixTag[affix], prefix ? s.substr(0, length) : s.substr(s.size() - length),
           probe);
    }
  }

  static void probe_leaf(const Field& field, const json& value, Probe& probe) {
    if (!field.present.empty() && std::find(probe.present_taken.begin(), probe.present_taken.end(),
                                            &field) == probe.present_taken.end()) {
      probe.present_taken.push_back(&field);
      probe.candidates.insert(probe.candidates.end(), field.present.begin(), field.present.end());
    }
    if (field.postings.empty()) return;
    switch (value.type()) {
      case json::value_t::string: {
        const std::string& s = value.get_ref<const std::string&>();
        take(field, kString, s, probe);
        if (field.ip_keys > 0 && looks_like_ip(s))
          if (auto ip = parse_ip(s)) take(field, ip_key(*ip), probe);
        take_affixes(field, kPrefix, s, probe);
        take_affixes(field, kSuffix, s, probe);
        if (field.folded_keys > 0) {
          const std::string folded = fold_case(s);
          take(field, kFolded, folded, probe);
          take_affixes(field, kFoldedPrefix, folded, probe);
          take_affixes(field, kFoldedSuffix, folded, probe);
        }
        break;
      }
      case json::value_t::number_integer:
      case json::value_t::number_unsigned:
      case json::value_t::number_float:
        take(field, number_key(value.get<double>()), probe);
        break;
      case json::value_t::boolean:
        take(field, value.get<bool>() ? kTrue : kFalse, {}, probe);
        break;
      case json::value_t::null:
        take(field, kNull, {}, probe);
        break;
      default:
        break;
    }
  }

  std::vector<Rule> rules_;  // by slot
  std::vector<Slot> free_;
  std::unordered_map<RuleId, Slot> ids_;
  std::vector<Slot> scan_;
  std::unordered_map<std::string, Path> paths_;  // every name posted, and its dotted prefixes
  Path root_;                                    // the event; its children are all of paths_
  std::unordered_map<std::string, std::unordered_map<std::string, size_t>> counts_;
};

RuleSet::RuleSet() : index_(std::make_unique<Index>()) {}
RuleSet::~RuleSet() = default;
RuleSet::RuleSet(RuleSet&&) noexcept = default;
RuleSet& RuleSet::operator=(RuleSet&&) noexcept = default;

void RuleSet::add(RuleId id, CompiledPattern pattern) {
  if (!index_) index_ = std::make_unique<Index>();  // a moved-from set, used again
  index_->add(id, std::move(pattern));
}

void RuleSet::remove(RuleId id) {
  if (index_) index_->remove(id);
}

size_t RuleSet::size() const {
  return index_ ? index_->size() : 0;
}

std::vector<RuleSet::RuleId> RuleSet::match(const nlohmann::json& event) const {
  return match(event, nullptr);
}

std::vector<RuleSet::RuleId> RuleSet::match(const nlohmann::json& event, MatchStats* stats) const {
  if (!index_) {
    if (stats) *stats = {};
    return {};
  }
  return index_->match(event, stats);
}

}  // namespace wyvern
