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
  // One operation, viewing the batch's bytes: valid while the batch lives and is not added to.
  struct Op {
    Kind kind;
    std::string_view table;
    std::string_view key;
    std::string_view value;  // kPut only
  };

  void put(std::string_view table, std::string_view key, std::string_view value) {
    add(Kind::kPut, table, key, value);
  }
  // A put whose value `write` appends to the string it is given (and does nothing else to
  // it): a large value goes straight into the batch instead of through a copy.
  template <typename Write>
  void put_with(std::string_view table, std::string_view key, Write&& write) {
    add(Kind::kPut, table, key, {});
    size_t before = bytes_.size();
    write(bytes_);
    entries_.back().value_size = bytes_.size() - before;
  }
  // Room for `ops` more operations of `bytes` bytes in all, when a caller knows.
  void reserve(size_t ops, size_t bytes) {
    entries_.reserve(entries_.size() + ops);
    bytes_.reserve(bytes_.size() + bytes);
  }
  // Deleting an absent key is fine.
  void erase(std::string_view table, std::string_view key) { add(Kind::kErase, table, key, {}); }
  // Empties every table, in order with the batch's other operations (a state reset).
  void clear_all() { add(Kind::kClearAll, {}, {}, {}); }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

  class Ops;
  Ops ops() const;

 private:
  // Every operation's bytes live in one buffer, not three strings apiece: a batch of ten
  // messages was some twenty allocations on the thread that built it and as many frees on
  // the thread that retired it.
  struct Entry {
    Kind kind;
    uint32_t table_size;
    uint32_t key_size;
    size_t value_size;
    size_t offset;  // of the table's bytes; the key's and the value's follow
  };

  void add(Kind kind, std::string_view table, std::string_view key, std::string_view value) {
    entries_.push_back({kind, static_cast<uint32_t>(table.size()),
                        static_cast<uint32_t>(key.size()), value.size(), bytes_.size()});
    bytes_.append(table).append(key).append(value);
  }

  std::vector<Entry> entries_;
  std::string bytes_;
};

// The operations of a batch, in the order they were added.
class WriteBatch::Ops {
 public:
  class iterator {
   public:
    iterator(const Entry* at, const char* bytes) : at_(at), bytes_(bytes) {}
    Op operator*() const {
      const char* p = bytes_ + at_->offset;
      return {at_->kind, {p, at_->table_size}, {p + at_->table_size, at_->key_size},
              {p + at_->table_size + at_->key_size, at_->value_size}};
    }
    iterator& operator++() {
      ++at_;
      return *this;
    }
    bool operator!=(const iterator& other) const { return at_ != other.at_; }

   private:
    const Entry* at_;
    const char* bytes_;
  };

  iterator begin() const { return {batch_.entries_.data(), batch_.bytes_.data()}; }
  iterator end() const { return {batch_.entries_.data() + batch_.entries_.size(), nullptr}; }

 private:
  friend class WriteBatch;
  explicit Ops(const WriteBatch& batch) : batch_(batch) {}
  const WriteBatch& batch_;
};

inline WriteBatch::Ops WriteBatch::ops() const { return Ops(*this); }

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
