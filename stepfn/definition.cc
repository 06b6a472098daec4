#include "definition.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "intrinsics.h"
#include "jsonata_mode.h"
#include "variables.h"

namespace wyvern::stepfn {
namespace {

const std::set<std::string> kTypes = {"Pass",    "Task", "Choice",   "Wait",
                                      "Succeed", "Fail", "Parallel", "Map"};

// Fields each state type may have (besides Type and Comment).
const std::map<std::string, std::set<std::string>> kFields = {
    {"Pass",
     {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "Result", "Assign",
      "Output", "QueryLanguage"}},
    {"Task",
     {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector",
      "Resource", "Retry", "Catch", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds",
      "HeartbeatSecondsPath", "Credentials", "Arguments", "Output", "Assign", "QueryLanguage"}},
    {"Choice",
     {"InputPath", "OutputPath", "Choices", "Default", "Assign", "Output", "QueryLanguage"}},
    {"Wait",
     {"Next", "End", "InputPath", "OutputPath", "Seconds", "Timestamp", "SecondsPath",
      "TimestampPath", "Assign", "Output", "QueryLanguage"}},
    {"Succeed", {"InputPath", "OutputPath", "Output", "QueryLanguage"}},
    {"Fail", {"Error", "Cause", "ErrorPath", "CausePath", "QueryLanguage"}},
    {"Parallel",
     {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector",
      "Branches", "Retry", "Catch", "Assign", "Arguments", "Output", "QueryLanguage"}},
    {"Map",
     {"Next",
      "End",
      "InputPath",
      "OutputPath",
      "ResultPath",
      "Parameters",
      "ResultSelector",
      "ItemsPath",
      "ItemSelector",
      "Iterator",
      "ItemProcessor",
      "MaxConcurrency",
      "MaxConcurrencyPath",
      "ToleratedFailureCount",
      "ToleratedFailurePercentage",
      "ToleratedFailureCountPath",
      "ToleratedFailurePercentagePath",
      "Label",
      "Retry",
      "Catch",
      "ItemReader",
      "ResultWriter",
      "ItemBatcher",
      "Assign",
      "Items",
      "Output",
      "QueryLanguage"}},
};

class Validator {
 public:
  std::vector<Diagnostic> out;

  // What a States object is: the machine itself, a Parallel branch or a Map's item processor.
  enum class Scope { kTopLevel, kBranch, kProcessor };

  void machine(const json& def, const std::string& at, Scope scope = Scope::kTopLevel) {
    if (!def.is_object()) return add("SCHEMA_VALIDATION_FAILED", "Expected an object", at);
    // The top level takes a few fields more than a Parallel branch; a Map's item processor
    // takes its ProcessorConfig. QueryLanguage is the machine's or a state's, never a
    // branch's or processor's.
    static const std::set<std::string> kTopLevel = {"Comment", "StartAt", "States",
                                                    "TimeoutSeconds", "Version", "QueryLanguage"};
    static const std::set<std::string> kBranch = {"Comment", "StartAt", "States"};
    static const std::set<std::string> kProcessor = {"Comment", "StartAt", "States",
                                                     "ProcessorConfig"};
    const auto& allowed = scope == Scope::kTopLevel ? kTopLevel
                          : scope == Scope::kBranch  ? kBranch
                                                     : kProcessor;
    for (const auto& [field, value] : def.items())
      if (!allowed.count(field)) unsupported(field, at.empty() ? "/" : at);
    if (!def.contains("StartAt") || !def["StartAt"].is_string())
      add("SCHEMA_VALIDATION_FAILED", "These fields are required: [StartAt]",
          at.empty() ? "/" : at);
    if (!def.contains("States") || !def["States"].is_object() || def["States"].empty()) {
      add("SCHEMA_VALIDATION_FAILED", "These fields are required: [States]", at.empty() ? "/" : at);
      return;
    }
    if (def.contains("TimeoutSeconds") &&
        (!def["TimeoutSeconds"].is_number_integer() || def["TimeoutSeconds"].get<long>() <= 0 ||
         def["TimeoutSeconds"].get<long>() > 99999999))
      add("SCHEMA_VALIDATION_FAILED",
          "The value for the field 'TimeoutSeconds' must be an integer from 1 to 99999999",
          at + "/TimeoutSeconds");
    const json& states = def["States"];
    // A machine's QueryLanguage; a branch or item processor without one keeps the language
    // around it.
    std::string language = languages_.empty() ? "JSONPath" : languages_.back();
    if (def.contains("QueryLanguage")) {
      if (def["QueryLanguage"] == "JSONPath" || def["QueryLanguage"] == "JSONata")
        language = def["QueryLanguage"];
      else
        add("SCHEMA_VALIDATION_FAILED",
            "Value is not a valid enum value (valid values: [JSONPath, JSONata])",
            at + "/QueryLanguage");
    }
    languages_.push_back(language);
    scopes_.push_back(assigned_names(states));
    std::string start = def.contains("StartAt") && def["StartAt"].is_string()
                            ? def["StartAt"].get<std::string>()
                            : std::string();
    if (def.contains("StartAt") && def["StartAt"].is_string() && !states.contains(start))
      add("MISSING_TRANSITION_TARGET", "State \"" + start + "\" is not found", at + "/StartAt");
    for (const auto& [name, state] : states.items())
      this->state(states, name, state, at + "/States/" + name);
    scopes_.pop_back();
    languages_.pop_back();
    // Reachability from StartAt.
    std::set<std::string> seen;
    std::vector<std::string> todo;
    if (states.contains(start)) todo.push_back(start);
    while (!todo.empty()) {
      std::string s = todo.back();
      todo.pop_back();
      if (!seen.insert(s).second) continue;
      for (const auto& target : transitions(states[s]))
        if (states.contains(target)) todo.push_back(target);
    }
    if (!states.contains(start)) return;  // reported above; reachability would only echo it
    for (const auto& [name, state] : states.items())
      if (!seen.count(name))
        add("UNREACHABLE_STATE", "State \"" + name + "\" is not reachable.",
            at + "/States/" + name);
  }

