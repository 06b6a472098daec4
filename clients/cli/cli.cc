// `wyvern <subcommand>`: one table of subcommands, each a function from parsed arguments to an
// exit code. People get aligned text; `--json` gives scripts one JSON document on stdout.
#include "cli.h"

#include <httplib.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "commands.h"

namespace wyvern::cli {
namespace {

using json = nlohmann::json;

struct Spec {
  std::string_view name;
  std::string_view usage;
  std::string_view summary;
  int (*run)(Context&, Args&);
  std::set<std::string> value_flags;  // --flag VALUE
  std::set<std::string> bool_flags;   // --flag
};

// --- status and clock: Wyvern's admin surface ----------------------------------------------

Result<json> admin(Context& c, const std::string& method, const std::string& path,
                   const json& body = nullptr) {
  httplib::Client http(c.options.endpoint);
  http.set_connection_timeout(std::chrono::seconds(5));
  auto r = method == "GET" ? http.Get(path)
                           : http.Post(path, body.is_null() ? "" : body.dump(), "application/json");
  if (!r)
    return client::Error{"ConnectionError", httplib::to_string(r.error()), 0};
  json parsed = json::parse(r->body, nullptr, false);
  if (r->status == 200 && parsed.is_object()) return parsed;
  if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_string())
    return client::Error{"Refused", parsed["error"], r->status};
  return client::Error{"NotWyvern",
                       "the endpoint answered " + std::to_string(r->status) + ", not as Wyvern does",
                       r->status};
}

int status(Context& c, Args&) {
  auto health = admin(c, "GET", "/_wyvern/health");
  if (!health) return c.fail(health.error());
  if (c.json) return c.print(*health);
  double up = health->value("uptime_seconds", 0.0);
  std::ostringstream uptime;
  if (up >= 3600) uptime << static_cast<long>(up / 3600) << "h ";
  if (up >= 60) uptime << static_cast<long>(up / 60) % 60 << "m ";
  uptime << static_cast<long>(up) % 60 << "s";
  c.out << "Wyvern " << health->value("version", "?") << " at " << c.options.endpoint << ": "
        << health->value("status", "?") << ", up " << uptime.str() << ", store "
        << health->value("store", "?") << "\n";
  return 0;
}

int clock(Context& c, Args& a) {
  Result<json> r = client::Error{};
  if (a.positional.empty()) {
    r = admin(c, "GET", "/_wyvern/clock");
  } else if (a.positional[0] == "advance" && a.positional.size() == 2) {
    double seconds = 0;
    if (!parse_number(a.positional[1], seconds) || seconds < 0)
      return c.usage_error("clock advance takes a non-negative number of seconds");
    r = admin(c, "POST", "/_wyvern/clock/advance", {{"seconds", seconds}});
  } else {
    return c.usage_error("usage: wyvern clock [advance SECONDS]");
  }
  if (!r) return c.fail(r.error());
  if (c.json) return c.print(*r);
  c.out << "virtual time " << r->value("now", "?") << " (" << r->value("offset_ms", 0L) / 1000.0
        << " s ahead of the wall clock)\n";
  return 0;
}

// --- export and import: the broker's resources as a resources file --------------------------

int export_resources(Context& c, Args& a) {
  if (!a.positional.empty()) return c.usage_error("usage: wyvern export [--file FILE]");
  auto document = admin(c, "GET", "/_wyvern/resources");
  if (!document) return c.fail(document.error());
  std::string text = document->dump(2) + "\n";
  if (a.flag("file").empty()) {
    c.out << text;
    return 0;
  }
  std::ofstream file(a.flag("file"));
  if (!(file << text)) return c.fail({"CannotWrite", "cannot write " + a.flag("file"), 0});
  if (!c.json) c.out << "wrote " << a.flag("file") << "\n";
  return 0;
}

int import_resources(Context& c, Args& a) {
  if (a.positional.size() != 1) return c.usage_error("usage: wyvern import FILE");
  const std::string& path = a.positional[0];
  std::ifstream in(path);
  if (!in) return c.usage_error("cannot read " + path);
  json document = json::parse(in, nullptr, false);
  if (!document.is_object()) return c.usage_error(path + " is not a JSON object");
  // Definition files are read here, beside the file, not where the broker runs.
  std::string directory = path.find('/') == std::string::npos ? "" : path.substr(0, path.rfind('/') + 1);
  if (document.contains("stateMachines") && document["stateMachines"].is_object())
    for (auto& [name, machine] : document["stateMachines"].items())
      if (machine.is_object() && machine.contains("definitionFile") && machine["definitionFile"].is_string()) {
        std::string file = machine["definitionFile"];
        if (file.empty() || file[0] != '/') file = directory + file;
        std::ifstream definition(file);
        json parsed = json::parse(definition, nullptr, false);
        if (parsed.is_discarded())
          return c.usage_error(path + ": $.stateMachines." + name + ".definitionFile: cannot read " + file);
        machine["definition"] = parsed;
        machine.erase("definitionFile");
      }
  auto applied = admin(c, "POST", "/_wyvern/resources", document);
  if (!applied) return c.fail(applied.error());
  if (c.json) return c.print(*applied);
  c.out << "applied " << path << "\n";
  return 0;
}

// --- queues -------------------------------------------------------------------------------

int queues(Context& c, Args& a) {
  client::Queues sqs(c.options);
  auto urls = sqs.list_queues(a.flag("prefix"));
  if (!urls) return c.fail(urls.error());
  json rows = json::array();
  for (const std::string& url : *urls) {
    auto attributes = sqs.attributes(url);
    if (!attributes) return c.fail(attributes.error());
    auto get = [&](const char* name) {
      auto it = attributes->find(name);
      return it == attributes->end() ? std::string("0") : it->second;
    };
    rows.push_back({{"name", url.substr(url.rfind('/') + 1)},
                    {"url", url},
                    {"visible", std::stol(get("ApproximateNumberOfMessages"))},
                    {"in_flight", std::stol(get("ApproximateNumberOfMessagesNotVisible"))},
                    {"delayed", std::stol(get("ApproximateNumberOfMessagesDelayed"))},
                    {"dead_letter_target", attributes->count("RedrivePolicy") ? "yes" : ""}});
  }
  if (c.json) return c.print(rows);
  if (rows.empty()) {
    c.out << "no queues\n";
    return 0;
  }
  Table table({"QUEUE", "VISIBLE", "IN FLIGHT", "DELAYED", "DLQ"});
  for (const auto& r : rows)
    table.add({r["name"], std::to_string(r["visible"].get<long>()),
               std::to_string(r["in_flight"].get<long>()), std::to_string(r["delayed"].get<long>()),
               r["dead_letter_target"]});
  table.print(c.out);
  return 0;
}

json message_json(const client::Message& m) {
  json attributes = json::object();
  for (const auto& [name, a] : m.message_attributes)
    attributes[name] = {{"DataType", a.data_type}, {"StringValue", a.string_value}};
  return {{"MessageId", m.message_id},
          {"Body", m.body},
          {"ReceiveCount", m.attributes.count("ApproximateReceiveCount")
                               ? m.attributes.at("ApproximateReceiveCount")
                               : "1"},
          {"SentTimestamp", m.attributes.count("SentTimestamp") ? m.attributes.at("SentTimestamp") : ""},
          {"MessageAttributes", attributes}};
}

void print_message(Context& c, const client::Message& m) {
  if (c.json) {
    c.out << message_json(m).dump() << std::endl;
    return;
  }
  std::string count = m.attributes.count("ApproximateReceiveCount")
                          ? m.attributes.at("ApproximateReceiveCount")
                          : "?";
  c.out << m.message_id << "  (received " << count << "x)\n  " << m.body << "\n";
  for (const auto& [name, a] : m.message_attributes)
    c.out << "  " << name << " = " << a.string_value << " (" << a.data_type << ")\n";
  c.out << std::flush;
}

int peek(Context& c, Args& a) {
  if (a.positional.size() != 1) return c.usage_error("usage: wyvern peek QUEUE [--count N]");
  long count = 10;
  if (!a.flag("count").empty() && !parse_count(a.flag("count"), count))
    return c.usage_error("--count takes a positive whole number");
  client::Queues sqs(c.options);
  auto url = c.queue_url(sqs, a.positional[0]);
  if (!url) return c.fail(url.error());
  // Visibility 0: what is looked at stays where it is (its receive count still goes up).
  std::vector<client::Message> seen;
  std::set<std::string> ids;
  while (static_cast<long>(seen.size()) < count) {
    int batch = static_cast<int>(std::min<long>(10, count - static_cast<long>(seen.size())));
    auto got = sqs.receive(*url, {batch, 0, 0});
    if (!got) return c.fail(got.error());
    bool repeated = false;
    for (auto& m : *got) {
      if (ids.insert(m.message_id).second)
        seen.push_back(std::move(m));
      else
        repeated = true;
    }
    // A short batch, or one showing a message again, means the queue has no more to show.
    if (repeated || static_cast<int>(got->size()) < batch) break;
  }
  if (c.json) {
    json out = json::array();
    for (const auto& m : seen) out.push_back(message_json(m));
    return c.print(out);
  }
  if (seen.empty()) c.out << "no visible messages\n";
  for (const auto& m : seen) print_message(c, m);
  return 0;
}

std::atomic<client::Queues*> g_tail_poll{nullptr};
std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) {
  g_interrupted = true;
  if (client::Queues* q = g_tail_poll.load()) q->interrupt();
}

