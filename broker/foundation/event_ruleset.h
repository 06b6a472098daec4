// A matcher over many event patterns whose cost per event does not grow with the number of
// rules: what an EventBridge bus needs to route each event past all of its rules at once.
//
// It answers exactly what matches() answers for each rule (see event_pattern.h), only without
// asking every rule. Each rule is indexed under a condition it cannot match without (an exact
// value of a field, a prefix or suffix of one, or the field being present), so an event only
// visits the rules its own values point at; those candidates are then confirmed with matches().
// A rule with no such condition (one of its "$or" branches has only fields that may be absent,
// such as {"x": [{"exists": false}]}) is confirmed for every event; such rules are rare and
// counted in MatchStats::scanned. An event costs a few hash probes per leaf of a field that some
// rule is anchored on, plus one matches() per rule whose anchor it meets: with rules that differ
// in exact values, only the rules its values name, however many rules there are.
//
// Thread-safety: not thread-safe for writers. Const members may run concurrently with each other,
// but add() and remove() need the set to themselves, as with a standard container.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "foundation/event_pattern.h"

namespace wyvern {

class RuleSet {
 public:
  using RuleId = uint64_t;

  // What one match() cost, for tests and benchmarks that show the cost is flat.
  struct MatchStats {
    size_t candidates = 0;  // rules confirmed with matches(), the scanned ones included
    size_t scanned = 0;     // of those, the rules no index holds: confirmed for every event
  };

  RuleSet();
  ~RuleSet();
  RuleSet(RuleSet&&) noexcept;
  RuleSet& operator=(RuleSet&&) noexcept;

  // Adds the rule `id`, replacing any rule with the same id.
  void add(RuleId id, CompiledPattern pattern);

  // Removes the rule `id`; nothing happens if there is none.
  void remove(RuleId id);

  size_t size() const;

  // The ids of every rule whose pattern matches `event`, ascending. An event that is not a JSON
  // object matches nothing.
  std::vector<RuleId> match(const nlohmann::json& event) const;

  // The same, and fills `stats` (which may be null) with what the match cost.
  std::vector<RuleId> match(const nlohmann::json& event, MatchStats* stats) const;

 private:
  class Index;
  std::unique_ptr<Index> index_;
};

}  // namespace wyvern