 private:
  // The names each enclosing scope assigns, outermost first; the last is the scope whose
  // states are being validated (workflow-variables.html#variable-scope: "A variable exists in a
  // scope if any state in the scope assigns a value to it").
  std::vector<std::set<std::string>> scopes_;
  // The query language of each enclosing machine, outermost first.
  std::vector<std::string> languages_;

  // A field the schema does not have, reported at the object that holds it (AWS's wording).
  void unsupported(const std::string& field, const std::string& container) {
    add("SCHEMA_VALIDATION_FAILED", "Field '" + field + "' is not supported", container);
  }

  void add(std::string code, std::string message, std::string location) {
    out.push_back({std::move(code), std::move(message), std::move(location)});
  }

  // A variable's name as an Assign key gives it: without the ".$" of a path's key.
  static std::string variable_of(const std::string& key) {
    bool path = key.size() > 2 && key.compare(key.size() - 2, 2, ".$") == 0;
    return path ? key.substr(0, key.size() - 2) : key;
  }

  // The variables the states of one scope assign: in a state's Assign, a Choice rule's or a
  // Catcher's (a Parallel or Map state's Catcher assigns in the scope the state is in).
  static std::set<std::string> assigned_names(const json& states) {
    std::set<std::string> names;
    auto take = [&](const json& holder) {
      if (holder.is_object() && holder.contains("Assign") && holder["Assign"].is_object())
        for (const auto& [key, value] : holder["Assign"].items()) names.insert(variable_of(key));
    };
    for (const auto& [name, st] : states.items()) {
      take(st);
      if (!st.is_object()) continue;
      for (const char* list : {"Choices", "Catch"})
        if (st.contains(list) && st[list].is_array())
          for (const auto& item : st[list]) take(item);
    }
    return names;
  }

  static bool distributed(const json& processor) {
    return processor.is_object() && processor.contains("ProcessorConfig") &&
           processor["ProcessorConfig"].is_object() &&
           processor["ProcessorConfig"].value("Mode", "") == "DISTRIBUTED";
  }

  // An Assign field (a state's, a Choice rule's or a Catcher's): an object whose keys name
  // variables, each value a literal or, under a "name.$" key, a path or intrinsic function as
  // in a payload template. The wording of these messages is Wyvern's: AWS documents the rules
  // (workflow-variables.html) but not its diagnostics.
  void assign(const json& fields, const std::string& at) {
    if (!fields.is_object())
      return add("SCHEMA_VALIDATION_FAILED", "The value for the field 'Assign' must be an OBJECT",
                 at);
    std::set<std::string> seen;
    for (const auto& [key, value] : fields.items()) {
      std::string name = variable_of(key), where = at + "/" + key;
      if (name == kReservedVariable) {
        add("SCHEMA_VALIDATION_FAILED",
            "The variable name 'states' is reserved and cannot be assigned", where);
      } else if (!is_variable_name(name)) {
        add("SCHEMA_VALIDATION_FAILED",
            "The variable name '" + name +
                "' is invalid: it must be a Unicode identifier (an ID_Start character, then "
                "ID_Continue characters) of at most 80 characters",
            where);
      } else if (!seen.insert(name).second) {
        add("SCHEMA_VALIDATION_FAILED",
            "The variable '" + name + "' is assigned more than once in this Assign field", where);
      } else {
        for (size_t i = 0; i + 1 < scopes_.size(); ++i)
          if (scopes_[i].count(name)) {
            add("SCHEMA_VALIDATION_FAILED",
                "The variable '" + name +
                    "' is assigned in an outer scope, so a state inside a Parallel branch or "
                    "Map iteration cannot assign it",
                where);
            break;
          }
      }
      payload(json{{key, value}}, at);
    }
  }

  static std::vector<std::string> transitions(const json& state) {
    std::vector<std::string> next;
    if (!state.is_object()) return next;
    if (state.contains("Next") && state["Next"].is_string()) next.push_back(state["Next"]);
    if (state.contains("Default") && state["Default"].is_string()) next.push_back(state["Default"]);
    if (state.contains("Choices") && state["Choices"].is_array())
      for (const auto& c : state["Choices"])
        if (c.is_object() && c.contains("Next") && c["Next"].is_string()) next.push_back(c["Next"]);
    if (state.contains("Catch") && state["Catch"].is_array())
      for (const auto& c : state["Catch"])
        if (c.is_object() && c.contains("Next") && c["Next"].is_string()) next.push_back(c["Next"]);
    return next;
  }

  // `context`: the field may also be a path into the context object ("$$..."). Any path
  // field but ResultPath may read a variable ("$name...", workflow-variables.html: "Variables
  // cannot be used in ResultPath").
  void path_field(const json& state, const char* field, const std::string& at, bool reference,
                  bool context = false) {
    if (!state.contains(field) || state[field].is_null()) return;
    const json& v = state[field];
    bool variables = std::string_view(field) != "ResultPath";
    if (!v.is_string() || !is_valid_path(v.get<std::string>(), context, variables, reference))
      add("SCHEMA_VALIDATION_FAILED",
          std::string("The value for the field '") + field + "' must be a valid " +
              (reference ? "Reference" : "JSON") + "Path",
          at + "/" + field);
  }