int tail(Context& c, Args& a) {
  if (a.positional.size() != 1)
    return c.usage_error("usage: wyvern tail QUEUE [--delete] [--count N] [--wait SECONDS]");
  long limit = 0, wait = 20;
  if (!a.flag("count").empty() && !parse_count(a.flag("count"), limit))
    return c.usage_error("--count takes a positive whole number");
  if (!a.flag("wait").empty() && (!parse_count(a.flag("wait"), wait) || wait > 20))
    return c.usage_error("--wait takes 1 to 20 seconds");
  bool remove = a.has("delete");
  client::Queues poll(c.options), ack(c.options);
  auto url = c.queue_url(poll, a.positional[0]);
  if (!url) return c.fail(url.error());
  g_tail_poll = &poll;
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  std::set<std::string> shown;
  long printed = 0;
  int code = 0;
  while (!g_interrupted && (limit == 0 || printed < limit)) {
    auto got = poll.receive(*url, {10, static_cast<int>(wait), std::nullopt});
    if (g_interrupted) break;
    if (!got) {
      code = c.fail(got.error());
      break;
    }
    for (const auto& m : *got) {
      if (limit && printed >= limit) break;  // left for its visibility timeout to return it
      // Without --delete a message comes back after its visibility timeout: shown once.
      if (!shown.insert(m.message_id).second && !remove) continue;
      print_message(c, m);
      ++printed;
      if (remove) {
        auto deleted = ack.delete_message(*url, m.receipt_handle);
        if (!deleted) return c.fail(deleted.error());
      }
    }
  }
  g_tail_poll = nullptr;
  return code;
}

