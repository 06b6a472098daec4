// Versions and aliases. A version is an immutable copy of a state machine's definition and
// role at one revision, numbered from 1 and never renumbered; an alias routes executions to
// one version, or splits them between two by weight. Both ARNs qualify the machine's ARN
// with one more ":"-separated part: digits for a version, a name for an alias.
#include <algorithm>
#include <cctype>
#include <random>

#include "engine.h"
#include "foundation/codec.h"

namespace wyvern::stepfn {
namespace {

constexpr int kMaxVersions = 1000;  // AWS's quotas per state machine
constexpr size_t kMaxAliases = 100;

// "arn:aws:states:<region>:<account>:stateMachine:<name>[:<qualifier>]"
struct ParsedArn {
  std::string machine;    // the unqualified ARN
  std::string qualifier;  // empty when unqualified
};

std::optional<ParsedArn> parse_machine_arn(const std::string& arn) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t colon; (colon = arn.find(':', start)) != std::string::npos; start = colon + 1)
    parts.push_back(arn.substr(start, colon - start));
  parts.push_back(arn.substr(start));
  if (parts.size() < 7 || parts.size() > 8 || parts[0] != "arn" || parts[2] != "states" ||
      parts[5] != "stateMachine" || parts[6].empty())
    return std::nullopt;
  ParsedArn out;
  out.machine = arn.substr(0, parts.size() == 8 ? arn.rfind(':') : arn.size());
  if (parts.size() == 8) {
    if (parts[7].empty()) return std::nullopt;
    out.qualifier = parts[7];
  }
  return out;
}

bool is_version_number(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(c); });
}

Error invalid_arn(const std::string& arn) {
  return Error{ErrorCode::kInvalidArn,
               "Invalid Arn: 'Resource type not valid in this context: " + arn + "'"};
}

Error not_found(const std::string& arn) {
  return Error{ErrorCode::kSfnResourceNotFound, "Resource not found: '" + arn + "'"};
}

bool same_routing(const std::vector<RoutingEntry>& a, const std::vector<RoutingEntry>& b) {
  auto key = [](std::vector<RoutingEntry> v) {
    std::sort(v.begin(), v.end(), [](const RoutingEntry& x, const RoutingEntry& y) {
      return x.version_arn < y.version_arn;
    });
    std::vector<std::pair<std::string, int>> out;
    for (const auto& e : v) out.emplace_back(e.version_arn, e.weight);
    return out;
  };
  return key(a) == key(b);
}

bool valid_alias_name(const std::string& name) {
  if (name.empty() || name.size() > 80 || is_version_number(name)) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

}  // namespace

Result<Engine::Target> Engine::target(const std::string& arn) {
  auto parsed = parse_machine_arn(arn);
  if (!parsed) return invalid_arn(arn);
  auto m = machine(parsed->machine);
  if (!m) return m.error();
  if (parsed->qualifier.empty()) return Target{*m, nullptr, std::nullopt};
  if (is_version_number(parsed->qualifier)) {
    auto v = versions_.find(arn);
    if (v == versions_.end())
      return Error{ErrorCode::kStateMachineDoesNotExist,
                   "State Machine Does Not Exist: '" + arn + "'"};
    return Target{*m, &v->second, std::nullopt};
  }
  auto a = aliases_.find(arn);
  if (a == aliases_.end()) return not_found(arn);
  // Weighted choice between the alias's versions, as AWS makes it per StartExecution.
  static thread_local std::mt19937 random{std::random_device{}()};
  int roll = std::uniform_int_distribution<int>(0, 99)(random);
  const RoutingEntry* chosen = &a->second.routing.front();
  for (const auto& entry : a->second.routing) {
    if (roll < entry.weight) {
      chosen = &entry;
      break;
    }
    roll -= entry.weight;
  }
  auto v = versions_.find(chosen->version_arn);
  if (v == versions_.end()) return not_found(chosen->version_arn);
  return Target{*m, &v->second, arn};
}