  // MaxConcurrency and ToleratedFailureCount: integers >= 0; ToleratedFailurePercentage: a
  // number from 0 to 100. Or, instead, their *Path variants: reference paths to such values.
  void map_limit(const json& state, const std::string& field, bool percentage,
                 const std::string& at) {
    std::string path = field + "Path";
    if (state.contains(field) && state.contains(path))
      add("SCHEMA_VALIDATION_FAILED",
          "Only one of these fields may be set: [" + field + ", " + path + "]", at);
    path_field(state, path.c_str(), at, true);
    if (!state.contains(field)) return;
    const json& v = state[field];
    bool valid = percentage ? v.is_number() && v.get<double>() >= 0 && v.get<double>() <= 100
                            : v.is_number_unsigned();
    if (!valid)
      add("SCHEMA_VALIDATION_FAILED",
          "The value for the field '" + field + "' must be " +
              (percentage ? "a number from 0 to 100" : "a non-negative integer"),
          at + "/" + field);
  }

  // A Fail state's ErrorPath or CausePath: a path, or one of the intrinsics AWS's guide
  // (state-fail.html) lists as returning a string.
  void fail_path(const json& state, const char* field, const std::string& at) {
    if (!state.contains(field) || !state[field].is_string()) return;
    static const std::set<std::string> kStringFunctions = {
        "States.Format",       "States.JsonToString", "States.ArrayGetItem", "States.Base64Encode",
        "States.Base64Decode", "States.Hash",         "States.UUID"};
    std::string text = state[field];
    if (!is_intrinsic(text)) return path_field(state, field, at, false);
    if (check_intrinsic(text) ||
        !kStringFunctions.count(text.substr(0, text.find_first_of("( \t"))))
      add("SCHEMA_VALIDATION_FAILED",
          std::string("The value for the field '") + field +
              "' must be a valid JSONPath or a valid intrinsic function call that returns a string",
          at + "/" + field);
  }

  void payload(const json& template_, const std::string& at) {
    if (template_.is_object()) {
      for (const auto& [key, value] : template_.items()) {
        if (key.size() > 2 && key.compare(key.size() - 2, 2, ".$") == 0) {
          std::string field = key.substr(0, key.size() - 2);
          if (!value.is_string()) {
            add("SCHEMA_VALIDATION_FAILED",
                "The value for the field '" + field +
                    "' must be a STRING that contains a JSONPath.",
                at + "/" + key);
            continue;
          }
          std::string text = value.get<std::string>();
          bool ok = is_intrinsic(text) ? !check_intrinsic(text).has_value()
                                       : is_valid_path(text, true, true);
          if (!ok)
            add("SCHEMA_VALIDATION_FAILED",
                "The value for the field '" + field +
                    "' must be a valid JSONPath or a valid intrinsic function call",
                at + "/" + key);
        } else {
          payload(value, at + "/" + key);
        }
      }
    } else if (template_.is_array()) {
      for (size_t i = 0; i < template_.size(); ++i)
        payload(template_[i], at + "/" + std::to_string(i));
    }
  }