int send(Context& c, Args& a) {
  if (a.positional.size() != 2)
    return c.usage_error(
        "usage: wyvern send QUEUE BODY [--group ID] [--dedup ID] [--delay SECONDS] "
        "[--attribute NAME=VALUE]...");
  client::SendOptions options;
  options.group_id = a.flag("group");
  options.deduplication_id = a.flag("dedup");
  if (!a.flag("delay").empty()) {
    long delay = 0;
    if (!parse_count(a.flag("delay"), delay, true)) return c.usage_error("--delay takes seconds");
    options.delay_seconds = static_cast<int>(delay);
  }
  for (const std::string& pair : a.flags["attribute"]) {
    auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) return c.usage_error("--attribute takes NAME=VALUE");
    options.attributes[pair.substr(0, eq)] = {"String", pair.substr(eq + 1), ""};
  }
  client::Queues sqs(c.options);
  auto url = c.queue_url(sqs, a.positional[0]);
  if (!url) return c.fail(url.error());
  auto sent = sqs.send(*url, a.positional[1], options);
  if (!sent) return c.fail(sent.error());
  if (c.json) {
    json out = {{"MessageId", sent->message_id}, {"MD5OfMessageBody", sent->md5_of_body}};
    if (!sent->sequence_number.empty()) out["SequenceNumber"] = sent->sequence_number;
    return c.print(out);
  }
  c.out << sent->message_id << "\n";
  return 0;
}

