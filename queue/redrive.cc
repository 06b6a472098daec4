// Dead-letter queues: redrive on receive, the source-queue listing, and message move tasks.
//
// Move task lifecycle: StartMessageMoveTask records a RUNNING task and schedules its first
// step at once. Each step (one per virtual second, so the virtual clock speeds it up) moves
// up to MaxNumberOfMessagesPerSecond visible messages from the dead-letter queue back to the
// queue they were dead-lettered from (or to DestinationArn), with a fresh receive count.
// The task ends COMPLETED when it has moved what was there at its start, CANCELLED when
// cancelled, FAILED when a destination is gone. Tasks live in memory, as the broker's
// record of work in progress, and are not kept across restarts.
#include <nlohmann/json.hpp>

#include "engine.h"
#include "foundation/codec.h"

namespace wyvern::queue {
namespace {

using json = nlohmann::json;

constexpr int kDefaultMovesPerSecond = 500;

Error invalid(std::string message) {
  return Error{ErrorCode::kInvalidParameterValue, std::move(message)};
}

bool looks_like_arn(const std::string& arn) {
  int colons = 0;
  for (char c : arn) colons += c == ':';
  return arn.rfind("arn:", 0) == 0 && colons >= 5 && arn.back() != ':';
}

}  // namespace

bool Engine::dead_letter(Queue& q, StoredMessage& m, TimeMs now, WriteBatch& batch) {
  Queue* dlq = find_by_arn(q.redrive->dead_letter_target_arn);
  if (!dlq || dlq == &q) return false;
  StoredMessage moved = m;
  moved.seq = next_seq(now);
  moved.visible_at = now;
  moved.mutable_extras().dead_letter_source = q.arn;
  // Standard queues keep the original enqueue time for retention; FIFO queues restart it.
  if (dlq->fifo) moved.retained_from = now;
  erase_message(q, m, batch);
  insert_message(*dlq, std::move(moved), batch);
  // Its waiters are served only after the caller has queued this batch for commit: a
  // receive from the dead-letter queue must be ordered after the move that filled it.
  dead_letter_wakeups_.push_back(dlq->key);
  return true;
}

void Engine::wake_dead_letter_queues() {
  if (waking_dead_letter_queues_) return;  // the outer call's loop takes what we add
  waking_dead_letter_queues_ = true;
  while (!dead_letter_wakeups_.empty()) {
    std::string key = std::move(dead_letter_wakeups_.back());
    dead_letter_wakeups_.pop_back();
    if (auto it = queues_.find(key); it != queues_.end()) serve_waiters(it->second);
  }
  waking_dead_letter_queues_ = false;
}

void Engine::list_dead_letter_source_queues(const Caller& caller, const std::string& url,
                                            const ListQueuesRequest& paging,
                                            Reply<ListQueuesResult> reply) {
  auto q = find_by_url(caller, url);
  if (!q) return reply(q.error());
  if (paging.max_results && (*paging.max_results < 1 || *paging.max_results > 1000))
    return reply(
        invalid("Value for parameter MaxResults is invalid. Reason: MaxResults must be "
                "an integer between 1 and 1000."));
  std::string after;
  if (paging.next_token) {
    auto decoded = base64_decode(*paging.next_token);
    if (!decoded) return reply(invalid("Invalid NextToken value."));
    after = *decoded;
  }
  size_t limit = paging.max_results.value_or(1000);
  ListQueuesResult out;
  for (auto it = queues_.upper_bound(after); it != queues_.end(); ++it) {
    const Queue& source = it->second;
    if (!source.redrive || source.redrive->dead_letter_target_arn != (*q)->arn) continue;
    if (out.queue_urls.size() == limit) {
      if (paging.max_results) out.next_token = base64_encode(after);
      break;
    }
    out.queue_urls.push_back(url_of(caller, source));
    after = it->first;
  }
  reply(std::move(out));
}

void Engine::start_message_move_task(const Caller& caller, const std::string& source_arn,
                                     const std::optional<std::string>& destination_arn,
                                     std::optional<int> max_per_second, Reply<std::string> reply) {
  if (source_arn.empty())
    return reply(
        Error{ErrorCode::kMissingParameter, "The request must contain the parameter SourceArn."});
  if (!looks_like_arn(source_arn))
    return reply(
        invalid("You must use this format to specify the SourceArn: "
                "arn:<partition>:<service>:<region>:<account-id>:<resource-id>"));
  if (destination_arn && !looks_like_arn(*destination_arn))
    return reply(
        invalid("You must use this format to specify the DestinationArn: "
                "arn:<partition>:<service>:<region>:<account-id>:<resource-id>"));
  if (max_per_second && (*max_per_second < 1 || *max_per_second > 500))
    return reply(
        invalid("Value for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: "
                "You must enter a number that's between 1 and 500."));
  Queue* source = find_by_arn(source_arn);
  if (!source)
    return reply(Error{ErrorCode::kResourceNotFound,
                       "The resource that you specified for the SourceArn parameter doesn't "
                       "exist."});
  bool is_dead_letter_queue = false;
  for (const auto& [key, q] : queues_)
    if (q.redrive && q.redrive->dead_letter_target_arn == source_arn) is_dead_letter_queue = true;
  if (!is_dead_letter_queue)
    return reply(invalid("Source queue must be configured as a Dead Letter Queue."));
  if (destination_arn) {
    Queue* destination = find_by_arn(*destination_arn);
    if (!destination)
      return reply(Error{ErrorCode::kResourceNotFound,
                         "The resource that you specified for the DestinationArn parameter "
                         "doesn't exist."});
    if (destination == source)
      return reply(invalid("Source queue arn and destination queue arn cannot be the same."));
    if (destination->fifo != source->fifo)
      return reply(
          invalid("The source queue and destination queue must be of the same queue "
                  "type."));
  }
  for (const auto& [id, t] : move_tasks_)
    if (t.task.source_arn == source_arn && t.task.status == "RUNNING")
      return reply(
          invalid("There is already a task running. Only one active task is allowed "
                  "for a source queue arn at a given time."));

  TimeMs now = env_.clock->now_ms();
  MoveTaskState state;
  std::string task_id = uuid4();
  state.source_key = source->key;
  state.task.task_handle =
      base64_encode(json{{"taskId", task_id}, {"sourceArn", source_arn}}.dump());
  state.task.status = "RUNNING";
  state.task.source_arn = source_arn;
  state.task.destination_arn = destination_arn;
  state.task.max_per_second = max_per_second;
  state.task.started_at = now;
  for (const StoredMessage& m : source->messages.by_arrival())
    if (m.state(now) == StoredMessage::State::kVisible) ++state.task.to_move;
  state.timer = env_.timers->schedule(now, [this, task_id] { run_move_task(task_id); });
  std::string handle = state.task.task_handle;
  move_tasks_.emplace(task_id, std::move(state));
  reply(std::move(handle));
}

void Engine::run_move_task(const std::string& task_id) {
  auto it = move_tasks_.find(task_id);
  if (it == move_tasks_.end() || it->second.task.status != "RUNNING") return;
  MoveTaskState& state = it->second;
  MoveTask& task = state.task;
  state.timer = 0;
  TimeMs now = env_.clock->now_ms();
  auto source_it = queues_.find(state.source_key);
  auto fail = [&](const char* reason) {
    task.status = "FAILED";
    task.failure_reason = reason;
  };
  if (source_it == queues_.end()) return fail("AWS.SimpleQueueService.NonExistentQueue");
  Queue& source = source_it->second;

  WriteBatch batch;
  std::set<Queue*> touched;
  int budget = task.max_per_second.value_or(kDefaultMovesPerSecond);
  while (budget-- > 0 && task.moved < task.to_move) {
    auto next = source.messages.by_visible_at().begin();
    if (next == source.messages.by_visible_at().end() || next->visible_at > now) break;
    StoredMessage& m = *next;
    std::string target_arn = task.destination_arn.value_or(m.extras().dead_letter_source);
    if (target_arn.empty()) {
      fail("CouldNotDetermineMessageSource");
      break;
    }
    Queue* target = find_by_arn(target_arn);
    if (!target) {
      fail("AWS.SimpleQueueService.NonExistentQueue");
      break;
    }
    StoredMessage moved = m;
    moved.seq = next_seq(now);
    moved.visible_at = now;
    moved.receive_count = 0;
    moved.first_received_at = moved.last_received_at = 0;
    moved.receipt = 0;
    if (!moved.extras().dead_letter_source.empty())
      moved.mutable_extras().dead_letter_source.clear();
    erase_message(source, m, batch);
    insert_message(*target, std::move(moved), batch);
    touched.insert(target);
    ++task.moved;
  }
  if (!batch.empty()) env_.store->commit(std::move(batch), nullptr);
  for (Queue* q : touched) serve_waiters(*q);
  if (task.status != "RUNNING") return;
  const auto& visible = source.messages.by_visible_at();
  bool drained = visible.empty() || visible.begin()->visible_at > now;
  if (task.moved >= task.to_move || drained) {
    task.status = "COMPLETED";
    return;
  }
  state.timer = env_.timers->schedule(now + 1000, [this, task_id] { run_move_task(task_id); });
}

void Engine::list_message_move_tasks(const Caller& caller, const std::string& source_arn,
                                     std::optional<int> max_results,
                                     Reply<std::vector<MoveTask>> reply) {
  if (source_arn.empty())
    return reply(
        Error{ErrorCode::kMissingParameter, "The request must contain the parameter SourceArn."});
  if (!looks_like_arn(source_arn))
    return reply(
        invalid("You must use this format to specify the SourceArn: "
                "arn:<partition>:<service>:<region>:<account-id>:<resource-id>"));
  if (max_results && (*max_results < 1 || *max_results > 10))
    return reply(
        invalid("Value for parameter MaxResults is invalid. Reason: You must enter a "
                "number that's between 1 and 10."));
  if (!find_by_arn(source_arn))
    return reply(Error{ErrorCode::kResourceNotFound,
                       "The resource that you specified for the SourceArn parameter doesn't "
                       "exist."});
  std::vector<MoveTask> tasks;
  for (const auto& [id, t] : move_tasks_)
    if (t.task.source_arn == source_arn) tasks.push_back(t.task);
  std::stable_sort(tasks.begin(), tasks.end(), [](const MoveTask& a, const MoveTask& b) {
    return a.started_at > b.started_at;  // most recent first
  });
  tasks.resize(std::min(tasks.size(), static_cast<size_t>(max_results.value_or(1))));
  reply(std::move(tasks));
}

void Engine::cancel_message_move_task(const Caller& caller, const std::string& task_handle,
                                      Reply<int64_t> reply) {
  if (task_handle.empty())
    return reply(
        Error{ErrorCode::kMissingParameter, "The request must contain the parameter TaskHandle."});
  auto decoded = base64_decode(task_handle);
  json doc = decoded ? json::parse(*decoded, nullptr, false) : json();
  if (!doc.is_object() || !doc.contains("taskId") || !doc["taskId"].is_string() ||
      !doc.contains("sourceArn") || !doc["sourceArn"].is_string())
    return reply(invalid("Value for parameter TaskHandle is invalid."));
  if (!find_by_arn(doc["sourceArn"].get<std::string>()))
    return reply(Error{ErrorCode::kResourceNotFound,
                       "The resource that you specified for the SourceArn parameter doesn't "
                       "exist."});
  auto it = move_tasks_.find(doc["taskId"].get<std::string>());
  if (it == move_tasks_.end() || it->second.task.status != "RUNNING")
    return reply(Error{ErrorCode::kResourceNotFound, "Task does not exist."});
  env_.timers->cancel(it->second.timer);
  it->second.task.status = "CANCELLED";
  reply(it->second.task.moved);
}

}  // namespace wyvern::queue