  void state(const json& states, const std::string& name, const json& state,
             const std::string& at) {
    if (!state.is_object()) return add("SCHEMA_VALIDATION_FAILED", "Expected an object", at);
    if (name.size() > 80)
      add("SCHEMA_VALIDATION_FAILED", "State name is too long (80 characters at most)", at);
    if (!state.contains("Type") || !state["Type"].is_string())
      return add("SCHEMA_VALIDATION_FAILED", "These fields are required: [Type]", at);
    std::string type = state["Type"];
    if (!kTypes.count(type))
      return add("SCHEMA_VALIDATION_FAILED",
                 "Value is not a valid enum value (valid values: [Pass, Task, Choice, Wait, "
                 "Succeed, Fail, Parallel, Map])",
                 at + "/Type");
    const auto& allowed = kFields.at(type);
    for (const auto& [field, value] : state.items())
      if (field != "Type" && field != "Comment" && !allowed.count(field)) unsupported(field, at);
    const bool jsonata = query_language(state, at);
    if (jsonata) {
      jsonata_state(state, type, at);
    } else {
      for (const char* f : {"Arguments", "Output", "Items"})
        if (state.contains(f)) only_for(f, "JSONata", at + "/" + f);
      for (const char* f : {"ItemReader", "ResultWriter"})
        if (state.contains(f) && state[f].is_object() && state[f].contains("Arguments"))
          only_for("Arguments", "JSONata", at + "/" + f + "/Arguments");
      if (state.contains("Catch") && state["Catch"].is_array())
        for (size_t i = 0; i < state["Catch"].size(); ++i)
          if (state["Catch"][i].is_object() && state["Catch"][i].contains("Output"))
            only_for("Output", "JSONata", at + "/Catch/" + std::to_string(i) + "/Output");
    }
    bool terminal = type == "Succeed" || type == "Fail" || type == "Choice";
    if (!terminal) {
      bool has_next = state.contains("Next"), has_end = state.contains("End");
      if (has_next == has_end)
        add("SCHEMA_VALIDATION_FAILED",
            has_next ? "Only one of these fields may be set: [Next, End]"
                     : "Exactly one of these fields is required: [Next, End]",
            at);
      if (has_end && state["End"] != true)
        add("SCHEMA_VALIDATION_FAILED", "The value for the field 'End' must be true", at + "/End");
    }
    if (state.contains("Next")) {
      if (!state["Next"].is_string() || !states.contains(state["Next"].get<std::string>()))
        add("MISSING_TRANSITION_TARGET",
            "Missing 'Next' target: " + (state["Next"].is_string()
                                             ? state["Next"].get<std::string>()
                                             : state["Next"].dump()),
            at + "/Next");
    }
    // input-output-contextobject.html: InputPath, OutputPath and ItemsPath may read `$$`.
    path_field(state, "InputPath", at, false, true);
    path_field(state, "OutputPath", at, false, true);
    path_field(state, "ResultPath", at, true);
    for (const char* p : {"Parameters", "ResultSelector"})
      if (state.contains(p)) payload(state[p], at + "/" + p);
    if (state.contains("Assign")) assign(state["Assign"], at + "/Assign");
    if (state.contains("Retry")) retriers(state["Retry"], at + "/Retry");
    if (state.contains("Catch")) catchers(states, state["Catch"], at + "/Catch");
    if (type == "Task" && (!state.contains("Resource") || !state["Resource"].is_string()))
      add("SCHEMA_VALIDATION_FAILED", "These fields are required: [Resource]", at);
    if (type == "Task" && !jsonata) task_timeouts(state, at);
    if (type == "Choice") choice(states, state, at, jsonata);
    if (type == "Wait") {
      int n = 0;
      for (const char* f : {"Seconds", "Timestamp", "SecondsPath", "TimestampPath"})
        n += state.contains(f);
      if (n != 1)
        add("SCHEMA_VALIDATION_FAILED",
            "Exactly one of these fields is required: [Seconds, Timestamp, SecondsPath, "
            "TimestampPath]",
            at);
      if (jsonata) {
        // Seconds and Timestamp may be expressions, checked by jsonata_state().
      } else if (state.contains("Timestamp") && !state["Timestamp"].is_string())
        add("SCHEMA_VALIDATION_FAILED", "The value for the field 'Timestamp' must be a STRING",
            at + "/Timestamp");
      // AWS's largest Wait is 99,999,999 seconds.
      if (!jsonata && state.contains("Seconds") &&
          (!state["Seconds"].is_number_integer() || state["Seconds"].get<long>() < 0 ||
           state["Seconds"].get<long>() > 99999999))
        add("SCHEMA_VALIDATION_FAILED",
            "The value for the field 'Seconds' must be an integer from 0 to 99999999",
            at + "/Seconds");
      path_field(state, "SecondsPath", at, false);
      path_field(state, "TimestampPath", at, false);
    }
    if (type == "Fail") {
      for (const char* f : {"Error", "Cause", "ErrorPath", "CausePath"})
        if (state.contains(f) && !state[f].is_string())
          add("SCHEMA_VALIDATION_FAILED",
              std::string("The value for the field '") + f + "' must be a STRING", at + "/" + f);
      for (const char* f : {"ErrorPath", "CausePath"}) fail_path(state, f, at);
      for (const char* f : {"Error", "Cause"})
        if (state.contains(f) && state.contains(std::string(f) + "Path"))
          add("SCHEMA_VALIDATION_FAILED",
              std::string("Only one of these fields may be set: [") + f + ", " + f + "Path]", at);
    }
    if (type == "Parallel") {
      if (!state.contains("Branches") || !state["Branches"].is_array() || state["Branches"].empty())
        add("SCHEMA_VALIDATION_FAILED", "These fields are required: [Branches]", at);
      else
        for (size_t i = 0; i < state["Branches"].size(); ++i)
          machine(state["Branches"][i], at + "/Branches/" + std::to_string(i), Scope::kBranch);
    }
    if (type == "Map") {
      const char* processor = state.contains("ItemProcessor") ? "ItemProcessor" : "Iterator";
      if (!state.contains(processor)) {
        add("SCHEMA_VALIDATION_FAILED", "These fields are required: [ItemProcessor]", at);
      } else if (distributed(state[processor])) {
        // A distributed Map's child executions cannot see the variables around the Map
        // (workflow-variables.html#variable-scope), so they may reuse their names.
        auto outer = std::exchange(scopes_, {});
        machine(state[processor], at + "/" + processor, Scope::kProcessor);
        scopes_ = std::move(outer);
      } else {
        machine(state[processor], at + "/" + processor, Scope::kProcessor);
      }
      path_field(state, "ItemsPath", at, false, true);
      if (!jsonata) {
        map_limit(state, "MaxConcurrency", false, at);
        map_limit(state, "ToleratedFailureCount", false, at);
        map_limit(state, "ToleratedFailurePercentage", true, at);
      }
    }
  }

  // ErrorEquals: a non-empty list of error names; States.ALL only alone, in the last entry.
  void error_equals(const json& entry, bool last, const std::string& at) {
    if (!entry.contains("ErrorEquals") || !entry["ErrorEquals"].is_array() ||
        entry["ErrorEquals"].empty())
      return add("SCHEMA_VALIDATION_FAILED", "These fields are required: [ErrorEquals]", at);
    const json& names = entry["ErrorEquals"];
    for (size_t i = 0; i < names.size(); ++i) {
      if (!names[i].is_string()) {
        add("SCHEMA_VALIDATION_FAILED", "The value for the field 'ErrorEquals' must be a STRING",
            at + "/ErrorEquals/" + std::to_string(i));
        continue;
      }
      if (names[i] == "States.ALL" && (names.size() != 1 || !last))
        add("SCHEMA_VALIDATION_FAILED",
            "Error name 'States.ALL' must appear alone in the last Retrier or Catcher",
            at + "/ErrorEquals/" + std::to_string(i));
    }
  }

