#include "broker.h"

#include <pthread.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "bus/bus.h"
#include "events_api.h"
#include "foundation/arn.h"
#include "foundation/clock.h"
#include "foundation/codec.h"
#include "foundation/local_functions.h"
#include "admin_api.h"
#include "console_files.h"
#include "live_feed.h"
#include "resources.h"
#include "routes.h"
#include "foundation/store.h"
#include "foundation/timers.h"
#include "http_server.h"
#include "integrations.h"
#include "protocol.h"
#include "queue/queue.h"
#include "sfn_api.h"
#include "sns_api.h"
#include "sqs_api.h"
#include "stepfn/stepfn.h"
#include "topics/topics.h"

namespace wyvern::server {
namespace {

namespace net = boost::asio;
using json = nlohmann::json;

constexpr char kVersion[] = "0.1.0";
constexpr char kClockTable[] = "wyvern.clock";
constexpr char kClockOffsetKey[] = "offset_ms";
constexpr size_t kBodyLimit = 4 * 1024 * 1024;  // a 1 MiB batch, percent-encoded, fits

int log_rank(const std::string& level) {
  if (level == "error") return 0;
  if (level == "warn") return 1;
  if (level == "debug") return 3;
  return 2;
}

// A JSON file's contents; null when it cannot be read or is not JSON.
std::shared_ptr<const json> load_json_file(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  json parsed = json::parse(text.str(), nullptr, false);
  if (!file || parsed.is_discarded()) return nullptr;
  return std::make_shared<const json>(std::move(parsed));
}

bool valid_region(const std::string& region) {
  return !region.empty() && region.size() <= 32 &&
         std::all_of(region.begin(), region.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

// The ERROR_CODE EventBridge writes on a dead letter when a target refused an event: AWS's
// own list (NO_RESOURCE, THROTTLING, INVALID_PARAMETER, ...), from the target service's error.
std::string dead_letter_code(const Error& e) {
  switch (e.code) {
    case ErrorCode::kQueueDoesNotExist:
    case ErrorCode::kSnsNotFound:
    case ErrorCode::kSnsResourceNotFound:
    case ErrorCode::kStateMachineDoesNotExist:
    case ErrorCode::kResourceNotFound:
      return "NO_RESOURCE";
    case ErrorCode::kRequestThrottled:
      return "THROTTLING";
    case ErrorCode::kInternalFailure:
      return "INTERNAL_ERROR";
    default:
      return "INVALID_PARAMETER";
  }
}

std::string header(const Request& req, std::string_view name) {
  auto it = req.find(boost::beast::string_view(name.data(), name.size()));
  return it == req.end() ? std::string() : std::string(it->value());
}

class BrokerImpl final : public Broker {
 public:
  explicit BrokerImpl(const Config& config)
      : config_(config),
        log_rank_(log_rank(config.log_level)),
        core_(net::make_strand(io_)),
        timers_(core_, clock_),
        started_(std::chrono::steady_clock::now()) {}

  Result<Ok> open() {
    if (config_.in_memory) {
      store_ = open_ephemeral_store();
    } else {
      // Commit completions come back to the I/O thread in one hand-off per group commit.
      auto opened = open_lmdb_store(
          config_.data_dir.empty() ? default_data_dir() : config_.data_dir,
          [this](std::function<void()> completions) { net::post(io_, std::move(completions)); });
      if (!opened) return opened.error();
      store_ = std::move(opened.value());
    }
    sqs_ = queue::make_queue_service({&clock_, store_.get(), &timers_});
    std::optional<Resources> resources;
    if (!config_.resources.empty()) {
      auto loaded = load_resources(config_.resources);
      if (!loaded) return loaded.error();
      resources = std::move(loaded.value());
    }
    std::shared_ptr<const json> mocks, functions;
    if (!config_.mock_config.empty()) {
      mocks = load_json_file(config_.mock_config);
      if (!mocks || !mocks->is_object() || !mocks->contains("StateMachines") ||
          !(*mocks)["StateMachines"].is_object() || !mocks->contains("MockedResponses") ||
          !(*mocks)["MockedResponses"].is_object())
        return Error{ErrorCode::kInternalFailure,
                     "cannot use " + config_.mock_config +
                         " as a mock configuration: it must be a JSON object with "
                         "StateMachines and MockedResponses"};
    }
    if (!config_.functions.empty()) {
      functions = load_json_file(config_.functions);
      if (!functions || !functions->is_object())
        return Error{ErrorCode::kInternalFailure,
                     "cannot use " + config_.functions +
                         " as a functions file: it must be a JSON object of "
                         "{\"NAME\": {\"command\": [\"program\", \"arg\", ...]}}"};
    }
    if (resources) {
      // The file's bindings and mocks, under any given by their own flags.
      if (!resources->functions.is_null()) {
        json merged = resources->functions;
        if (functions) merged.update(*functions);
        functions = std::make_shared<const json>(std::move(merged));
      }
      if (!resources->mocks.is_null() && !mocks)
        mocks = std::make_shared<const json>(resources->mocks);
    }
    sfn_ = stepfn::make_step_functions(
        {&clock_, store_.get(), &timers_, mocks, functions,
         [this](std::function<void()> fn) { net::post(core_, std::move(fn)); },
         // A Task's call is made in a turn of its own: Step Functions may call itself.
         [this](Caller caller, stepfn::ServiceCall call,
                std::function<void(stepfn::ServiceAnswer)> done) {
           // Queue URLs a state machine gets back name this broker, as a local client sees it.
           if (http_) caller.endpoint = "http://localhost:" + std::to_string(http_->port());
           net::post(core_, [this, caller, call = std::move(call), done = std::move(done)]() mutable {
             integrations::call_service({sqs_.get(), sns_.get(), events_.get(), sfn_.get()}, caller,
                                        std::move(call), std::move(done));
           });
         },
         [this](const Caller& caller, std::string detail, std::string execution_arn) {
           net::post(core_, [this, caller, detail = std::move(detail),
                             execution_arn = std::move(execution_arn)]() mutable {
             integrations::announce_status_change(*events_, caller, std::move(detail),
                                                  std::move(execution_arn));
           });
         }});
    functions_ = functions;
    topics::Outlets outlets;
    outlets.send_to_queue = [this](topics::QueueDelivery d, topics::Delivered done) {
      send_to_queue(std::move(d), std::move(done));
    };
    outlets.invoke_function = [this](std::string arn, std::string event,
                                     topics::Delivered done) {
      invoke_function(arn, std::move(event), std::move(done));
    };
    sns_ = topics::make_topic_service(
        {&clock_, store_.get(), &timers_, std::move(outlets),
         [this](std::function<void()> fn) { net::post(core_, std::move(fn)); }});
    bus::Outlets bus_outlets;
    bus_outlets.send_to_queue = [this](bus::QueueMessage m, bus::Delivered done) {
      topics::QueueDelivery d;
      d.queue_arn = std::move(m.queue_arn);
      d.body = std::move(m.body);
      d.group_id = std::move(m.group_id);
      d.deduplication_id = std::move(m.deduplication_id);
      for (auto& [name, value] : m.attributes)
        d.attributes[name] = {"String", std::move(value), std::nullopt};
      send_queue_message(std::move(d), [done](Result<queue::SendMessageResult> sent) {
        if (sent.ok()) return done({true, false, "", ""});
        done({false, false, dead_letter_code(sent.error()), sent.error().message});
      });
    };
    bus_outlets.publish_to_topic = [this](Caller caller, std::string topic_arn,
                                          std::string message, bus::Delivered done) {
      // The envelope's SigningCertURL and UnsubscribeURL name this broker.
      if (http_) caller.endpoint = "http://localhost:" + std::to_string(http_->port());
      topics::PublishRequest r;
      r.topic_arn = std::move(topic_arn);
      r.message = std::move(message);
      sns_->publish(caller, std::move(r), [done](Result<topics::PublishResult> published) {
        if (published.ok()) return done({true, false, "", ""});
        done({false, false, dead_letter_code(published.error()), published.error().message});
      });
    };
    bus_outlets.start_execution = [this](const Caller& caller, std::string machine_arn,
                                         std::string input, bus::Delivered done) {
      sfn_->start_execution(caller, machine_arn, std::nullopt, std::move(input),
                            [done](Result<stepfn::Execution> started) {
                              if (started.ok()) return done({true, false, "", ""});
                              done({false, false, dead_letter_code(started.error()),
                                    started.error().message});
                            });
    };
    bus_outlets.invoke_function = [this](std::string arn, std::string event,
                                         bus::Delivered done) {
      invoke_function(arn, std::move(event), [done](topics::DeliveryOutcome o) {
        done({o.ok, o.retryable, o.ok ? "" : "NO_RESOURCE", o.error});
      });
    };
    events_ = bus::make_event_bridge(
        {&clock_, store_.get(), &timers_, std::move(bus_outlets),
         [this](std::function<void()> fn) { net::post(core_, std::move(fn)); }});
    // Recovery runs before any request can arrive; the core strand is idle. Virtual time
    // resumes where it was, so nothing that was due before the restart becomes due later.
    store_->scan(kClockTable, [&](std::string_view key, std::string_view value) {
      if (key == kClockOffsetKey) clock_.advance(std::atoll(std::string(value).c_str()));
    });
    sqs_->recover();
    sfn_->recover();
    sns_->recover();
    events_->recover();
    if (resources) {
      if (auto tried = try_on_scratch(*resources); !tried) return tried.error();
      if (auto applied = apply_now(*resources); !applied) return applied.error();
      routes_ = std::make_shared<const std::vector<Route>>(resources->routes);
      if (resources->document.contains("routes")) routes_json_ = resources->document["routes"];
    }
    return Ok{};
  }

  integrations::Services services() {
    return {sqs_.get(), sns_.get(), events_.get(), sfn_.get()};
  }

  // A file that some service refuses must change nothing: it is applied to a throwaway
  // in-memory broker first, and here only if all of it is accepted there.
  Result<Ok> try_on_scratch(const Resources& resources) {
    Config scratch = config_;
    scratch.in_memory = true;
    scratch.resources.clear();
    BrokerImpl trial(scratch);
    if (auto opened = trial.open(); !opened) return opened.error();
    return trial.apply_now(resources);
  }

  // Applies a resources file before the broker serves: runs the I/O loop until it is done.
  Result<Ok> apply_now(const Resources& resources) {
    std::optional<Result<Ok>> outcome;
    auto guard = net::make_work_guard(io_);
    net::post(core_, [&] {
      apply_resources(services(), resources, [&](Result<Ok> r) {
        net::post(io_, [&outcome, r = std::move(r)] { outcome = r; });
      });
    });
    while (!outcome) io_.run_one();
    return *outcome;
  }

  ~BrokerImpl() override {
    if (http_) http_->stop();
    io_.stop();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    events_.reset();
    sns_.reset();
    sfn_.reset();
    sqs_.reset();
    if (store_) store_->close();
  }

  Result<uint16_t> start() override {
    HttpServer::Options options{config_.host, config_.port, kBodyLimit};
    http_ = std::make_unique<HttpServer>(
        io_, options,
        [this](Request&& req, Respond respond) { handle(std::move(req), std::move(respond)); },
        [this](const Request& req) { return too_large(req); });
    http_->set_stream_handler(
        {[](const Request& req) {
           return req.method() == http::verb::get &&
                  std::string_view(req.target().data(), req.target().size()).starts_with("/_wyvern/api/stream");
         },
         "text/event-stream",
         [this](const Request&, std::shared_ptr<Stream> stream) { live_.add(std::move(stream)); }});
    auto err = http_->start();
    if (!err.empty()) return Error{ErrorCode::kInternalFailure, err};
    return http_->port();
  }

  void run() override {
    auto guard = net::make_work_guard(io_);
    for (int i = 1; i < config_.io_threads; ++i)
      threads_.emplace_back([this] {
        pthread_setname_np(pthread_self(), "wyvern-io");  // the first is the main thread
        io_.run();
      });
    io_.run();
    for (auto& t : threads_) t.join();
    threads_.clear();
    store_->close();
  }

  void stop() override {
    net::post(core_, [this] {
      if (stopping_) return;
      stopping_ = true;
      live_.stop();
      if (http_) http_->stop();
      sqs_->release_waiters();
      wait_for_drain(std::chrono::steady_clock::now() + std::chrono::seconds(10));
    });
  }

 private:
  void wait_for_drain(std::chrono::steady_clock::time_point deadline) {
    if (http_->drained() || std::chrono::steady_clock::now() > deadline) {
      // Every acknowledged write has committed; let run() return and close the store.
      store_->commit(WriteBatch{}, [this](bool) { io_.stop(); });
      return;
    }
    auto timer = std::make_shared<net::steady_timer>(core_, std::chrono::milliseconds(10));
    timer->async_wait(
        [this, timer, deadline](boost::system::error_code) { wait_for_drain(deadline); });
  }

  queue::Caller caller_for(const Request& req) {
    queue::Caller caller;
    // The region names keys in the store: take it only when it looks like a region.
    if (auto scope = credential_scope(req); scope && valid_region(scope->region))
      caller.region = scope->region;
    std::string host = header(req, "Host");
    if (host.empty()) host = config_.host + ":" + std::to_string(http_->port());
    caller.endpoint = "http://" + host;
    return caller;
  }

  Response too_large(const Request& req) {
    Error error{ErrorCode::kRequestEntityTooLarge,
                "Request body exceeds the limit of " + std::to_string(kBodyLimit) + " bytes."};
    if (req.find("X-Amz-Target") != req.end())
      return json_error(error, sqs::kJsonNamespace, uuid4(), req.version());
    return query_error(error, sqs::kXmlNamespace, uuid4(), req.version());
  }

  void handle(Request&& req, Respond respond) {
    std::string request_id = uuid4();
    std::string_view target(req.target().data(), req.target().size());
    if (log_rank_ >= 3)
      std::cerr << "debug: " << req.method_string() << " " << target << " "
                << header(req, "X-Amz-Target") << "\n";
    if (target.rfind("/_wyvern/", 0) == 0 || target == "/_wyvern")
      return admin(req, std::move(respond), request_id);
    if (req.find("X-Amz-Target") != req.end())
      return handle_json(std::move(req), std::move(respond), request_id);
    if (auto routes = std::atomic_load(&routes_);
        !routes->empty() && handle_route(routes, req, respond, request_id))
      return;
    return handle_query(std::move(req), std::move(respond), request_id);
  }

  // --- HTTP routes of the resources file ---------------------------------------------------
  // True when the request was a route's (or a route's path under another method).
  bool handle_route(const std::shared_ptr<const std::vector<Route>>& routes, const Request& req,
                    const Respond& respond, const std::string& request_id) {
    std::string_view target(req.target().data(), req.target().size());
    std::string path(target.substr(0, target.find('?')));
    json params;
    bool path_known = false;
    const Route* route =
        match_route(*routes, std::string(req.method_string()), path, params, path_known);
    unsigned version = req.version();
    auto answer = [respond, request_id, version](int status, const json& body) {
      Response res{static_cast<http::status>(status), version};
      res.set(http::field::content_type, "application/json");
      res.set("x-amzn-RequestId", request_id);
      res.body() = body.dump(-1, ' ', false, json::error_handler_t::replace);
      respond(std::move(res));
    };
    if (!route) {
      if (path_known) {
        answer(405, {{"message", "Method Not Allowed"}});
        return true;
      }
      // Not a route, and not an AWS request either (unsigned, no Action): a route's 404.
      bool aws = req.find(http::field::authorization) != req.end() ||
                 target.find("Action=") != std::string_view::npos ||
                 req.body().find("Action=") != std::string::npos;
      if (aws) return false;
      answer(404, {{"message", "No route for " + std::string(req.method_string()) + " " + path}});
      return true;
    }
    json query = json::object();
    if (auto q = target.find('?'); q != std::string_view::npos)
      if (auto form = parse_form(target.substr(q + 1)))
        for (auto& [k, v] : *form) query[k] = v;
    json headers = json::object();
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      headers[name] = std::string(field.value());
    }
    json body = req.body().empty() ? json::object() : json::parse(req.body(), nullptr, false);
    if (body.is_discarded()) body = req.body();
    json context = {{"body", body}, {"path", params}, {"query", query}, {"headers", headers}};
    net::post(core_, [this, routes, route, context = std::move(context), caller = caller_for(req),
                      answer = std::move(answer)] {
      serve_route(services(), caller, *route, context,
                  [answer](RouteResponse r) { answer(r.status, r.body); });
    });
    return true;
  }

  // --- AWS JSON protocol ----------------------------------------------------------------
  void handle_json(Request&& req, Respond respond, const std::string& request_id) {
    unsigned version = req.version();
    std::string target = header(req, "X-Amz-Target");
    if (target.rfind(events::kTargetPrefix, 0) == 0)
      return handle_events(std::move(req), std::move(respond), request_id,
                           target.substr(events::kTargetPrefix.size()));
    if (target.rfind(sfn::kTargetPrefix, 0) == 0)
      return handle_sfn(std::move(req), std::move(respond), request_id,
                        target.substr(sfn::kTargetPrefix.size()));
    auto fail = [&](Error e) { respond(json_error(e, sqs::kJsonNamespace, request_id, version)); };
    constexpr std::string_view kPrefix = "AmazonSQS.";
    const sqs::Action* action = nullptr;
    if (target.rfind(kPrefix, 0) == 0)
      action = sqs::find_action(std::string_view(target).substr(kPrefix.size()));
    if (!action) return fail(Error{ErrorCode::kInvalidAction, ""});
    if (auto fast = sqs::parse_fast(action->name, req.body())) {
      net::post(core_, [this, fast = std::move(*fast), caller = caller_for(req),
                        respond = std::move(respond), request_id, version]() mutable {
        sqs::run_fast(*sqs_, caller, std::move(fast),
                      [respond = std::move(respond), request_id,
                       version](Result<std::string> r) {
                        if (!r.ok())
                          return respond(
                              json_error(r.error(), sqs::kJsonNamespace, request_id, version));
                        respond(ok_response(std::move(r.value()), "application/x-amz-json-1.0",
                                            request_id, version));
                      });
      });
      return;
    }
    if (!json_nesting_within(req.body(), kMaxJsonNesting))
      return fail(Error{ErrorCode::kSerialization, "The request body nests too deeply."});
    json input = req.body().empty() ? json::object() : json::parse(req.body(), nullptr, false);
    if (input.is_discarded() || !input.is_object())
      return fail(Error{ErrorCode::kSerialization,
                        input.is_discarded()
                            ? "Unable to parse the request body as JSON."
                            : "Start of structure or map found where not expected."});
    sqs::Call call{caller_for(req), WireProtocol::kJson, std::move(input)};
    run_sqs(action, std::move(call), [respond, request_id, version](Result<json> r) {
      if (!r.ok()) return respond(json_error(r.error(), sqs::kJsonNamespace, request_id, version));
      respond(ok_response(r.value().dump(-1, ' ', false, json::error_handler_t::replace),
                          "application/x-amz-json-1.0", request_id, version));
    });
  }

  // --- Step Functions (AWS JSON 1.0) -----------------------------------------------------
  void handle_sfn(Request&& req, Respond respond, const std::string& request_id,
                  const std::string& action_name) {
    unsigned version = req.version();
    auto fail = [&](Error e) {
      respond(json_error(e, sfn::kJsonNamespace, request_id, version, false));
    };
    const sfn::Action* action = sfn::find_action(action_name);
    if (!action) return fail(Error{ErrorCode::kInvalidAction, ""});
    if (!json_nesting_within(req.body(), kMaxJsonNesting))
      return fail(Error{ErrorCode::kSerialization, "The request body nests too deeply."});
    json input = req.body().empty() ? json::object() : json::parse(req.body(), nullptr, false);
    if (input.is_discarded() || !input.is_object())
      return fail(
          Error{ErrorCode::kSerialization, "Unable to parse the request body as a JSON object."});
    auto done = [respond, request_id, version](Result<json> r) {
      if (!r.ok())
        return respond(json_error(r.error(), sfn::kJsonNamespace, request_id, version, false));
      respond(ok_response(r.value().dump(-1, ' ', false, json::error_handler_t::replace),
                          "application/x-amz-json-1.0", request_id, version));
    };
    net::post(core_, [this, action, caller = caller_for(req), input = std::move(input),
                      done = std::move(done)]() mutable {
      action->run(*sfn_, caller, input, std::move(done));
    });
  }

  // --- EventBridge (AWS JSON 1.1) -----------------------------------------------------------
  void handle_events(Request&& req, Respond respond, const std::string& request_id,
                     const std::string& action_name) {
    unsigned version = req.version();
    auto reply_error = [respond, request_id, version](const Error& e) {
      Response res = json_error(e, events::kJsonNamespace, request_id, version, false);
      res.set(http::field::content_type, "application/x-amz-json-1.1");
      respond(std::move(res));
    };
    const events::Action* action = events::find_action(action_name);
    if (!action) return reply_error(Error{ErrorCode::kInvalidAction, ""});
    if (!action->run)
      return reply_error(Error{ErrorCode::kNotImplemented,
                               "Wyvern does not implement the EventBridge action " + action_name +
                                   " yet."});
    if (!json_nesting_within(req.body(), kMaxJsonNesting))
      return reply_error(Error{ErrorCode::kSerialization, "The request body nests too deeply."});
    json input = req.body().empty() ? json::object() : json::parse(req.body(), nullptr, false);
    if (input.is_discarded() || !input.is_object())
      return reply_error(
          Error{ErrorCode::kSerialization, "Unable to parse the request body as a JSON object."});
    auto done = [reply_error, respond, request_id, version](Result<json> r) {
      if (!r.ok()) return reply_error(r.error());
      respond(ok_response(r.value().dump(-1, ' ', false, json::error_handler_t::replace),
                          "application/x-amz-json-1.1", request_id, version));
    };
    net::post(core_, [this, action, caller = caller_for(req), input = std::move(input),
                      done = std::move(done)]() mutable {
      action->run(*events_, caller, input, std::move(done));
    });
  }

  // --- AWS Query protocol ---------------------------------------------------------------
  void handle_query(Request&& req, Respond respond, const std::string& request_id) {
    unsigned version = req.version();
    std::string_view target(req.target().data(), req.target().size());
    std::string_view path = target.substr(0, target.find('?'));
    std::string form;
    if (auto q = target.find('?'); q != std::string_view::npos) form = target.substr(q + 1);
    if (req.method() == http::verb::post && !req.body().empty())
      form += (form.empty() ? "" : "&") + req.body();
    auto fail = [&](Error e) { respond(query_error(e, sqs::kXmlNamespace, request_id, version)); };

    auto params = parse_form(form);
    if (!params)
      return fail(Error{ErrorCode::kMalformedQueryString, "The query string is malformed."});
    std::string action_name;
    std::vector<std::pair<std::string, std::string>> members;
    for (auto& [k, v] : *params) {
      // No SQS parameter nests deeper than Entry.N.MessageAttribute.N.Value.Field.
      if (std::count(k.begin(), k.end(), '.') > 8)
        return fail(Error{ErrorCode::kMalformedQueryString,
                          "The parameter " + k.substr(0, 64) + "... nests too deeply."});
      if (k == "Action")
        action_name = v;
      else if (k != "Version")
        members.emplace_back(std::move(k), std::move(v));
    }
    if (wants_sns(req, action_name))
      return handle_sns(req, std::move(respond), request_id, action_name, std::move(members));
    if (action_name.empty()) {
      Response res{http::status::not_found, version};
      res.set(http::field::content_type, "text/xml");
      res.set("x-amzn-RequestId", request_id);
      res.body() = "<UnknownOperationException/>";
      return respond(std::move(res));
    }
    const sqs::Action* action = sqs::find_action(action_name);
    bool queue_path = path.size() > 1;
    if (!action || (queue_path && (action_name == "CreateQueue" || action_name == "ListQueues")))
      return fail(Error{ErrorCode::kInvalidAction,
                        "The action " + action_name + " is not valid for this endpoint."});
    sqs::Call call{caller_for(req), WireProtocol::kQuery, sqs::query_to_json(members)};
    // A request sent to a queue's URL names that queue, unless QueueUrl says otherwise.
    if (queue_path && !call.input.contains("QueueUrl"))
      call.input["QueueUrl"] = call.caller.endpoint + std::string(path);
    run_sqs(action, std::move(call), [respond, request_id, version, action](Result<json> r) {
      if (!r.ok()) {
        Error e = r.error();
        if (e.code == ErrorCode::kQueueDoesNotExist)
          e.message = "The specified queue does not exist for this wsdl version.";
        return respond(query_error(e, sqs::kXmlNamespace, request_id, version));
      }
      std::string name(action->name);
      std::string body = "<?xml version=\"1.0\"?><" + name + "Response xmlns=\"" +
                         std::string(sqs::kXmlNamespace) + "\">";
      if (action->has_output) {
        std::string inner = sqs::result_to_xml(name, r.value());
        body += inner.empty() ? "<" + name + "Result/>"
                              : "<" + name + "Result>" + inner + "</" + name + "Result>";
      }
      body += "<ResponseMetadata><RequestId>" + request_id + "</RequestId></ResponseMetadata></" +
              name + "Response>";
      respond(ok_response(std::move(body), "text/xml", request_id, version));
    });
  }

  // SNS and SQS share the Query protocol and even action names (AddPermission): the SigV4
  // scope says which service a signed request is for. An unsigned one (a SubscribeURL or
  // UnsubscribeURL followed from a notification) goes by its action.
  bool wants_sns(const Request& req, const std::string& action_name) const {
    if (auto scope = credential_scope(req); scope && !scope->service.empty())
      return scope->service == "sns";
    return sns::find_action(action_name) && !sqs::find_action(action_name);
  }

  void handle_sns(const Request& req, Respond respond, const std::string& request_id,
                  const std::string& action_name, sns::Params params) {
    unsigned version = req.version();
    const sns::Action* action = sns::find_action(action_name);
    if (!action)
      return respond(query_error(Error{ErrorCode::kInvalidAction,
                                       "The action " + action_name +
                                           " is not valid for this endpoint."},
                                 sns::kXmlNamespace, request_id, version));
    if (!action->run)
      return respond(query_error(
          Error{ErrorCode::kNotImplemented,
                "Wyvern does not implement the SNS action " + action_name + "."},
          sns::kXmlNamespace, request_id, version));
    auto done = [respond, request_id, version,
                 name = std::string(action->name)](Result<std::optional<std::string>> r) {
      if (!r.ok()) return respond(query_error(r.error(), sns::kXmlNamespace, request_id, version));
      std::string body = "<?xml version=\"1.0\"?><" + name + "Response xmlns=\"" +
                         std::string(sns::kXmlNamespace) + "\">";
      if (const auto& inner = r.value())
        body += inner->empty() ? "<" + name + "Result/>"
                               : "<" + name + "Result>" + *inner + "</" + name + "Result>";
      body += "<ResponseMetadata><RequestId>" + request_id + "</RequestId></ResponseMetadata></" +
              name + "Response>";
      respond(ok_response(std::move(body), "text/xml", request_id, version));
    };
    net::post(core_, [this, action, caller = caller_for(req), params = std::move(params),
                      done = std::move(done)]() mutable {
      action->run(*sns_, caller, params, std::move(done));
    });
  }

  // --- What SNS reaches through the broker -------------------------------------------------
  // Runs on the core strand. A queue is named by its ARN; the SQS engine is asked for it with
  // that ARN's region and account.
  void send_to_queue(topics::QueueDelivery d, topics::Delivered done) {
    send_queue_message(std::move(d), [done = std::move(done)](
                                         Result<queue::SendMessageResult> sent) {
      // Every SQS refusal (no such queue, a message it cannot take) is a client-side error:
      // SNS would not retry it either.
      done({sent.ok(), false, sent.ok() ? "" : sent.error().message});
    });
  }

  void send_queue_message(topics::QueueDelivery d,
                          std::function<void(Result<queue::SendMessageResult>)> done) {
    auto parts = parse_arn(d.queue_arn);
    if (!parts || parts->service != "sqs")
      return done(Error{ErrorCode::kQueueDoesNotExist, "Invalid queue ARN: " + d.queue_arn});
    queue::Caller caller;
    caller.region = parts->region;
    caller.account = parts->account;
    std::string url = caller.endpoint + "/" + caller.account + "/" + parts->resource;
    queue::SendMessageRequest r;
    r.body = std::move(d.body);
    for (auto& [name, a] : d.attributes)
      r.attributes[name] = {a.data_type, std::move(a.string_value), std::move(a.binary_value)};
    r.group_id = std::move(d.group_id);
    r.deduplication_id = std::move(d.deduplication_id);
    sqs_->send_message(caller, url, std::move(r), std::move(done));
  }

  // Lambda is invoked asynchronously by SNS: an invocation that starts counts as delivered
  // (the function's own failures are Lambda's to retry), one bound to nothing is a client error.
  void invoke_function(const std::string& arn, std::string event, topics::Delivered done) {
    std::string name = function_name(arn);
    const json* binding = functions_ && functions_->is_object() && functions_->contains(name)
                              ? &(*functions_)[name]
                              : nullptr;
    if (binding && binding->is_object() && binding->contains("command") &&
        (*binding)["command"].is_array()) {
      std::vector<std::string> command;
      for (const auto& a : (*binding)["command"])
        if (a.is_string()) command.push_back(a);
      invoke_command(std::move(command), std::move(event), [](InvokeResult) {});
      return done({true, false, ""});
    }
    if (binding && binding->is_object() && binding->contains("url") &&
        (*binding)["url"].is_string()) {
      invoke_url((*binding)["url"], std::move(event), [](InvokeResult) {});
      return done({true, false, ""});
    }
    done({false, false, "Function not found: " + arn});
  }

  void run_sqs(const sqs::Action* action, sqs::Call call, sqs::Done done) {
    net::post(core_, [this, action, call = std::move(call), done = std::move(done)]() mutable {
      action->run(*sqs_, call, std::move(done));
    });
  }

  // --- /_wyvern/: what AWS has no API for ------------------------------------------------
  void admin(const Request& req, Respond respond, const std::string& request_id) {
    std::string_view target(req.target().data(), req.target().size());
    std::string path(target.substr(0, target.find('?')));
    unsigned version = req.version();
    auto reply = [&](http::status status, const json& body) {
      Response res{status, version};
      res.set(http::field::content_type, "application/json");
      res.set("x-amzn-RequestId", request_id);
      res.body() = body.dump();
      respond(std::move(res));
    };
    if (path == "/_wyvern/console" || path.rfind("/_wyvern/console/", 0) == 0) {
      if (req.method() != http::verb::get && req.method() != http::verb::head)
        return reply(http::status::method_not_allowed, {{"error", "the console is read with GET"}});
      if (path == "/_wyvern/console") {  // relative asset URLs need the trailing slash
        Response res{http::status::moved_permanently, version};
        res.set(http::field::location, "/_wyvern/console/");
        return respond(std::move(res));
      }
      return respond(console_file(console_dir(config_.console_dir), path.substr(16), version));
    }
    if (path.rfind("/_wyvern/api/", 0) == 0) {
      json query = json::object();
      if (auto q = target.find('?'); q != std::string_view::npos)
        if (auto form = parse_form(target.substr(q + 1)))
          for (auto& [k, v] : *form) query[k] = v;
      json body = req.body().empty() ? json::object() : json::parse(req.body(), nullptr, false);
      net::post(core_, [this, caller = caller_for(req), method = std::string(req.method_string()),
                        sub = path.substr(12), query = std::move(query), body = std::move(body),
                        respond, request_id, version] {
        serve_admin_api(services(), caller, method, sub, query, body,
                        [respond, request_id, version](ApiResponse r) {
                          Response res{static_cast<http::status>(r.status), version};
                          res.set(http::field::content_type, "application/json");
                          res.set("x-amzn-RequestId", request_id);
                          res.body() = r.body.dump(-1, ' ', false, json::error_handler_t::replace);
                          respond(std::move(res));
                        });
      });
      return;
    }
    if (path == "/_wyvern/resources") {
      // GET: every resource as a resources file; POST a resources file: apply it (tried on a
      // throwaway broker first, as at start).
      auto answer = [respond, request_id, version](http::status status, json body) {
        Response res{status, version};
        res.set(http::field::content_type, "application/json");
        res.set("x-amzn-RequestId", request_id);
        res.body() = body.dump(2, ' ', false, json::error_handler_t::replace);
        respond(std::move(res));
      };
      if (req.method() == http::verb::get) {
        Caller caller = caller_for(req);
        net::post(core_, [this, caller, answer] {
          auto exported = export_resources(services(), caller);
          if (!exported) return answer(http::status::internal_server_error, {{"error", exported.error().message}});
          json document = std::move(exported.value());
          if (!routes_json_.empty()) document["routes"] = routes_json_;
          answer(http::status::ok, std::move(document));
        });
        return;
      }
      if (req.method() != http::verb::post)
        return reply(http::status::method_not_allowed, {{"error", "GET or POST"}});
      json document = json::parse(req.body(), nullptr, false);
      if (document.is_discarded())
        return reply(http::status::bad_request, {{"error", "the body is not JSON"}});
      if (document.is_object() && (document.contains("functions") || document.contains("mocks")))
        return reply(http::status::bad_request,
                     {{"error", "functions and mocks are bound when the broker starts (--config)"}});
      auto parsed = parse_resources(document, "request", "");
      if (!parsed) return reply(http::status::bad_request, {{"error", parsed.error().message}});
      net::post(core_, [this, resources = std::move(parsed.value()), answer] {
        if (auto tried = try_on_scratch(resources); !tried)
          return answer(http::status::bad_request, {{"error", tried.error().message}});
        apply_resources(services(), resources, [this, resources, answer](Result<Ok> applied) {
          if (!applied) return answer(http::status::bad_request, {{"error", applied.error().message}});
          net::post(core_, [this, resources, answer] {
            if (!resources.routes.empty()) {
              std::atomic_store(&routes_, std::make_shared<const std::vector<Route>>(resources.routes));
              routes_json_ = resources.document["routes"];
            }
            answer(http::status::ok, {{"applied", true}});
          });
        });
      });
      return;
    }
    if (path == "/_wyvern/health") {
      auto uptime =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
      return reply(http::status::ok, {{"status", "ok"},
                                      {"version", kVersion},
                                      {"uptime_seconds", uptime},
                                      {"store", config_.in_memory ? "memory" : "lmdb"}});
    }
    if (path == "/_wyvern/sns/outbox" && req.method() == http::verb::get) {
      net::post(core_, [this, respond, request_id, version] {
        Response res{http::status::ok, version};
        res.set(http::field::content_type, "application/json");
        res.set("x-amzn-RequestId", request_id);
        res.body() = json{{"messages", sns_->outbox()}}.dump(-1, ' ', false,
                                                             json::error_handler_t::replace);
        respond(std::move(res));
      });
      return;
    }
    if (path.rfind("/_wyvern/sns/", 0) == 0 && path.ends_with(".pem")) {
      net::post(core_, [this, path, respond, request_id, version] {
        if (path != sns_->signing_certificate_path()) {
          Response res{http::status::not_found, version};
          res.body() = "no such certificate";
          return respond(std::move(res));
        }
        Response res{http::status::ok, version};
        res.set(http::field::content_type, "application/x-pem-file");
        res.set("x-amzn-RequestId", request_id);
        res.body() = sns_->signing_certificate();
        respond(std::move(res));
      });
      return;
    }
    if (path == "/_wyvern/clock" && req.method() == http::verb::get)
      return reply(http::status::ok, clock_json());
    if (path == "/_wyvern/clock/advance" && req.method() == http::verb::post) {
      // Body {"seconds": N} or {"milliseconds": N}, or ?seconds=N in the query string.
      double ms = -1;
      json body = json::parse(req.body().empty() ? "{}" : req.body(), nullptr, false);
      if (body.is_object() && body.contains("seconds") && body["seconds"].is_number())
        ms = body["seconds"].get<double>() * 1000;
      if (body.is_object() && body.contains("milliseconds") && body["milliseconds"].is_number())
        ms = body["milliseconds"].get<double>();
      if (auto q = target.find('?'); q != std::string_view::npos)
        if (auto params = parse_form(target.substr(q + 1)))
          for (const auto& [k, v] : *params) {
            if (k == "seconds") ms = std::atof(v.c_str()) * 1000;
            if (k == "milliseconds") ms = std::atof(v.c_str());
          }
      constexpr double kLongest = 100.0 * 365 * 24 * 3600 * 1000;  // a century
      if (!(ms >= 0 && ms <= kLongest))                            // also false for NaN
        return reply(http::status::bad_request,
                     {{"error", "give a non-negative {\"seconds\": N} or {\"milliseconds\": N}"}});
      TimeMs offset = clock_.advance(static_cast<TimeMs>(ms));
      // The answer waits for what fell due: the timers run, their writes (queued before the
      // offset's) commit, and what those commits hand back to the core runs. So a test that
      // advances and then looks sees the consequences, and a second advance cannot overtake
      // work the first one started.
      timers_.clock_moved([this, offset, respond, request_id, version] {
        WriteBatch batch;
        batch.put(kClockTable, kClockOffsetKey, std::to_string(offset));
        store_->commit(std::move(batch), [this, respond, request_id, version](bool) {
          net::post(core_, [this, respond, request_id, version] {
            Response res{http::status::ok, version};
            res.set(http::field::content_type, "application/json");
            res.set("x-amzn-RequestId", request_id);
            res.body() = clock_json().dump();
            respond(std::move(res));
          });
        });
      });
      return;
    }
    if (path == "/_wyvern/reset" && req.method() == http::verb::post) {
      net::post(core_, [this, respond, request_id, version] {
        sqs_->reset();
        sfn_->reset();
        sns_->reset();
        events_->reset();
        // Empty every table in order with earlier writes; virtual time only moves forward,
        // reset or not, so its offset is written back.
        WriteBatch batch;
        batch.clear_all();
        batch.put(kClockTable, kClockOffsetKey, std::to_string(clock_.offset_ms()));
        store_->commit(std::move(batch), [respond, request_id, version](bool) {
          Response res{http::status::ok, version};
          res.set(http::field::content_type, "application/json");
          res.set("x-amzn-RequestId", request_id);
          res.body() = R"({"reset":true})";
          respond(std::move(res));
        });
      });
      return;
    }
    reply(http::status::not_found, {{"error", "no such admin endpoint: " + path}});
  }

  json clock_json() const {
    return {{"now_ms", clock_.now_ms()},
            {"now", iso8601_ms(clock_.now_ms())},
            {"offset_ms", clock_.offset_ms()}};
  }

  Config config_;
  int log_rank_;
  net::io_context io_;  // first: everything below may post to it until destroyed
  net::strand<net::io_context::executor_type> core_;
  SystemClock clock_;
  Timers timers_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<queue::QueueService> sqs_;
  std::unique_ptr<stepfn::StepFunctions> sfn_;
  std::unique_ptr<topics::TopicService> sns_;
  std::unique_ptr<bus::EventBridge> events_;
  std::shared_ptr<const json> functions_;  // Lambda function names bound to local commands/URLs
  // The HTTP routes of the resources file: read by the I/O threads, replaced by an import.
  std::shared_ptr<const std::vector<Route>> routes_ = std::make_shared<const std::vector<Route>>();
  json routes_json_;  // as written, for export
  std::unique_ptr<HttpServer> http_;
  // The console's live stream; its snapshot reads the services on the core strand.
  LiveFeed live_{core_, [this] {
                   json snapshot = live_snapshot(services(), queue::Caller{});
                   snapshot["clock"] = {{"offset_ms", clock_.offset_ms()}};
                   return snapshot;
                 }};
  std::vector<std::thread> threads_;
  std::chrono::steady_clock::time_point started_;
  bool stopping_ = false;  // core strand only
};

}  // namespace

std::string default_data_dir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
    return std::string(xdg) + "/wyvern";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.local/share/wyvern";
  return "wyvern-data";
}

Result<std::unique_ptr<Broker>> open_broker(const Config& config) {
  auto broker = std::make_unique<BrokerImpl>(config);
  if (auto opened = broker->open(); !opened) return opened.error();
  return std::unique_ptr<Broker>(std::move(broker));
}

}  // namespace wyvern::server
