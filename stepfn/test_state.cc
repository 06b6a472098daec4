// TestState: one state run once, outside any execution, with the data after each processing
// step for inspection. A lone state is validated inside a stand-in machine whose other
// states are the ones it names; a whole machine is validated as it is. Task states take a
// mocked result or error, or run the local function bound to their Lambda resource.
// Nothing is stored: a test leaves no trace.
#include <memory>
#include <set>

#include "definition.h"
#include "engine.h"

namespace wyvern::stepfn {
namespace {

// One TestState call on its way through the state.
struct Trial {
  json state;
  std::string name;
  json input, context;
  // The request's variables, then what the state assigns: the one scope the state reads.
  json variables = json::object();
  VariableScope scope{{&variables}};
  bool assigned = false;  // the state assigned variables
  bool inspect = false;   // DEBUG or TRACE
  int retries_so_far = 0;
  TestStateResult out;
  Reply<TestStateResult> reply;

  // A JSONata state's `$states` (input and context), its variables and clock.
  std::optional<JsonataFrame> frame;

  Bindings bindings(const JsonataFrame* with = nullptr) const {
    return {context, scope, with ? with : frame ? &*frame : nullptr};
  }
  // The frame with one more part of `$states` ("result", "errorOutput").
  JsonataFrame frame_with(const char* part, const json& value) const {
    JsonataFrame f = *frame;
    f.states[part] = value;
    return f;
  }
  void note(const char* step, const json& value) {
    if (inspect) out.inspection[step] = text_of(value);
  }
  // Answers with what the test came to; DEBUG and TRACE show the variables after the state
  // ("variables set up as test state input" and those it assigned: API_InspectionData).
  void send() {
    if (inspect && (assigned || !variables.empty())) note("variables", variables);
    reply(std::move(out));
  }
};

// Evaluates the Assign of `holder` (the state, its matching Choice rule or its Catcher) against
// `document`, and stores the values among the test's variables, within AWS's size limits.
std::optional<StateError> assign(Trial& t, const json& holder, const json& document,
                                 const JsonataFrame* frame = nullptr) {
  if (!holder.is_object() || !holder.contains("Assign")) return std::nullopt;
  Outcome values = evaluate_assign(t.state, holder["Assign"], document, t.bindings(frame));
  if (values.error) return values.error;
  size_t total = 0;
  for (const auto& [name, value] : t.variables.items())
    if (!values.value.contains(name)) total += variable_bytes(value);
  for (const auto& [name, value] : values.value.items()) total += variable_bytes(value);
  if (auto e = assignment_limits(t.name, values.value, total)) return e;
  for (const auto& [name, value] : values.value.items()) t.variables[name] = value;
  t.assigned = t.assigned || !values.value.empty();
  return std::nullopt;
}

// Every state a state can move to.
std::set<std::string> targets_of(const json& st) {
  std::set<std::string> out;
  if (st.contains("Next") && st["Next"].is_string()) out.insert(st["Next"].get<std::string>());
  if (st.contains("Default") && st["Default"].is_string())
    out.insert(st["Default"].get<std::string>());
  for (const char* list : {"Choices", "Catch"})
    if (st.contains(list) && st[list].is_array())
      for (const auto& item : st[list])
        if (item.is_object() && item.contains("Next") && item["Next"].is_string())
          out.insert(item["Next"].get<std::string>());
  return out;
}

Error validation(const std::string& message) {
  return Error{ErrorCode::kSfnValidation, message};
}

// An error raised in the state: its Retry may want another attempt, its Catch may move on.
void conclude_error(Trial& t, const StateError& e) {
  t.out.error = e.error;
  t.out.cause = e.cause;
  const json& st = t.state;
  if (st.contains("Retry") && st["Retry"].is_array())
    for (const auto& retrier : st["Retry"]) {
      if (!retrier.is_object() || !covers(retrier.value("ErrorEquals", json::array()), e.error))
        continue;
      int max_attempts =
          retrier.contains("MaxAttempts") && retrier["MaxAttempts"].is_number_integer()
              ? retrier["MaxAttempts"].get<int>()
              : 3;
      if (t.retries_so_far < max_attempts) {
        t.out.status = "RETRIABLE";
        return t.send();
      }
      break;  // the first retrier that matches decides, as in an execution
    }
  if (st.contains("Catch") && st["Catch"].is_array())
    for (const auto& catcher : st["Catch"]) {
      if (!catcher.is_object() || !covers(catcher.value("ErrorEquals", json::array()), e.error))
        continue;
      json error_output = {{"Error", e.error}, {"Cause", e.cause}};
      std::optional<JsonataFrame> frame;
      if (t.frame) frame = t.frame_with("errorOutput", error_output);
      // A JSONata catcher's Output reads the variables as they were before its Assign.
      Outcome placed = !frame ? Outcome{}
                       : catcher.contains("Output")
                           ? evaluate_jsonata(catcher["Output"], *frame, "Output")
                           : Outcome{error_output, std::nullopt};
      std::optional<StateError> failed = placed.error;
      if (!failed) failed = assign(t, catcher, error_output, frame ? &*frame : nullptr);
      if (!failed && !frame) placed = apply_result_path(catcher, t.input, error_output);
      if (!failed) failed = placed.error;
      if (failed) {
        // As in an execution, the catcher's own failure is not caught again.
        t.out.error = failed->error;
        t.out.cause = failed->cause;
        t.out.status = "FAILED";
        return t.send();
      }
      t.out.status = "CAUGHT_ERROR";
      t.out.output = text_of(placed.value);
      t.out.next_state = catcher["Next"].get<std::string>();
      return t.send();
    }
  t.out.status = "FAILED";
  t.send();
}

void conclude(Trial& t, const json& output) {
  t.out.status = "SUCCEEDED";
  t.out.output = text_of(output);
  if (t.state.contains("Next") && t.state["Next"].is_string() && !t.out.next_state)
    t.out.next_state = t.state["Next"].get<std::string>();
  t.send();
}

// A Task's result through ResultSelector, ResultPath and OutputPath.
void conclude_task(Trial& t, const json& result) {
  t.note("result", result);
  const json& st = t.state;
  if (t.frame) {
    JsonataFrame frame = t.frame_with("result", result);
    Outcome output = st.contains("Output") ? evaluate_jsonata(st["Output"], frame, "Output")
                                           : Outcome{result, std::nullopt};
    if (output.error) return conclude_error(t, *output.error);
    if (auto e = assign(t, st, result, &frame)) return conclude_error(t, *e);
    return conclude(t, output.value);
  }
  Outcome selected = st.contains("ResultSelector") ? apply_payload(st["ResultSelector"], result,
                                                                   t.bindings(), "ResultSelector")
                                                   : Outcome{result, std::nullopt};
  if (selected.error) return conclude_error(t, *selected.error);
  t.note("afterResultSelector", selected.value);
  if (auto e = assign(t, st, result)) return conclude_error(t, *e);
  Outcome placed = apply_result_path(st, t.input, selected.value);
  if (placed.error) return conclude_error(t, *placed.error);
  t.note("afterResultPath", placed.value);
  Outcome output = apply_output_path(st, placed.value, t.bindings());
  if (output.error) return conclude_error(t, *output.error);
  conclude(t, output.value);
}

// A JSONata state other than a Task in TestState, as advance() runs it; `waited` is a Wait
// state's end, or its error. Output is evaluated before Assign stores its values, so that
// both read the variables as they were on entry.
void test_jsonata_state(Trial& t, const Outcome& waited) {
  const json& st = t.state;
  const JsonataFrame& frame = *t.frame;
  std::string type = st.value("Type", "");
  auto finish = [&](const json& holder) {
    Outcome output = holder.contains("Output") ? evaluate_jsonata(holder["Output"], frame, "Output")
                                               : Outcome{t.input, std::nullopt};
    if (output.error) return conclude_error(t, *output.error);
    if (auto e = assign(t, holder, t.input)) return conclude_error(t, *e);
    conclude(t, output.value);
  };
  if (type == "Pass" || type == "Succeed") return finish(st);
  if (type == "Wait") {
    // The wait itself is not served: a test answers at once, as AWS's does.
    if (waited.error) return conclude_error(t, *waited.error);
    return finish(st);
  }
  if (type == "Choice") {
    const json& rules = st["Choices"];
    for (size_t i = 0; i < rules.size(); ++i) {
      Outcome condition = evaluate_jsonata(rules[i]["Condition"], frame, "Condition");
      if (condition.error) return conclude_error(t, *condition.error);
      if (!condition.value.is_boolean())
        return conclude_error(
            t, query_evaluation_error(frame, "Condition",
                                      "must be a boolean, not " + text_of(condition.value)));
      if (condition.value.get<bool>()) {
        t.out.next_state = rules[i]["Next"].get<std::string>();
        return finish(rules[i]);
      }
    }
    if (!st.contains("Default"))
      return conclude_error(t, StateError{"States.NoChoiceMatched",
                                          "No Matches! Choice state did not match any rules."});
    t.out.next_state = st["Default"].get<std::string>();
    return finish(st);
  }
  if (type == "Fail") {
    Outcome details = jsonata_fail_details(st, frame);
    if (details.error) return conclude_error(t, *details.error);
    if (details.value.contains("error")) t.out.error = details.value["error"].get<std::string>();
    if (details.value.contains("cause")) t.out.cause = details.value["cause"].get<std::string>();
    t.out.status = "FAILED";
    return t.send();
  }
  return conclude_error(t, StateError{"States.Runtime", "Wyvern's TestState does not run JSONata " +
                                                            type + " states yet."});
}

}  // namespace

void Engine::test_state(const Caller& caller, TestStateRequest r, Reply<TestStateResult> reply) {
  if (r.inspection_level != "INFO" && r.inspection_level != "DEBUG" &&
      r.inspection_level != "TRACE")
    return reply(validation("1 validation error detected: Value '" + r.inspection_level +
                            "' at 'inspectionLevel' failed to satisfy constraint: Member must "
                            "satisfy enum value set: [INFO, DEBUG, TRACE]"));
  json doc = json_nesting_within(r.definition, kMaxJsonNesting)
                 ? json::parse(r.definition, nullptr, false)
                 : json(json::value_t::discarded);
  if (!doc.is_object())
    return reply(Error{ErrorCode::kInvalidDefinition,
                       "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The "
                       "definition must be a JSON object at /'"});
  auto trial = std::make_shared<Trial>();
  if (doc.contains("States")) {
    auto diagnostics = validate_definition(r.definition);
    if (!diagnostics.empty())
      return reply(Error{ErrorCode::kInvalidDefinition, invalid_definition_message(diagnostics)});
    trial->name = r.state_name.value_or(doc.value("StartAt", ""));
    if (!doc["States"].contains(trial->name))
      return reply(validation("State '" + trial->name + "' is not in the definition."));
    propagate_query_language(doc);
    trial->state = doc["States"][trial->name];
  } else {
    // A lone state: the machine around it has it first and every state it names as a stub.
    trial->name = r.state_name.value_or("TestState");
    json machine = {{"StartAt", trial->name}, {"States", {{trial->name, doc}}}};
    for (const auto& target : targets_of(doc))
      if (target != trial->name) machine["States"][target] = {{"Type", "Succeed"}};
    auto diagnostics = validate_definition(machine.dump());
    if (!diagnostics.empty())
      return reply(Error{ErrorCode::kInvalidDefinition, invalid_definition_message(diagnostics)});
    trial->state = doc;
  }
  const json& st = trial->state;
  std::string type = st.value("Type", "");
  if (type == "Parallel" || type == "Map")
    return reply(validation("Wyvern's TestState does not run " + type + " states yet."));
  std::string input_text = r.input.value_or("{}");
  trial->input = json_nesting_within(input_text, kMaxJsonNesting)
                     ? json::parse(input_text, nullptr, false)
                     : json(json::value_t::discarded);
  if (trial->input.is_discarded())
    return reply(
        Error{ErrorCode::kInvalidExecutionInput, "Invalid Execution Input: '" + input_text + "'"});
  TimeMs now = env_.clock->now_ms();
  if (r.context) {
    trial->context = json::parse(*r.context, nullptr, false);
    if (!trial->context.is_object()) return reply(validation("The context must be a JSON object."));
  } else {
    std::string prefix = "arn:aws:states:" + caller.region + ":" + caller.account;
    trial->context = {
        {"Execution",
         {{"Id", prefix + ":execution:TestState:" + uuid4()},
          {"Input", trial->input},
          {"Name", "TestState"},
          {"StartTime", iso8601_ms(now)},
          {"RedriveCount", 0}}},
        {"State",
         {{"EnteredTime", iso8601_ms(now)},
          {"Name", trial->name},
          {"RetryCount", r.retrier_retry_count}}},
        {"StateMachine", {{"Id", prefix + ":stateMachine:TestState"}, {"Name", "TestState"}}}};
  }
  if (r.variables) {
    trial->variables = json_nesting_within(*r.variables, kMaxJsonNesting)
                           ? json::parse(*r.variables, nullptr, false)
                           : json(json::value_t::discarded);
    if (!trial->variables.is_object())
      return reply(validation("The variables must be a JSON object of variable names and values."));
    for (const auto& [name, value] : trial->variables.items())
      if (!is_variable_name(name) || name == kReservedVariable)
        return reply(validation("'" + name + "' is not a valid variable name."));
  }
  trial->inspect = r.inspection_level != "INFO";
  trial->retries_so_far = r.retrier_retry_count;
  trial->reply = std::move(reply);
  Trial& t = *trial;
  t.note("input", t.input);

  // A Task without a mock runs for real: the local function bound to its Lambda resource, as
  // in an execution. `parameters` is its request (Parameters, or a JSONata state's Arguments).
  auto run_task = [&](const json& parameters) {
    const std::string resource = st.value("Resource", "");
    if (resource.find(":activity:") != std::string::npos)
      return t.reply(validation("TestState does not support Activity resources."));
    bool integration = resource.rfind("arn:aws:states:::lambda:invoke", 0) == 0;
    bool direct = resource.rfind("arn:aws:lambda:", 0) == 0;
    if (!integration && !direct)
      return t.reply(
          validation("Wyvern's TestState runs this resource only with a mock: " + resource));
    std::string function = resource;
    json event = parameters;
    if (integration) {
      if (!event.is_object() || !event.contains("FunctionName") ||
          !event["FunctionName"].is_string())
        return conclude_error(t,
                              StateError{"States.Runtime", "The field 'FunctionName' is required"});
      function = event["FunctionName"];
      event = event.contains("Payload") ? event["Payload"] : json::object();
    }
    bool started =
        invoke_function(function, text_of(event), [trial, integration](InvokeResult answer) {
          if (!answer.ok)
            return conclude_error(*trial, StateError{answer.error_type, answer.error_message});
          json result = integration ? json{{"ExecutedVersion", "$LATEST"},
                                           {"Payload", answer.payload},
                                           {"SdkHttpMetadata", {{"HttpStatusCode", 200}}},
                                           {"StatusCode", 200}}
                                    : answer.payload;
          conclude_task(*trial, result);
        });
    if (!started)
      conclude_error(t, StateError{"Lambda.ResourceNotFoundException",
                                   "Function not found: " + function +
                                       " (no local command or URL is bound to it in the broker's "
                                       "functions file)"});
  };

  if (is_jsonata(st)) {
    JsonataFrame frame;
    frame.states = states_object(t.input, t.context);
    frame.variables = &t.scope;
    frame.state = t.name;
    frame.now_millis = now;
    t.frame = std::move(frame);
    if (type != "Task")
      return test_jsonata_state(
          t, type == "Wait" ? wait_until(st, t.input, now, t.bindings()) : Outcome{});
    Outcome arguments = st.contains("Arguments")
                            ? evaluate_jsonata(st["Arguments"], *t.frame, "Arguments")
                            : Outcome{t.input, std::nullopt};
    if (arguments.error) return conclude_error(t, *arguments.error);
    t.note("afterArguments", arguments.value);
    if (r.mock_error)
      return conclude_error(t, StateError{r.mock_error->error, r.mock_error->cause});
    if (!r.mock_result) return run_task(arguments.value);
    json result = json::parse(*r.mock_result, nullptr, false);
    if (result.is_discarded()) return t.reply(validation("The mocked result must be valid JSON."));
    return conclude_task(t, result);
  }

  Outcome effective = apply_input_path(st, t.input, t.bindings());
  if (effective.error) return conclude_error(t, *effective.error);
  t.note("afterInputPath", effective.value);

  if (type == "Pass") {
    Outcome parameters =
        st.contains("Parameters")
            ? apply_payload(st["Parameters"], effective.value, t.bindings(), "Parameters")
            : effective;
    if (parameters.error) return conclude_error(t, *parameters.error);
    t.note("afterParameters", parameters.value);
    json result = st.contains("Result") ? st["Result"] : parameters.value;
    t.note("result", result);
    if (auto e = assign(t, st, result)) return conclude_error(t, *e);
    Outcome placed = apply_result_path(st, t.input, result);
    if (placed.error) return conclude_error(t, *placed.error);
    t.note("afterResultPath", placed.value);
    Outcome output = apply_output_path(st, placed.value, t.bindings());
    if (output.error) return conclude_error(t, *output.error);
    return conclude(t, output.value);
  }
  if (type == "Choice") {
    Chosen chosen = choose(st, effective.value, t.bindings());
    if (chosen.error) return conclude_error(t, *chosen.error);
    t.out.next_state = chosen.next;
    if (auto e = assign(t, chosen.rule >= 0 ? st["Choices"][chosen.rule] : st, effective.value))
      return conclude_error(t, *e);
    Outcome output = apply_output_path(st, effective.value, t.bindings());
    if (output.error) return conclude_error(t, *output.error);
    return conclude(t, output.value);
  }
  if (type == "Wait") {
    // The wait itself is not served: a test answers at once, as AWS's does.
    Outcome until = wait_until(st, effective.value, now, t.bindings());
    if (until.error) return conclude_error(t, *until.error);
    if (auto e = assign(t, st, effective.value)) return conclude_error(t, *e);
    Outcome output = apply_output_path(st, effective.value, t.bindings());
    if (output.error) return conclude_error(t, *output.error);
    return conclude(t, output.value);
  }
  if (type == "Succeed") {
    Outcome output = apply_output_path(st, effective.value, t.bindings());
    if (output.error) return conclude_error(t, *output.error);
    return conclude(t, output.value);
  }
  if (type == "Fail") {
    std::string error = st.value("Error", ""), cause = st.value("Cause", "");
    for (const char* field : {"ErrorPath", "CausePath"}) {
      if (!st.contains(field)) continue;
      Outcome v = read_path_field(st[field], t.input, t.bindings(), field);
      if (v.error) return conclude_error(t, *v.error);
      std::string text = v.value.is_string() ? v.value.get<std::string>() : text_of(v.value);
      (std::string(field) == "ErrorPath" ? error : cause) = text;
    }
    t.out.status = "FAILED";
    if (!error.empty()) t.out.error = error;
    if (!cause.empty()) t.out.cause = cause;
    return t.send();
  }

  // Task.
  Outcome parameters = st.contains("Parameters") ? apply_payload(st["Parameters"], effective.value,
                                                                 t.bindings(), "Parameters")
                                                 : effective;
  if (parameters.error) return conclude_error(t, *parameters.error);
  t.note("afterParameters", parameters.value);
  if (r.mock_error) return conclude_error(t, StateError{r.mock_error->error, r.mock_error->cause});
  if (r.mock_result) {
    json result = json::parse(*r.mock_result, nullptr, false);
    if (result.is_discarded()) return t.reply(validation("The mocked result must be valid JSON."));
    return conclude_task(t, result);
  }
  run_task(parameters.value);
}

}  // namespace wyvern::stepfn