  void retriers(const json& list, const std::string& at) {
    static const std::set<std::string> kRetrierFields = {
        "ErrorEquals",     "IntervalSeconds", "MaxAttempts", "BackoffRate",
        "MaxDelaySeconds", "JitterStrategy",  "Comment"};
    if (!list.is_array())
      return add("SCHEMA_VALIDATION_FAILED", "The value for the field 'Retry' must be a LIST", at);
    for (size_t i = 0; i < list.size(); ++i) {
      const json& r = list[i];
      std::string where = at + "/" + std::to_string(i);
      if (!r.is_object()) {
        add("SCHEMA_VALIDATION_FAILED", "Expected an object", where);
        continue;
      }
      for (const auto& [field, value] : r.items())
        if (!kRetrierFields.count(field)) unsupported(field, where);
      error_equals(r, i + 1 == list.size(), where);
      auto integer_from = [&](const char* field, long low) {
        if (r.contains(field) && (!r[field].is_number_integer() || r[field].get<long>() < low ||
                                  r[field].get<long>() > 99999999))
          add("SCHEMA_VALIDATION_FAILED",
              std::string("The value for the field '") + field + "' must be an integer from " +
                  std::to_string(low) + " to 99999999",
              where + "/" + field);
      };
      integer_from("IntervalSeconds", 1);
      integer_from("MaxAttempts", 0);
      integer_from("MaxDelaySeconds", 1);
      if (r.contains("BackoffRate") &&
          (!r["BackoffRate"].is_number() || r["BackoffRate"].get<double>() < 1.0))
        add("SCHEMA_VALIDATION_FAILED",
            "The value for the field 'BackoffRate' must be a number greater than or equal to 1.0",
            where + "/BackoffRate");
      if (r.contains("JitterStrategy") && r["JitterStrategy"] != "FULL" &&
          r["JitterStrategy"] != "NONE")
        add("SCHEMA_VALIDATION_FAILED",
            "Value is not a valid enum value (valid values: [FULL, NONE])",
            where + "/JitterStrategy");
    }
  }

  void catchers(const json& states, const json& list, const std::string& at) {
    static const std::set<std::string> kCatcherFields = {"ErrorEquals", "Next",   "ResultPath",
                                                         "Comment",     "Output", "Assign"};
    if (!list.is_array())
      return add("SCHEMA_VALIDATION_FAILED", "The value for the field 'Catch' must be a LIST", at);
    for (size_t i = 0; i < list.size(); ++i) {
      const json& c = list[i];
      std::string where = at + "/" + std::to_string(i);
      if (!c.is_object()) {
        add("SCHEMA_VALIDATION_FAILED", "Expected an object", where);
        continue;
      }
      for (const auto& [field, value] : c.items())
        if (!kCatcherFields.count(field)) unsupported(field, where);
      error_equals(c, i + 1 == list.size(), where);
      if (!c.contains("Next"))
        add("SCHEMA_VALIDATION_FAILED", "These fields are required: [Next]", where);
      else if (!c["Next"].is_string() || !states.contains(c["Next"].get<std::string>()))
        add("MISSING_TRANSITION_TARGET", "Missing 'Next' target: " + c["Next"].dump(),
            where + "/Next");
      path_field(c, "ResultPath", where, true);
      if (c.contains("Assign")) assign(c["Assign"], where + "/Assign");
    }
  }

  void only_for(const std::string& field, const std::string& language, const std::string& at,
                bool rule = false) {
    std::string other = language == "JSONata" ? "JSONPath" : "JSONata";
    if (rule && language == "JSONPath" && field != "Variable" && field != "And" && field != "Or" &&
        field != "Not" && field.find("Equals") == std::string::npos &&
        field.find("Than") == std::string::npos && field.rfind("Is", 0) != 0 &&
        field != "StringMatches")
      return unsupported(field, at);
    add("SCHEMA_VALIDATION_FAILED",
        "The QueryLanguage is set to '" + other + "', but field '" + field +
            "' is only supported for the '" + language + "' QueryLanguage",
        at);
  }

  // Whether the state runs in JSONata mode: its QueryLanguage, else its machine's. A JSONata
  // machine's states may not go back to JSONPath.
  bool query_language(const json& state, const std::string& at) {
    const std::string& machine = languages_.empty() ? "JSONPath" : languages_.back();
    if (!state.contains("QueryLanguage")) return machine == "JSONata";
    const json& own = state["QueryLanguage"];
    if (own != "JSONPath" && own != "JSONata") {
      add("SCHEMA_VALIDATION_FAILED",
          "Value is not a valid enum value (valid values: [JSONPath, JSONata])",
          at + "/QueryLanguage");
      return machine == "JSONata";
    }
    if (own == "JSONPath" && machine == "JSONata")
      add("SCHEMA_VALIDATION_FAILED",
          "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine", at);
    return own == "JSONata";
  }

  // A JSONata state: no JSONPath fields, and every "{% %}" value compiles and reads only the
  // parts of `$states` the field may (transforming-data.html: `result` in a Task, Map or
  // Parallel state's Output and Assign, `errorOutput` in a Catcher's).
  void jsonata_state(const json& state, const std::string& type, const std::string& at) {
    static const char* kJsonPathFields[] = {"InputPath",
                                            "Parameters",
                                            "ResultSelector",
                                            "ResultPath",
                                            "OutputPath",
                                            "ItemsPath",
                                            "SecondsPath",
                                            "TimestampPath",
                                            "ErrorPath",
                                            "CausePath",
                                            "TimeoutSecondsPath",
                                            "HeartbeatSecondsPath",
                                            "MaxConcurrencyPath",
                                            "ToleratedFailureCountPath",
                                            "ToleratedFailurePercentagePath"};
    for (const char* f : kJsonPathFields)
      if (state.contains(f)) only_for(f, "JSONPath", at + "/" + f);
    bool has_result = type == "Task" || type == "Map" || type == "Parallel";
    for (const char* f : {"Arguments", "ItemSelector", "Items", "Seconds", "Timestamp",
                          "TimeoutSeconds", "HeartbeatSeconds", "MaxConcurrency",
                          "ToleratedFailureCount", "ToleratedFailurePercentage", "Error", "Cause"})
      if (state.contains(f)) expressions(state[f], at + "/" + f, false, false);
    for (const char* f : {"Output", "Assign"})
      if (state.contains(f)) expressions(state[f], at + "/" + f, has_result, false);
    // A distributed Map's ItemReader and ResultWriter take Arguments in place of Parameters
    // (input-output-itemreader.html), and its ItemBatcher, like every JSONata state, no *Path
    // fields; their values may be expressions.
    for (const char* f : {"ItemReader", "ResultWriter", "ItemBatcher"}) {
      if (!state.contains(f) || !state[f].is_object()) continue;
      for (const auto& [key, value] : state[f].items()) {
        std::string where = at + "/" + f + "/" + key;
        if (key == "Parameters" || (key.size() > 4 && key.compare(key.size() - 4, 4, "Path") == 0))
          only_for(key, "JSONPath", where);
        else if (key != "Resource")
          expressions(value, where, false, false);
      }
    }
    if (state.contains("Choices") && state["Choices"].is_array())
      for (size_t i = 0; i < state["Choices"].size(); ++i) {
        const json& rule = state["Choices"][i];
        if (!rule.is_object()) continue;
        std::string where = at + "/Choices/" + std::to_string(i);
        for (const char* f : {"Condition", "Output", "Assign"})
          if (rule.contains(f)) expressions(rule[f], where + "/" + f, false, false);
      }
    if (state.contains("Catch") && state["Catch"].is_array())
      for (size_t i = 0; i < state["Catch"].size(); ++i) {
        const json& c = state["Catch"][i];
        if (!c.is_object()) continue;
        std::string where = at + "/Catch/" + std::to_string(i);
        if (c.contains("ResultPath")) only_for("ResultPath", "JSONPath", where + "/ResultPath");
        for (const char* f : {"Output", "Assign"})
          if (c.contains(f)) expressions(c[f], where + "/" + f, false, true);
      }
  }