Result<VersionRef> Engine::publish(StateMachine& m, const std::optional<std::string>& description,
                                   WriteBatch& batch) {
  // One version per revision: publishing an already published revision answers with it.
  for (const auto& [arn, v] : versions_)
    if (arn.rfind(m.arn + ":", 0) == 0 && v.revision_id == m.revision_id &&
        v.definition == m.definition && v.role_arn == m.role_arn)
      return VersionRef{arn, v.created_at};
  int count = 0;
  for (const auto& [arn, v] : versions_) count += arn.rfind(m.arn + ":", 0) == 0;
  if (count >= kMaxVersions)
    return Error{ErrorCode::kServiceQuotaExceeded,
                 "The maximum number of versions (1000) for state machine '" + m.arn +
                     "' has been reached."};
  int number = ++last_version_[m.arn];
  StateMachine v = m;
  v.arn = m.arn + ":" + std::to_string(number);
  v.created_at = env_.clock->now_ms();
  v.description = description.value_or("");
  v.tags.clear();
  batch.put(kVersionsTable, v.arn,
            json{{"definition", v.definition},
                 {"role_arn", v.role_arn},
                 {"created_at", v.created_at},
                 {"description", v.description},
                 {"revision_id", v.revision_id}}
                .dump());
  persist_machine(m, batch);  // it carries last_version
  VersionRef ref{v.arn, v.created_at};
  versions_[v.arn] = std::move(v);
  return ref;
}

void Engine::publish_state_machine_version(const Caller&, const std::string& machine_arn,
                                           std::optional<std::string> revision_id,
                                           std::optional<std::string> description,
                                           Reply<VersionRef> reply) {
  if (description && description->size() > 256)
    return reply(Error{ErrorCode::kSfnValidation,
                       "1 validation error detected: Value at 'description' failed to satisfy "
                       "constraint: Member must have length less than or equal to 256"});
  auto parsed = parse_machine_arn(machine_arn);
  if (!parsed || !parsed->qualifier.empty()) return reply(invalid_arn(machine_arn));
  auto m = machine(machine_arn);
  if (!m) return reply(m.error());
  StateMachine& sm = **m;
  if (revision_id) {
    std::string expected = *revision_id == "INITIAL" ? "" : *revision_id;
    if (expected != sm.revision_id)
      return reply(Error{ErrorCode::kConflict,
                         "Failed to publish the State Machine version for revision " +
                             *revision_id + ". The current State Machine revision is " +
                             (sm.revision_id.empty() ? "INITIAL" : sm.revision_id) + "."});
  }
  WriteBatch batch;
  auto ref = publish(sm, description, batch);
  if (!ref) return reply(ref.error());
  commit_then_reply(std::move(batch), std::move(reply), *ref);
}

