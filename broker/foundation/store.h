// Store: the durable home of every service's state, behind one interface with two
// implementations: LMDB (the default, durable) and memory (`--in-memory` and unit tests).
//
// Services keep their working state in memory and write every change through here; the
// store is read only at startup, to rebuild that state. A change is acknowledged to a client
// only from `commit`'s completion, i.e. after it is durable.
//
// The LMDB store makes a batch durable by appending it to a journal (one fdatasync per group
// of batches), then applies journalled groups to LMDB in large transactions on a second
// thread; on open, journalled groups LMDB has not yet absorbed are replayed. See
// store_layout.md.
//
// Thread-safety: all methods may be called from any thread. Batches commit in the order
// `commit` was called. Completions run through the CompletionRunner given at open (LMDB), or
// inline (memory).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "errors.h"

namespace wyvern {

// A set of puts and deletes applied atomically. Tables are named LMDB databases; keys sort
// bytewise. See store_layout.md for who owns which table.
class WriteBatch {
 public:
  enum class Kind : uint8_t { kPut = 1, kErase = 2, kClearAll = 3 };
  struct Op {
    Kind kind;
    std::string table;
    std::string key;
    std::string value;  // kPut only
  };

  void put(std::string_view table, std::string key, std::string value) {
    ops_.push_back({Kind::kPut, std::string(table), std::move(key), std::move(value)});
  }
  // Deleting an absent key is fine.
  void erase(std::string_view table, std::string key) {
    ops_.push_back({Kind::kErase, std::string(table), std::move(key), {}});
  }
  // Empties every table, in order with the batch's other operations (a state reset).
  void clear_all() { ops_.push_back({Kind::kClearAll, {}, {}, {}}); }
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }
  const std::vector<Op>& ops() const { return ops_; }

 private:
  std::vector<Op> ops_;
};

class Store {
 public:
  using Done = std::function<void(bool durable)>;
  using Visitor = std::function<void(std::string_view key, std::string_view value)>;

  virtual ~Store() = default;

  // Applies `batch` atomically and calls `done(true)` once it is durable, or `done(false)` if
  // it could not be written (disk full, I/O error). Batches that arrive while a commit is in
  // flight share the next transaction (group commit). An empty batch still waits its turn, so
  // its completion also means "everything submitted before me is durable".
  virtual void commit(WriteBatch batch, Done done) = 0;

  // Visits every entry of `table` in key order. For startup: REQUIRES no concurrent commit.
  virtual void scan(std::string_view table, const Visitor& visit) = 0;

  // Finishes pending commits and releases the store. Idempotent.
  virtual void close() = 0;
};

// Commits `batch`, then answers `reply` with `value`, or with InternalFailure if the store
// could not make it durable: the one way services acknowledge a write.
template <typename T, typename Reply>
void commit_then_reply(Store& store, WriteBatch batch, Reply reply, T value) {
  store.commit(std::move(batch),
               [reply = std::move(reply), value = std::move(value)](bool durable) mutable {
                 if (durable)
                   reply(std::move(value));
                 else
                   reply(Error{ErrorCode::kInternalFailure, "The store refused the write."});
               });
}

// Keeps every committed write, so a test can reopen services over it as after a restart.
std::unique_ptr<Store> open_memory_store();

// For --in-memory: services already hold their state, and nothing is ever reopened, so commits
// succeed at once and keep nothing (a scan finds nothing). Halves the memory a message costs.
std::unique_ptr<Store> open_ephemeral_store();

// Runs a group's completions, e.g. by posting them to an executor. Called on the writer thread
// once per group commit; the default runs them right there.
using CompletionRunner = std::function<void(std::function<void()>)>;

// Opens (creating if needed) the LMDB environment in directory `dir`.
Result<std::unique_ptr<Store>> open_lmdb_store(const std::string& dir,
                                               CompletionRunner run_completions = nullptr);

}  // namespace wyvern