  // Checks every string in `value` (recursively) that opens an expression.
  void expressions(const json& value, const std::string& at, bool result, bool error_output) {
    if (value.is_object()) {
      for (const auto& [key, member] : value.items())
        expressions(member, at + "/" + key, result, error_output);
      return;
    }
    if (value.is_array()) {
      for (size_t i = 0; i < value.size(); ++i)
        expressions(value[i], at + "/" + std::to_string(i), result, error_output);
      return;
    }
    if (!value.is_string()) return;
    const std::string& text = value.get_ref<const std::string&>();
    if (text.rfind("{%", 0) != 0) return;  // a literal
    if (!is_expression(value))
      return add("SCHEMA_VALIDATION_FAILED",
                 "The JSONata expression must start with '{%' and end with '%}'", at);
    ExpressionFacts facts = expression_facts(text);
    if (facts.syntax_error) return add("INVALID_JSONATA_EXPRESSION", *facts.syntax_error, at);
    // An expression has no context item (the input is $states.input), so a path that starts
    // from it reads nothing: AWS refuses the definition (observed diagnostics, which the
    // developer guide does not spell out).
    for (const auto& name : facts.context_references)
      add("UNSUPPORTED_JSONATA_EXPRESSION",
          name == "$$" ? "Reference to '$$' is not supported."
                       : "Reference to '" + name + "' at the top level is not supported.",
          at);
    // `$states.result` and `$states.errorOutput` exist only where AWS provides them.
    for (const auto& field : facts.states_fields)
      if ((field == "result" && !result) || (field == "errorOutput" && !error_output))
        add("UNSUPPORTED_JSONATA_EXPRESSION", "Field '$states." + field + "' does not exist.", at);
  }

  // TimeoutSeconds and HeartbeatSeconds: positive integers, each or its *Path, the heartbeat
  // shorter than the timeout.
  void task_timeouts(const json& state, const std::string& at) {
    for (const char* field : {"TimeoutSeconds", "HeartbeatSeconds"}) {
      std::string path = std::string(field) + "Path";
      if (state.contains(field) && state.contains(path))
        add("SCHEMA_VALIDATION_FAILED",
            "Only one of these fields may be set: [" + std::string(field) + ", " + path + "]", at);
      path_field(state, path.c_str(), at, true);
      if (state.contains(field) &&
          (!state[field].is_number_integer() || state[field].get<long>() < 1 ||
           state[field].get<long>() > 99999999))
        add("SCHEMA_VALIDATION_FAILED",
            std::string("The value for the field '") + field +
                "' must be an integer from 1 to 99999999",
            at + "/" + field);
    }
    if (state.contains("TimeoutSeconds") && state.contains("HeartbeatSeconds") &&
        state["TimeoutSeconds"].is_number_integer() &&
        state["HeartbeatSeconds"].is_number_integer() &&
        state["HeartbeatSeconds"].get<long>() >= state["TimeoutSeconds"].get<long>())
      add("SCHEMA_VALIDATION_FAILED",
          "The value of the field 'HeartbeatSeconds' must be smaller than the value of the field "
          "'TimeoutSeconds'",
          at + "/HeartbeatSeconds");
  }

  void choice(const json& states, const json& state, const std::string& at, bool jsonata) {
    if (!state.contains("Choices") || !state["Choices"].is_array() || state["Choices"].empty())
      return add("SCHEMA_VALIDATION_FAILED", "These fields are required: [Choices]", at);
    for (size_t i = 0; i < state["Choices"].size(); ++i) {
      const json& rule = state["Choices"][i];
      std::string where = at + "/Choices/" + std::to_string(i);
      if (!rule.is_object() || !rule.contains("Next")) {
        add("SCHEMA_VALIDATION_FAILED", "These fields are required: [Next]", where);
        continue;
      }
      if (!rule["Next"].is_string() || !states.contains(rule["Next"].get<std::string>()))
        add("MISSING_TRANSITION_TARGET", "Missing 'Next' target: " + rule["Next"].dump(),
            where + "/Next");
      if (jsonata) {
        // A JSONata rule is a Condition (checked by jsonata_state()) and what it leads to.
        static const std::set<std::string> kRuleFields = {"Condition", "Next", "Output", "Assign",
                                                          "Comment"};
        for (const auto& [field, value] : rule.items())
          if (!kRuleFields.count(field)) only_for(field, "JSONPath", where + "/" + field, true);
        if (!rule.contains("Condition"))
          add("SCHEMA_VALIDATION_FAILED", "These fields are required: [Condition]", where);
      } else {
        for (const char* f : {"Condition", "Output"})
          if (rule.contains(f)) only_for(f, "JSONata", where + "/" + f);
        comparison(rule, where, true);
      }
      if (rule.contains("Assign")) assign(rule["Assign"], where + "/Assign");
    }
    if (state.contains("Default") &&
        (!state["Default"].is_string() || !states.contains(state["Default"].get<std::string>())))
      add("MISSING_TRANSITION_TARGET", "Missing 'Default' target: " + state["Default"].dump(),
          at + "/Default");
  }