// --- topics and the bus -------------------------------------------------------------------

int publish(Context& c, Args& a) {
  if (a.positional.size() != 2)
    return c.usage_error("usage: wyvern publish TOPIC MESSAGE [--subject S] [--group ID]");
  client::Topics sns(c.options);
  std::string topic = a.positional[0];
  if (topic.rfind("arn:", 0) != 0) {
    auto arns = sns.list_topics();
    if (!arns) return c.fail(arns.error());
    auto it = std::find_if(arns->begin(), arns->end(),
                           [&](const std::string& arn) { return arn.ends_with(":" + topic); });
    if (it == arns->end()) return c.fail({"NotFound", "Topic does not exist: " + topic, 404});
    topic = *it;
  }
  client::PublishOptions options;
  options.subject = a.flag("subject");
  options.group_id = a.flag("group");
  options.deduplication_id = a.flag("dedup");
  auto published = sns.publish(topic, a.positional[1], options);
  if (!published) return c.fail(published.error());
  if (c.json) return c.print({{"MessageId", published->message_id}});
  c.out << published->message_id << "\n";
  return 0;
}

int put_event(Context& c, Args& a) {
  if (a.flag("source").empty() || a.flag("detail-type").empty() || !a.positional.empty())
    return c.usage_error(
        "usage: wyvern put-event --source SOURCE --detail-type TYPE [--detail JSON] [--bus BUS]");
  client::Event event;
  event.source = a.flag("source");
  event.detail_type = a.flag("detail-type");
  event.bus = a.flag("bus");
  if (!a.flag("detail").empty()) {
    event.detail = json::parse(a.flag("detail"), nullptr, false);
    if (!event.detail.is_object()) return c.usage_error("--detail takes a JSON object");
  }
  client::Bus bus(c.options);
  auto put = bus.put_events({event});
  if (!put) return c.fail(put.error());
  const auto& entry = put->entries.empty() ? client::PutEventsResult::Entry{} : put->entries[0];
  if (c.json) {
    json out = {{"FailedEntryCount", put->failed_entry_count}};
    out["EventId"] = entry.event_id;
    if (!entry.error_code.empty()) out["ErrorCode"] = entry.error_code;
    if (!entry.error_message.empty()) out["ErrorMessage"] = entry.error_message;
    c.print(out);
  } else if (put->failed_entry_count == 0) {
    c.out << entry.event_id << "\n";
  }
  if (put->failed_entry_count > 0) {
    if (!c.json) c.err << "wyvern: " << entry.error_code << ": " << entry.error_message << "\n";
    return 1;
  }
  return 0;
}

// --- task tokens --------------------------------------------------------------------------

int task(Context& c, Args& a) {
  if (a.positional.size() != 2 ||
      (a.positional[0] != "success" && a.positional[0] != "failure" && a.positional[0] != "heartbeat"))
    return c.usage_error(
        "usage: wyvern task success TOKEN [--output JSON] | task failure TOKEN [--error E] "
        "[--cause C] | task heartbeat TOKEN");
  client::StateMachines sfn(c.options);
  const std::string& token = a.positional[1];
  Result<client::Ok> r = client::Ok{};
  if (a.positional[0] == "success") {
    json output = json::parse(a.flag("output").empty() ? "{}" : a.flag("output"), nullptr, false);
    if (output.is_discarded()) return c.usage_error("--output takes JSON");
    r = sfn.send_task_success(token, output);
  } else if (a.positional[0] == "failure") {
    r = sfn.send_task_failure(token, a.flag("error"), a.flag("cause"));
  } else {
    r = sfn.send_task_heartbeat(token);
  }
  if (!r) return c.fail(r.error());
  if (c.json) return c.print({{"sent", a.positional[0]}});
  c.out << "sent " << a.positional[0] << "\n";
  return 0;
}

// --- the table ----------------------------------------------------------------------------

