// The LMDB store. Lifecycle: open() creates the environment; one writer thread takes every
// batch queued since its last commit, applies them in one write transaction and commits (one
// fsync for the whole group), then runs their completions; close() drains the queue and
// closes the environment. Reads (scan) happen only at startup, in their own read transaction.
#include <lmdb.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "store.h"

namespace wyvern {
namespace {

constexpr size_t kMapSize = size_t{1} << 38;  // 256 GiB of address space; the file grows as used
constexpr unsigned kMaxTables = 64;

class LmdbStore final : public Store {
 public:
  ~LmdbStore() override { close(); }

  Result<Ok> open(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Error{ErrorCode::kInternalFailure, "cannot create " + dir + ": " + ec.message()};
    int rc = mdb_env_create(&env_);
    if (rc == 0) rc = mdb_env_set_mapsize(env_, kMapSize);
    if (rc == 0) rc = mdb_env_set_maxdbs(env_, kMaxTables);
    if (rc == 0) rc = mdb_env_open(env_, dir.c_str(), MDB_NOTLS, 0644);
    if (rc != 0) {
      if (env_) mdb_env_close(env_);
      env_ = nullptr;
      return Error{ErrorCode::kInternalFailure,
                   "cannot open store in " + dir + ": " + mdb_strerror(rc)};
    }
    writer_ = std::thread([this] { write_loop(); });
    return Ok{};
  }

  void commit(WriteBatch batch, Done done) override {
    {
      std::lock_guard lock(queue_mu_);
      if (!closing_) {
        queue_.push_back({std::move(batch), std::move(done)});
        queue_cv_.notify_one();
        return;
      }
    }
    if (done) done(false);
  }

  void scan(std::string_view table, const Visitor& visit) override {
    MDB_txn* txn = nullptr;
    if (mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn) != 0) return;
    MDB_dbi dbi;
    if (mdb_dbi_open(txn, std::string(table).c_str(), 0, &dbi) != 0) {
      mdb_txn_abort(txn);
      return;
    }
    MDB_cursor* cursor = nullptr;
    if (mdb_cursor_open(txn, dbi, &cursor) == 0) {
      MDB_val k, v;
      for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
           rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
        visit({static_cast<const char*>(k.mv_data), k.mv_size},
              {static_cast<const char*>(v.mv_data), v.mv_size});
      }
      mdb_cursor_close(cursor);
    }
    mdb_txn_abort(txn);
  }

  void wipe() override {
    MDB_txn* txn = nullptr;
    if (mdb_txn_begin(env_, nullptr, 0, &txn) != 0) return;
    MDB_dbi main;
    if (mdb_dbi_open(txn, nullptr, 0, &main) == 0) {
      // The unnamed database lists the named ones: empty each of them.
      std::vector<std::string> names;
      MDB_cursor* cursor = nullptr;
      if (mdb_cursor_open(txn, main, &cursor) == 0) {
        MDB_val k, v;
        for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT))
          names.emplace_back(static_cast<const char*>(k.mv_data), k.mv_size);
        mdb_cursor_close(cursor);
      }
      for (const auto& name : names) {
        MDB_dbi dbi;
        if (mdb_dbi_open(txn, name.c_str(), 0, &dbi) == 0) mdb_drop(txn, dbi, 0);
      }
    }
    mdb_txn_commit(txn);
  }

  void close() override {
    {
      std::lock_guard lock(queue_mu_);
      if (closing_) return;
      closing_ = true;
      queue_cv_.notify_one();
    }
    if (writer_.joinable()) writer_.join();
    if (env_) mdb_env_close(env_);
    env_ = nullptr;
  }

 private:
  struct Pending {
    WriteBatch batch;
    Done done;
  };

  void write_loop() {
    for (;;) {
      std::deque<Pending> group;
      {
        std::unique_lock lock(queue_mu_);
        queue_cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
        if (queue_.empty()) return;  // closing and drained
        group.swap(queue_);
      }
      bool durable = apply(group);
      for (auto& p : group)
        if (p.done) p.done(durable);
    }
  }

  bool apply(const std::deque<Pending>& group) {
    MDB_txn* txn = nullptr;
    if (mdb_txn_begin(env_, nullptr, 0, &txn) != 0) return false;
    for (const auto& p : group) {
      for (const auto& op : p.batch.ops()) {
        MDB_dbi dbi;
        if (!table(txn, op.table, &dbi)) return abort(txn);
        MDB_val k{op.key.size(), const_cast<char*>(op.key.data())};
        int rc;
        if (op.value) {
          MDB_val v{op.value->size(), const_cast<char*>(op.value->data())};
          rc = mdb_put(txn, dbi, &k, &v, 0);
        } else {
          rc = mdb_del(txn, dbi, &k, nullptr);
          if (rc == MDB_NOTFOUND) rc = 0;
        }
        if (rc != 0) return abort(txn);
      }
    }
    if (mdb_txn_commit(txn) == 0) return true;
    tables_.clear();
    return false;
  }

  // Handles first opened in an aborted transaction die with it: forget them all.
  bool abort(MDB_txn* txn) {
    mdb_txn_abort(txn);
    tables_.clear();
    return false;
  }

  // Writer thread only: named-database handles, opened on first use and kept.
  bool table(MDB_txn* txn, const std::string& name, MDB_dbi* dbi) {
    auto it = tables_.find(name);
    if (it != tables_.end()) {
      *dbi = it->second;
      return true;
    }
    if (mdb_dbi_open(txn, name.c_str(), MDB_CREATE, dbi) != 0) return false;
    tables_.emplace(name, *dbi);
    return true;
  }

  MDB_env* env_ = nullptr;
  std::thread writer_;
  std::map<std::string, MDB_dbi> tables_;  // writer thread only

  std::mutex queue_mu_;  // guards queue_ and closing_; never held during a transaction
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_;
  bool closing_ = false;
};

}  // namespace

Result<std::unique_ptr<Store>> open_lmdb_store(const std::string& dir) {
  auto store = std::make_unique<LmdbStore>();
  auto opened = store->open(dir);
  if (!opened) return opened.error();
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace wyvern