  void comparison(const json& rule, const std::string& at, bool top) {
    static const std::set<std::string> kOperators = {"And",
                                                     "Or",
                                                     "Not",
                                                     "BooleanEquals",
                                                     "BooleanEqualsPath",
                                                     "IsBoolean",
                                                     "IsNull",
                                                     "IsNumeric",
                                                     "IsPresent",
                                                     "IsString",
                                                     "IsTimestamp",
                                                     "NumericEquals",
                                                     "NumericEqualsPath",
                                                     "NumericGreaterThan",
                                                     "NumericGreaterThanPath",
                                                     "NumericGreaterThanEquals",
                                                     "NumericGreaterThanEqualsPath",
                                                     "NumericLessThan",
                                                     "NumericLessThanPath",
                                                     "NumericLessThanEquals",
                                                     "NumericLessThanEqualsPath",
                                                     "StringEquals",
                                                     "StringEqualsPath",
                                                     "StringGreaterThan",
                                                     "StringGreaterThanPath",
                                                     "StringGreaterThanEquals",
                                                     "StringGreaterThanEqualsPath",
                                                     "StringLessThan",
                                                     "StringLessThanPath",
                                                     "StringLessThanEquals",
                                                     "StringLessThanEqualsPath",
                                                     "StringMatches",
                                                     "TimestampEquals",
                                                     "TimestampEqualsPath",
                                                     "TimestampGreaterThan",
                                                     "TimestampGreaterThanPath",
                                                     "TimestampGreaterThanEquals",
                                                     "TimestampGreaterThanEqualsPath",
                                                     "TimestampLessThan",
                                                     "TimestampLessThanPath",
                                                     "TimestampLessThanEquals",
                                                     "TimestampLessThanEqualsPath"};
    int operators = 0;
    for (const auto& [field, value] : rule.items()) {
      if ((field == "Next" || field == "Assign" || field == "Condition" || field == "Output") &&
          top)
        continue;
      if (field == "Variable" || field == "Comment") continue;
      if (!kOperators.count(field)) {
        unsupported(field, at);
        continue;
      }
      ++operators;
      std::string where = at + "/" + field;
      auto ends_with = [&](const char* suffix) {
        std::string_view f = field, x = suffix;
        return f.size() >= x.size() && f.substr(f.size() - x.size()) == x;
      };
      if (field.rfind("Is", 0) == 0 && !value.is_boolean())
        add("SCHEMA_VALIDATION_FAILED", "The value for the field '" + field + "' must be a BOOLEAN",
            where);
      else if (ends_with("Path") && !value.is_string())
        add("SCHEMA_VALIDATION_FAILED", "The value for the field '" + field + "' must be a STRING",
            where);
      else if (ends_with("Path") && !is_valid_path(value.get<std::string>(), true, true))
        add("SCHEMA_VALIDATION_FAILED",
            "The value for the field '" + field + "' must be a valid JSONPath", where);
      else if (!ends_with("Path") &&
               (field.rfind("String", 0) == 0 || field.rfind("Timestamp", 0) == 0) &&
               !value.is_string())
        add("SCHEMA_VALIDATION_FAILED", "The value for the field '" + field + "' must be a STRING",
            where);
      else if (!ends_with("Path") && field.rfind("Numeric", 0) == 0 && !value.is_number())
        add("SCHEMA_VALIDATION_FAILED", "The value for the field '" + field + "' must be a NUMBER",
            where);
      else if (!ends_with("Path") && field.rfind("Boolean", 0) == 0 && !value.is_boolean())
        add("SCHEMA_VALIDATION_FAILED", "The value for the field '" + field + "' must be a BOOLEAN",
            where);
      if (field == "And" || field == "Or") {
        if (!value.is_array() || value.empty())
          add("SCHEMA_VALIDATION_FAILED",
              "The value for the field '" + field + "' must be a non-empty array",
              at + "/" + field);
        else
          for (size_t i = 0; i < value.size(); ++i)
            comparison(value[i], at + "/" + field + "/" + std::to_string(i), false);
      } else if (field == "Not") {
        comparison(value, at + "/Not", false);
      } else if (!rule.contains("Variable")) {
        add("SCHEMA_VALIDATION_FAILED", "These fields are required: [Variable]", at);
      }
    }
    if (operators != 1)
      add("SCHEMA_VALIDATION_FAILED", "Exactly one comparison operator is required", at);
    if (rule.contains("Variable") &&
        (!rule["Variable"].is_string() ||
         !is_valid_path(rule["Variable"].get<std::string>(), true, true)))
      add("SCHEMA_VALIDATION_FAILED", "The value for the field 'Variable' must be a valid JSONPath",
          at + "/Variable");
  }
};

// What an Express machine may not use, anywhere in it (branches and iterations included):
// activities and the .sync and .waitForTaskToken patterns, each of which outlives the five
// minutes an Express execution has.
void express_restrictions(const json& machine, const std::string& at,
                          std::vector<Diagnostic>& out) {
  if (!machine.is_object() || !machine.contains("States") || !machine["States"].is_object()) return;
  for (const auto& [name, st] : machine["States"].items()) {
    if (!st.is_object()) continue;
    std::string here = at + "/States/" + name;
    std::string type = st.value("Type", "");
    if (type == "Task" && st.contains("Resource") && st["Resource"].is_string()) {
      const std::string resource = st["Resource"];
      std::string problem;
      if (resource.rfind("arn:aws:states:", 0) == 0 &&
          resource.find(":activity:") != std::string::npos)
        problem = "Express state machine does not support Activity ARN";
      else if (resource.find(".waitForTaskToken") != std::string::npos)
        // AWS's text ends in a space here, so its message has two before "at" (recorded).
        problem = "Express state machine does not support '.waitForTaskToken' service integration ";
      else if (resource.size() >= 5 && (resource.rfind(".sync") == resource.size() - 5 ||
                                        resource.find(".sync:") != std::string::npos))
        problem = "Express state machine does not support '.sync' service integration";
      if (!problem.empty())
        out.push_back({"SCHEMA_VALIDATION_FAILED", problem, here + "/Resource"});
    }
    if (type == "Parallel" && st.contains("Branches") && st["Branches"].is_array())
      for (size_t i = 0; i < st["Branches"].size(); ++i)
        express_restrictions(st["Branches"][i], here + "/Branches/" + std::to_string(i), out);
    if (type == "Map")
      for (const char* field : {"ItemProcessor", "Iterator"})
        if (st.contains(field)) express_restrictions(st[field], here + "/" + field, out);
  }
}

}  // namespace

namespace {

// Collects, once each, the variables that fields read: a path's or an intrinsic
// function's arguments ("$name..."). Literal strings read nothing, so only the fields that hold
// paths are looked at: "...Path" fields (not ResultPath, which cannot), a Choice rule's
// Variable, and "key.$" fields in payload templates (Parameters, ResultSelector, ItemSelector,
// Assign, BatchInput, ...).
class ReferenceCollector {
 public:
  std::map<std::string, std::vector<std::string>> out;