const Spec kCommands[] = {
    {"status", "wyvern status", "is the broker up: version, uptime, store", status, {}, {}},
    {"queues", "wyvern queues [--prefix P]", "every queue with its message counts", queues,
     {"prefix"}, {}},
    {"peek", "wyvern peek QUEUE [--count N]",
     "show up to N visible messages, leaving them in the queue", peek, {"count"}, {}},
    {"tail", "wyvern tail QUEUE [--delete] [--count N] [--wait S]",
     "print messages as they arrive (and delete them with --delete)", tail, {"count", "wait"},
     {"delete"}},
    {"send", "wyvern send QUEUE BODY [--group G] [--dedup D] [--delay S] [--attribute K=V]",
     "send a message", send, {"group", "dedup", "delay", "attribute"}, {}},
    {"publish", "wyvern publish TOPIC MESSAGE [--subject S] [--group G] [--dedup D]",
     "publish to a topic", publish, {"subject", "group", "dedup"}, {}},
    {"put-event", "wyvern put-event --source S --detail-type T [--detail JSON] [--bus B]",
     "put an event on a bus", put_event, {"source", "detail-type", "detail", "bus"}, {}},
    {"start", "wyvern start MACHINE [--input JSON] [--name N] [--follow] [--timeout S]",
     "start an execution; --follow prints each state as it is entered and left", start,
     {"input", "name", "timeout"}, {"follow"}},
    {"history", "wyvern history EXECUTION_ARN [--wait]",
     "an execution's events as a table (--wait: once it has ended)", history, {}, {"wait"}},
    {"task", "wyvern task success|failure|heartbeat TOKEN [--output J] [--error E] [--cause C]",
     "complete or keep alive a task token", task, {"output", "error", "cause"}, {}},
    {"clock", "wyvern clock [advance SECONDS]", "show or move the broker's virtual clock", clock,
     {}, {}},
    {"export", "wyvern export [--file FILE]",
     "every queue, topic, bus, rule and state machine as a resources file", export_resources,
     {"file"}, {}},
    {"import", "wyvern import FILE", "make (or update) the resources a resources file names",
     import_resources, {}, {}},
};

std::string help() {
  std::ostringstream out;
  out << "usage: wyvern [server options]            run the broker (see wyvern --help)\n"
         "       wyvern <command> [arguments] [--json] [--endpoint URL] [--region R]\n\n"
         "commands:\n";
  for (const Spec& s : kCommands)
    out << "  " << std::left << std::setw(11) << s.name << s.summary << "\n    " << s.usage
        << "\n";
  out << "\nThe endpoint is --endpoint, else $AWS_ENDPOINT_URL, else $WYVERN_ENDPOINT, else\n"
         "http://localhost:4566. --json prints one JSON document (tail: one per line).\n"
         "Exit codes: 0 done; 1 refused or failed; 2 usage error; 3 no broker answered.\n";
  return out.str();
}

}  // namespace

bool is_subcommand(std::string_view word) {
  if (word == "help") return true;
  return std::any_of(std::begin(kCommands), std::end(kCommands),
                     [&](const Spec& s) { return s.name == word; });
}

int run(int argc, char** argv) {
  std::string name = argv[1];
  Context c{client::Options::from_environment(), false, std::cout, std::cerr};
  if (name == "help") {
    c.out << help();
    return 0;
  }
  const Spec* spec = nullptr;
  for (const Spec& s : kCommands)
    if (s.name == name) spec = &s;
  Args args;
  for (int i = 2; i < argc; ++i) {
    std::string word = argv[i];
    if (word == "--help" || word == "-h") {
      c.out << spec->usage << "\n  " << spec->summary << "\n";
      return 0;
    }
    if (word.rfind("--", 0) != 0 || word == "--") {
      args.positional.push_back(word);
      continue;
    }
    std::string flag = word.substr(2);
    if (flag == "json") {
      c.json = true;
    } else if (spec->bool_flags.count(flag)) {
      args.flags[flag].push_back("true");
    } else if (spec->value_flags.count(flag) || flag == "endpoint" || flag == "region") {
      if (i + 1 >= argc) return c.usage_error("--" + flag + " needs a value");
      std::string value = argv[++i];
      if (flag == "endpoint")
        c.options.endpoint = value;
      else if (flag == "region")
        c.options.region = value;
      else
        args.flags[flag].push_back(value);
    } else {
      return c.usage_error("unknown option --" + flag + " for " + name + "\nusage: " +
                           std::string(spec->usage));
    }
  }
  return spec->run(c, args);
}

}  // namespace wyvern::cli