void Engine::list_state_machine_versions(const Caller&, const std::string& machine_arn,
                                         const ListRequest& r, Reply<Page<VersionRef>> reply) {
  auto parsed = parse_machine_arn(machine_arn);
  if (!parsed || !parsed->qualifier.empty()) return reply(invalid_arn(machine_arn));
  auto m = machine(machine_arn);
  if (!m) return reply(m.error());
  std::vector<std::pair<long, VersionRef>> numbered;
  for (const auto& [arn, v] : versions_)
    if (arn.rfind(machine_arn + ":", 0) == 0)
      numbered.emplace_back(std::stol(arn.substr(machine_arn.size() + 1)),
                            VersionRef{arn, v.created_at});
  std::sort(numbered.begin(), numbered.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<VersionRef> all;
  for (auto& [n, ref] : numbered) all.push_back(std::move(ref));
  paginate(
      std::move(all), r, [](const VersionRef& v) { return v.arn; }, std::move(reply));
}

void Engine::delete_state_machine_version(const Caller&, const std::string& version_arn,
                                          Reply<Ok> reply) {
  auto parsed = parse_machine_arn(version_arn);
  if (!parsed || !is_version_number(parsed->qualifier)) return reply(invalid_arn(version_arn));
  std::vector<std::string> referencing;
  for (const auto& [arn, a] : aliases_)
    for (const auto& entry : a.routing)
      if (entry.version_arn == version_arn) referencing.push_back(arn);
  if (!referencing.empty()) {
    std::string list;
    for (const auto& arn : referencing) list += (list.empty() ? "" : ", ") + arn;
    return reply(Error{ErrorCode::kConflict,
                       "Version to be deleted must not be referenced by an alias. Current list "
                       "of aliases referencing this version: [" +
                           list + "]"});
  }
  WriteBatch batch;
  // Deleting a version that is already gone succeeds, as AWS answers.
  if (versions_.erase(version_arn)) batch.erase(kVersionsTable, version_arn);
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
}

std::optional<Error> Engine::check_routing(const std::vector<RoutingEntry>& routing,
                                           std::string* machine_arn) {
  if (routing.empty() || routing.size() > 2)
    return Error{ErrorCode::kSfnValidation,
                 "1 validation error detected: Value at 'routingConfiguration' failed to satisfy "
                 "constraint: Member must have length less than or equal to 2 and greater than "
                 "or equal to 1"};
  int total = 0;
  for (const auto& entry : routing) {
    auto parsed = parse_machine_arn(entry.version_arn);
    if (!parsed || !is_version_number(parsed->qualifier)) return invalid_arn(entry.version_arn);
    if (entry.weight < 0 || entry.weight > 100)
      return Error{ErrorCode::kSfnValidation,
                   "1 validation error detected: Value '" + std::to_string(entry.weight) +
                       "' at 'routingConfiguration.member.weight' failed to satisfy constraint: "
                       "Member must have value less than or equal to 100"};
    if (machine_arn->empty()) *machine_arn = parsed->machine;
    if (parsed->machine != *machine_arn)
      return Error{ErrorCode::kSfnValidation,
                   "Routing configuration must contain state machine versions of the same "
                   "state machine."};
    total += entry.weight;
  }
  if (routing.size() == 2 && routing[0].version_arn == routing[1].version_arn)
    return Error{ErrorCode::kSfnValidation,
                 "Routing configuration must contain distinct state machine version ARNs."};
  if (total != 100)
    return Error{ErrorCode::kSfnValidation,
                 "Sum of routing configuration weights must be equal to 100."};
  if (auto m = machine(*machine_arn); !m) return m.error();
  for (const auto& entry : routing)
    if (!versions_.count(entry.version_arn)) return not_found(entry.version_arn);
  return std::nullopt;
}

void Engine::create_state_machine_alias(const Caller&, const std::string& name,
                                        std::optional<std::string> description,
                                        std::vector<RoutingEntry> routing,
                                        Reply<StateMachineAlias> reply) {
  if (!valid_alias_name(name))
    return reply(Error{ErrorCode::kInvalidName, "Invalid Name: '" + name + "'"});
  std::string machine_arn;
  if (auto err = check_routing(routing, &machine_arn)) return reply(*err);
  std::string arn = machine_arn + ":" + name;
  if (auto it = aliases_.find(arn); it != aliases_.end()) {
    const StateMachineAlias& a = it->second;
    if (a.description == description.value_or("") && same_routing(a.routing, routing))
      return reply(a);
    return reply(Error{ErrorCode::kConflict,
                       "Failed to create alias because an alias with the same name and a "
                       "different routing configuration already exists."});
  }
  size_t count = 0;
  for (const auto& [a, _] : aliases_) count += a.rfind(machine_arn + ":", 0) == 0;
  if (count >= kMaxAliases)
    return reply(Error{ErrorCode::kServiceQuotaExceeded,
                       "The maximum number of aliases (100) for state machine '" + machine_arn +
                           "' has been reached."});
  TimeMs now = env_.clock->now_ms();
  StateMachineAlias a{arn, name, description.value_or(""), std::move(routing), now, now};
  WriteBatch batch;
  persist_alias(a, batch);
  aliases_[arn] = a;
  commit_then_reply(std::move(batch), std::move(reply), std::move(a));
}

Result<StateMachineAlias*> Engine::alias(const std::string& arn) {
  auto parsed = parse_machine_arn(arn);
  if (!parsed || parsed->qualifier.empty() || is_version_number(parsed->qualifier))
    return invalid_arn(arn);
  auto it = aliases_.find(arn);
  if (it == aliases_.end()) return not_found(arn);
  return &it->second;
}

void Engine::update_state_machine_alias(const Caller&, const std::string& alias_arn,
                                        std::optional<std::string> description,
                                        std::optional<std::vector<RoutingEntry>> routing,
                                        Reply<TimeMs> reply) {
  if (!description && !routing)
    return reply(Error{ErrorCode::kSfnValidation,
                       "Either the description or the routing configuration must be "
                       "specified"});
  auto a = alias(alias_arn);
  if (!a) return reply(a.error());
  if (routing) {
    std::string machine_arn;
    if (auto err = check_routing(*routing, &machine_arn)) return reply(*err);
    if (alias_arn.rfind(machine_arn + ":", 0) != 0)
      return reply(Error{ErrorCode::kSfnValidation,
                         "Routing configuration must contain state machine versions of the "
                         "alias's state machine."});
    (*a)->routing = std::move(*routing);
  }
  if (description) (*a)->description = *description;
  (*a)->updated_at = env_.clock->now_ms();
  WriteBatch batch;
  persist_alias(**a, batch);
  commit_then_reply(std::move(batch), std::move(reply), (*a)->updated_at);
}

void Engine::delete_state_machine_alias(const Caller&, const std::string& alias_arn,
                                        Reply<Ok> reply) {
  auto a = alias(alias_arn);
  if (!a) return reply(a.error());
  aliases_.erase(alias_arn);
  WriteBatch batch;
  batch.erase(kAliasesTable, alias_arn);
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
}

void Engine::describe_state_machine_alias(const Caller&, const std::string& alias_arn,
                                          Reply<StateMachineAlias> reply) {
  auto a = alias(alias_arn);
  if (!a) return reply(a.error());
  reply(**a);
}

void Engine::list_state_machine_aliases(const Caller&, const std::string& machine_arn,
                                        const ListRequest& r,
                                        Reply<Page<StateMachineAlias>> reply) {
  auto parsed = parse_machine_arn(machine_arn);
  if (!parsed || !parsed->qualifier.empty()) return reply(invalid_arn(machine_arn));
  auto m = machine(machine_arn);
  if (!m) return reply(m.error());
  std::vector<StateMachineAlias> all;
  for (const auto& [arn, a] : aliases_)
    if (arn.rfind(machine_arn + ":", 0) == 0) all.push_back(a);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.created_at != b.created_at ? a.created_at < b.created_at : a.arn < b.arn;
  });
  paginate(
      std::move(all), r, [](const StateMachineAlias& a) { return a.arn; }, std::move(reply));
}

void Engine::erase_versions_and_aliases(const std::string& machine_arn, WriteBatch& batch) {
  std::string prefix = machine_arn + ":";
  for (auto it = versions_.lower_bound(prefix);
       it != versions_.end() && it->first.rfind(prefix, 0) == 0;) {
    batch.erase(kVersionsTable, it->first);
    it = versions_.erase(it);
  }
  for (auto it = aliases_.lower_bound(prefix);
       it != aliases_.end() && it->first.rfind(prefix, 0) == 0;) {
    batch.erase(kAliasesTable, it->first);
    it = aliases_.erase(it);
  }
  last_version_.erase(machine_arn);
}

}  // namespace wyvern::stepfn