  void machine(const json& def) {
    if (!def.is_object() || !def.contains("States") || !def["States"].is_object()) return;
    for (const auto& [name, st] : def["States"].items()) {
      if (!st.is_object()) continue;
      names_ = &out[name];
      state(st);
      if (names_->empty()) out.erase(name);
      for (const char* nested : {"ItemProcessor", "Iterator"})
        if (st.contains(nested)) machine(st[nested]);
      if (st.contains("Branches") && st["Branches"].is_array())
        for (const auto& branch : st["Branches"]) machine(branch);
    }
  }

 private:
  std::vector<std::string>* names_ = nullptr;

  void state(const json& st) {
    for (const auto& [key, value] : st.items()) {
      if (key == "Branches" || key == "ItemProcessor" || key == "Iterator") continue;
      if (key == "Choices" && value.is_array()) {
        for (const auto& r : value) rule(r);
      } else if (is_path_field(key) && value.is_string()) {
        expression(value.get<std::string>());
      } else if (key == "ItemBatcher" && value.is_object()) {
        state(value);
      } else {
        payload(value);
      }
    }
  }

  void rule(const json& r) {
    if (!r.is_object()) return;
    for (const auto& [key, value] : r.items()) {
      if ((key == "Variable" || is_path_field(key)) && value.is_string())
        expression(value.get<std::string>());
      else if ((key == "And" || key == "Or") && value.is_array())
        for (const auto& sub : value) rule(sub);
      else if (key == "Not")
        rule(value);
      else if (key == "Assign")
        payload(value);
    }
  }

  void payload(const json& v) {
    if (v.is_array())
      for (const auto& item : v) payload(item);
    if (!v.is_object()) return;
    for (const auto& [key, value] : v.items()) {
      if (key.size() > 2 && key.compare(key.size() - 2, 2, ".$") == 0 && value.is_string())
        expression(value.get<std::string>());
      else
        payload(value);
    }
  }

  static bool is_path_field(const std::string& key) {
    return key != "ResultPath" && key.size() > 4 && key.compare(key.size() - 4, 4, "Path") == 0;
  }

  // A path, or an intrinsic function whose arguments may be paths (outside quoted strings).
  void expression(const std::string& text) {
    if (!is_intrinsic(text)) {
      if (auto ref = path_ref(text); ref && ref->root == PathRoot::kVariable) add(ref->variable);
      return;
    }
    bool quoted = false;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\\') {
        ++i;
      } else if (text[i] == '\'') {
        quoted = !quoted;
      } else if (!quoted && text[i] == '$') {
        size_t end = text.find_first_of(",) \t", i);
        if (auto ref = path_ref(text.substr(i, end == std::string::npos ? end : end - i));
            ref && ref->root == PathRoot::kVariable)
          add(ref->variable);
        if (end == std::string::npos) break;
        i = end;
      }
    }
  }

  void add(const std::string& name) {
    if (std::find(names_->begin(), names_->end(), name) == names_->end()) names_->push_back(name);
  }
};

}  // namespace

std::map<std::string, std::vector<std::string>> variable_references(const json& definition) {
  ReferenceCollector collector;
  collector.machine(definition);
  for (auto& [state, names] : collector.out) std::sort(names.begin(), names.end());
  return std::move(collector.out);
}

std::vector<Diagnostic> validate_definition(const std::string& definition,
                                            const std::string& type) {
  json def = json::parse(definition, nullptr, false);
  if (def.is_discarded())
    return {{"INVALID_JSON_DESCRIPTION", "Definition is not valid JSON", "/"}};
  Validator v;
  v.machine(def, "");
  if (type == "EXPRESS") express_restrictions(def, "", v.out);
  return v.out;
}

std::string invalid_definition_message(const std::vector<Diagnostic>& diagnostics) {
  std::string out = "Invalid State Machine Definition: '";
  for (size_t i = 0; i < diagnostics.size(); ++i) {
    if (i) out += ", ";
    out += diagnostics[i].code + ": " + diagnostics[i].message + " at " + diagnostics[i].location;
  }
  return out + "'";
}

}  // namespace wyvern::stepfn
