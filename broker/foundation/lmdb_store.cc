// The LMDB store, with a journal in front of it.
//
// Lifecycle:
//   open()   opens the LMDB environment, replays journal records that LMDB has not absorbed
//            yet (each lane's records up to its first torn, corrupt or older one, merged in
//            LSN order up to the first gap) and commits them to LMDB. Then it starts two
//            threads.
//   writer   takes every batch queued since its last round, appends them to the journal as
//            one record and fdatasyncs once (group commit), then runs their completions: a
//            batch is acknowledged once its journal record is on disk. It hands the group on
//            to the checkpointer.
//   checkpointer  applies handed-on groups to LMDB in one synced transaction per round (at
//            most one round per kCheckpointPause unless someone waits for it),
//            recording the last journal sequence number applied (LSN) in the same transaction.
//   close()  drains both threads; everything is in LMDB and the journal is empty.
//
// The journal is two files (lanes), journal.wal and journal.1.wal, written one at a time from
// their start. When the active lane grows past kJournalLimit the writer moves on to the other
// lane and overwrites it from its start, once LMDB holds every record written there before.
// That is almost always the case already: leaving a lane starts a checkpoint round at once,
// which absorbs it while the writer fills the other, so the writer does not stop. With one
// 64 MiB file it waited at every rewind for the checkpointer to absorb all of it (20-50 ms,
// once a second under load). Two lanes of 32 MiB keep the disk footprint, and the zeros
// written once to allocate it, as they were. Replay reads both lanes and applies their
// records in LSN order.
//
// Why a journal: an LMDB commit costs two fsyncs plus copy-on-write page writes, and an
// acknowledged write must be on disk. Appending to a journal costs one small sequential
// write and one fdatasync, and LMDB's commits move off the request path.
//
// Journal record: u32 payload length, u32 CRC-32 of (lsn + payload), u64 lsn, payload.
// Payload: the group's operations, each u8 kind, then table, key and value as u32-length-
// prefixed bytes.
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "background_thread.h"
#include "codec.h"
#include "store.h"

namespace wyvern {
namespace {

constexpr size_t kMapSize = size_t{1} << 38;  // 256 GiB of address space; the file grows as used
constexpr unsigned kMaxTables = 64;
constexpr char kMetaTable[] = "wyvern.store";  // the store's own bookkeeping
constexpr char kLsnKey[] = "checkpoint_lsn";
constexpr off_t kJournalLimit = 32 << 20;  // per lane
constexpr off_t kJournalChunk = 4 << 20;
constexpr auto kCheckpointPause = std::chrono::milliseconds(500);
constexpr size_t kLingerThreshold = 4;
constexpr auto kMaxLinger = std::chrono::microseconds(300);

uint32_t checksum(const char* data, size_t n, uint32_t crc = 0) {
  return static_cast<uint32_t>(
      ::crc32(crc, reinterpret_cast<const Bytef*>(data), static_cast<uInt>(n)));
}

uint32_t get_u32_be(const char* p) {
  return (uint32_t(uint8_t(p[0])) << 24) | (uint32_t(uint8_t(p[1])) << 16) |
         (uint32_t(uint8_t(p[2])) << 8) | uint32_t(uint8_t(p[3]));
}

void put_bytes(std::string& out, std::string_view s) {
  put_u32_be(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

bool sync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  return synced;
}

bool write_all_at(int fd, const char* data, size_t n, off_t offset) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd, data, n, offset);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += w;
    offset += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

class LmdbStore final : public Store {
 public:
  explicit LmdbStore(CompletionRunner run_completions)
      : run_completions_(run_completions ? std::move(run_completions)
                                         : [](std::function<void()> fn) { fn(); }) {}
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
    max_key_ = static_cast<size_t>(mdb_env_get_maxkeysize(env_));
    bool created = false;
    for (int i = 0; i < 2; ++i) {
      // Lane 0 keeps the name a one-file journal had, so older data directories replay.
      std::string name = dir + (i == 0 ? "/journal.wal" : "/journal.1.wal");
      created |= !std::filesystem::exists(name, ec);
      lanes_[i].fd = ::open(name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (lanes_[i].fd < 0)
        return Error{ErrorCode::kInternalFailure, "cannot open journal in " + dir};
    }
    // Acknowledged records will live in these files: a new one's name must be on disk too.
    if (created && !sync_directory(dir))
      return Error{ErrorCode::kInternalFailure, "cannot sync " + dir};
    if (auto replayed = replay_journal(); !replayed) return replayed.error();
    writer_ = std::thread([this] { write_loop(); });
    checkpointer_ = std::thread([this] { checkpoint_loop(); });
    return Ok{};
  }

  void commit(WriteBatch batch, Done done) override {
    // Refuse up front what LMDB could never hold, so that the journal only ever records
    // batches the checkpointer can apply.
    for (const auto& op : batch.ops())
      if (op.key.size() > max_key_ || op.key.empty() != (op.kind == WriteBatch::Kind::kClearAll)) {
        if (done) done(false);
        return;
      }
    {
      std::lock_guard lock(queue_mu_);
      if (!closing_) {
        queue_.push_back({std::move(batch), std::move(done)});
        // Wake the writer only when it has a reason to act: it waits either for a first batch
        // or, lingering, for as many as its last group had. Waking it on every batch while it
        // lingers cost a context switch per request.
        if (queue_.size() == 1 || queue_.size() >= last_group_) queue_cv_.notify_one();
        return;
      }
    }
    if (done) done(false);
  }

  void scan(std::string_view table, const Visitor& visit) override {
    {
      // Reads see LMDB: let the checkpointer absorb everything acknowledged so far.
      std::unique_lock lock(checkpoint_mu_);
      ++checkpoint_waiters_;
      checkpoint_cv_.notify_all();
      checkpoint_cv_.wait(lock, [&] { return checkpointed_lsn_ >= last_lsn_.load(); });
      --checkpoint_waiters_;
    }
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

  void close() override {
    {
      std::lock_guard lock(queue_mu_);
      if (closing_) return;
      closing_ = true;
      queue_cv_.notify_one();
    }
    if (writer_.joinable()) writer_.join();
    {
      std::lock_guard lock(checkpoint_mu_);
      checkpoint_closing_ = true;
      checkpoint_cv_.notify_all();
    }
    if (checkpointer_.joinable()) checkpointer_.join();
    for (Lane& lane : lanes_)  // everything journalled is in LMDB now
      if (lane.fd >= 0) {
        ::close(lane.fd);
        lane.fd = -1;
      }
    if (env_) mdb_env_close(env_);
    env_ = nullptr;
  }

 private:
  struct Pending {
    WriteBatch batch;
    Done done;
  };
  struct Group {
    uint64_t lsn;
    std::vector<WriteBatch> batches;
  };
  struct Lane {
    int fd = -1;
    off_t end = 0;          // where the next record goes
    off_t allocated = 0;    // bytes of the file already written
    uint64_t last_lsn = 0;  // of the last record written since the lane was last entered
  };

  // --- writer thread ---------------------------------------------------------------------
  void write_loop() {
    pthread_setname_np(pthread_self(), "wyvern-journal");  // as top -H and perf show it
    for (;;) {
      std::deque<Pending> group;
      {
        std::unique_lock lock(queue_mu_);
        queue_cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
        if (queue_.empty()) return;  // closing and drained
        // Under load, wait briefly for as many batches as the last group had: one fsync then
        // acknowledges all of them (group commit's whole point); a lone client never waits.
        // Never longer than an fdatasync takes (a moving average, so that one quick sync does
        // not cut the next group short): past that, a second fsync would have acknowledged the
        // late batches sooner (a fixed 300 us cost 6% of batched sends on a disk that syncs in
        // 150 us).
        if (last_group_ >= kLingerThreshold && queue_.size() < last_group_) {
          auto until = std::chrono::steady_clock::now() + std::min(sync_time_, kMaxLinger);
          queue_cv_.wait_until(lock, until,
                               [&] { return closing_ || queue_.size() >= last_group_; });
        }
        group.swap(queue_);
        last_group_ = group.size();
      }
      // A group of empty batches (a read waiting for the writes queued before it) has nothing
      // to make durable: everything before it already is, since groups go one at a time.
      bool nothing =
          std::all_of(group.begin(), group.end(), [](const Pending& p) { return p.batch.empty(); });
      if (nothing) {
        run_completions_([group = std::move(group)]() mutable {
          for (auto& p : group)
            if (p.done) p.done(true);
        });
        continue;
      }
      uint64_t lsn = last_lsn_.load() + 1;
      bool durable = append(lsn, group);
      std::vector<Done> dones;
      dones.reserve(group.size());
      for (auto& p : group) dones.push_back(std::move(p.done));
      if (durable) {
        // Hand the group on before acknowledging, so that anyone who saw an acknowledgement
        // and then scans waits for this group's checkpoint.
        Group handed{lsn, {}};
        handed.batches.reserve(group.size());
        for (auto& p : group) handed.batches.push_back(std::move(p.batch));
        std::lock_guard lock(checkpoint_mu_);
        last_lsn_ = lsn;
        checkpoint_queue_.push_back(std::move(handed));
        checkpoint_cv_.notify_all();
      }
      // One hand-off for the whole group: the completions run together wherever the owner
      // wants them (one wake-up of the I/O thread instead of one per request).
      run_completions_([dones = std::move(dones), durable]() mutable {
        for (auto& done : dones)
          if (done) done(durable);
      });
      if (durable && lanes_[active_].end > kJournalLimit) switch_lanes();
    }
  }

  bool append(uint64_t lsn, const std::deque<Pending>& group) {
    // One buffer, reused: a fresh one per group costs an allocation and page faults each time.
    std::string& record = record_;
    size_t size = 16;
    for (const auto& p : group)
      for (const auto& op : p.batch.ops())
        size += 13 + op.table.size() + op.key.size() + op.value.size();
    record.reserve(size);
    record.assign(16, '\0');  // header, filled in below
    for (const auto& p : group)
      for (const auto& op : p.batch.ops()) {
        record += static_cast<char>(op.kind);
        put_bytes(record, op.table);
        put_bytes(record, op.key);
        put_bytes(record, op.value);
      }
    std::string header;
    put_u32_be(header, static_cast<uint32_t>(record.size() - 16));
    std::string lsn_bytes;
    put_u64_be(lsn_bytes, lsn);
    uint32_t crc = checksum(lsn_bytes.data(), 8);
    crc = checksum(record.data() + 16, record.size() - 16, crc);
    put_u32_be(header, crc);
    header += lsn_bytes;
    record.replace(0, 16, header);
    Lane& lane = lanes_[active_];
    off_t end = lane.end + static_cast<off_t>(record.size());
    if (end > lane.allocated && !extend(lane, end)) return false;
    if (!write_all_at(lane.fd, record.data(), record.size(), lane.end)) return false;
    auto sync_start = std::chrono::steady_clock::now();
    // Whatever part of a failed append reached the file is a torn record; the next overwrites it.
    if (::fdatasync(lane.fd) != 0) return false;
    auto took = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - sync_start);
    sync_time_ = (3 * sync_time_ + took) / 4;
    lane.end = end;
    lane.last_lsn = lsn;
    return true;
  }

  // Grows the journal with written zeros ahead of need: overwriting allocated blocks lets each
  // fdatasync flush data only, where appending would also flush the file's size every time.
  bool extend(Lane& lane, off_t needed) {
    // Zeros from static storage: building a 4 MiB buffer each time cost a memset and a page
    // fault per 4 KiB on the writer's path.
    static const std::array<char, 1 << 20> kZeros{};
    while (lane.allocated < needed) {
      for (off_t at = 0; at < kJournalChunk; at += static_cast<off_t>(kZeros.size()))
        if (!write_all_at(lane.fd, kZeros.data(), kZeros.size(), lane.allocated + at))
          return false;
      lane.allocated += kJournalChunk;
    }
    return true;
  }

  // The next records overwrite the other lane from its start, once LMDB holds every record
  // written there before (usually long since). Replay tells old records from new ones by
  // their LSNs, which only grow.
  void switch_lanes() {
    Lane& next = lanes_[1 - active_];
    {
      std::unique_lock lock(checkpoint_mu_);
      lane_left_ = true;  // its records should be in LMDB before the writer comes back to it
      checkpoint_cv_.notify_all();
      if (checkpointed_lsn_ < next.last_lsn) {
        ++checkpoint_waiters_;
        checkpoint_cv_.wait(lock, [&] { return checkpointed_lsn_ >= next.last_lsn; });
        --checkpoint_waiters_;
      }
    }
    next.end = 0;
    active_ = 1 - active_;
  }

  // --- checkpointer thread ---------------------------------------------------------------
  void checkpoint_loop() {
    pthread_setname_np(pthread_self(), "wyvern-lmdb");
    run_as_background_thread();
    for (;;) {
      std::deque<Group> groups;
      {
        std::unique_lock lock(checkpoint_mu_);
        checkpoint_cv_.wait(lock,
                            [&] { return checkpoint_closing_ || !checkpoint_queue_.empty(); });
        if (checkpoint_queue_.empty()) return;
        // Let work accumulate: LMDB's fsyncs compete with the journal's for the disk, so
        // fewer, larger checkpoints keep acknowledgements fast. Someone waiting (a scan, a
        // full journal, close) or a lane just left cuts the pause short.
        checkpoint_cv_.wait_for(lock, kCheckpointPause, [&] {
          return checkpoint_closing_ || checkpoint_waiters_ > 0 || lane_left_;
        });
        lane_left_ = false;
        groups.swap(checkpoint_queue_);
      }
      // A failed checkpoint leaves the journal as the record; the next round retries it.
      while (!apply(groups)) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      std::lock_guard lock(checkpoint_mu_);
      checkpointed_lsn_ = groups.back().lsn;
      checkpoint_cv_.notify_all();
    }
  }

  bool apply(const std::deque<Group>& groups) {
    MDB_txn* txn = nullptr;
    if (mdb_txn_begin(env_, nullptr, 0, &txn) != 0) return false;
    for (const auto& g : groups)
      for (const auto& batch : g.batches)
        for (const auto& op : batch.ops())
          if (!apply_op(txn, op.kind, op.table, op.key, op.value)) return abort(txn);
    std::string lsn;
    put_u64_be(lsn, groups.back().lsn);
    if (!apply_op(txn, WriteBatch::Kind::kPut, kMetaTable, kLsnKey, lsn)) return abort(txn);
    if (mdb_txn_commit(txn) == 0) return true;
    tables_.clear();
    return false;
  }

  bool apply_op(MDB_txn* txn, WriteBatch::Kind kind, std::string_view table, std::string_view key,
                std::string_view value) {
    if (kind == WriteBatch::Kind::kClearAll) return clear_all(txn);
    MDB_dbi dbi;
    if (!open_table(txn, std::string(table), &dbi)) return false;
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    if (kind == WriteBatch::Kind::kPut) {
      MDB_val v{value.size(), const_cast<char*>(value.data())};
      return mdb_put(txn, dbi, &k, &v, 0) == 0;
    }
    int rc = mdb_del(txn, dbi, &k, nullptr);
    return rc == 0 || rc == MDB_NOTFOUND;
  }

  // Empties every named table but the store's own bookkeeping.
  bool clear_all(MDB_txn* txn) {
    MDB_dbi main;
    if (mdb_dbi_open(txn, nullptr, 0, &main) != 0) return false;
    std::vector<std::string> names;
    MDB_cursor* cursor = nullptr;
    if (mdb_cursor_open(txn, main, &cursor) != 0) return false;
    MDB_val k, v;
    for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT))
      names.emplace_back(static_cast<const char*>(k.mv_data), k.mv_size);
    mdb_cursor_close(cursor);
    for (const auto& name : names) {
      if (name == kMetaTable) continue;
      MDB_dbi dbi;
      if (!open_table(txn, name, &dbi) || mdb_drop(txn, dbi, 0) != 0) return false;
    }
    return true;
  }

  // Checkpointer thread (and open(), before it starts): named-database handles, kept.
  bool open_table(MDB_txn* txn, const std::string& name, MDB_dbi* dbi) {
    auto it = tables_.find(name);
    if (it != tables_.end()) {
      *dbi = it->second;
      return true;
    }
    if (mdb_dbi_open(txn, name.c_str(), MDB_CREATE, dbi) != 0) return false;
    tables_.emplace(name, *dbi);
    return true;
  }

  // Handles first opened in an aborted transaction die with it: forget them all.
  bool abort(MDB_txn* txn) {
    mdb_txn_abort(txn);
    tables_.clear();
    return false;
  }

  // --- open(): bring LMDB up to date with the journal --------------------------------------
  Result<Ok> replay_journal() {
    uint64_t checkpoint = 0;
    scan(kMetaTable, [&](std::string_view key, std::string_view value) {
      if (key == kLsnKey && value.size() == 8) checkpoint = get_u64_be(value);
    });
    // Each lane's records run from the start of its file while their LSNs grow; a torn record
    // (never acknowledged), the zeros ahead of the end, or an older record left from before the
    // lane was last overwritten ends them. Both lanes' records, in LSN order, are the journal.
    std::array<std::string, 2> data;
    std::vector<std::pair<uint64_t, std::string_view>> records;  // (lsn, payload)
    for (int i = 0; i < 2; ++i) {
      char buf[1 << 16];
      ssize_t n;
      while ((n = ::pread(lanes_[i].fd, buf, sizeof buf, static_cast<off_t>(data[i].size()))) > 0)
        data[i].append(buf, static_cast<size_t>(n));
      read_lane(data[i], records);
    }
    std::sort(records.begin(), records.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    MDB_txn* txn = nullptr;
    if (mdb_txn_begin(env_, nullptr, 0, &txn) != 0)
      return Error{ErrorCode::kInternalFailure, "cannot begin the journal replay"};
    uint64_t last = checkpoint;
    uint64_t newest = records.empty() ? checkpoint : std::max(checkpoint, records.back().first);
    for (const auto& [lsn, payload] : records) {
      if (lsn <= last) continue;  // in LMDB already
      // LSNs are consecutive; a gap can only come from a damaged lane, and nothing past it
      // can be applied in order.
      if (lsn != last + 1) break;
      if (!replay_record(txn, payload)) {
        abort(txn);
        return Error{ErrorCode::kInternalFailure,
                     "the journal has a record that cannot be applied"};
      }
      last = lsn;
    }
    // Records past a gap (newest > last) were not applied and never will be. The checkpoint
    // covers them and new records are numbered above them, so that no later replay can take
    // one of them for a new record.
    std::string lsn;
    put_u64_be(lsn, newest);
    if (!apply_op(txn, WriteBatch::Kind::kPut, kMetaTable, kLsnKey, lsn) ||
        mdb_txn_commit(txn) != 0) {
      tables_.clear();
      return Error{ErrorCode::kInternalFailure, "cannot apply the journal to the store"};
    }
    last_lsn_ = checkpointed_lsn_ = newest;
    // LMDB holds every record now: new ones overwrite lane 0 from its start. A lane left
    // larger by a one-file journal (64 MiB) is cut back to what a lane uses.
    for (int i = 0; i < 2; ++i) {
      lanes_[i].end = 0;
      lanes_[i].allocated = static_cast<off_t>(data[i].size());
      lanes_[i].last_lsn = 0;
      if (lanes_[i].allocated > kJournalLimit + kJournalChunk &&
          ::ftruncate(lanes_[i].fd, kJournalLimit + kJournalChunk) == 0)
        lanes_[i].allocated = kJournalLimit + kJournalChunk;
    }
    active_ = 0;
    return Ok{};
  }

  static void read_lane(const std::string& data,
                        std::vector<std::pair<uint64_t, std::string_view>>& records) {
    uint64_t previous = 0;
    size_t pos = 0;
    while (pos + 16 <= data.size()) {
      uint32_t length = get_u32_be(data.data() + pos);
      uint32_t crc = get_u32_be(data.data() + pos + 4);
      if (pos + 16 + length > data.size()) break;
      if (checksum(data.data() + pos + 16, length, checksum(data.data() + pos + 8, 8)) != crc)
        break;
      uint64_t lsn = get_u64_be(std::string_view(data).substr(pos + 8, 8));
      if (lsn <= previous) break;
      previous = lsn;
      records.emplace_back(lsn, std::string_view(data.data() + pos + 16, length));
      pos += 16 + length;
    }
  }

  bool replay_record(MDB_txn* txn, std::string_view payload) {
    auto field = [&](std::string_view* out) {
      if (payload.size() < 4) return false;
      uint32_t n = get_u32_be(payload.data());
      if (payload.size() < 4 + size_t{n}) return false;
      *out = payload.substr(4, n);
      payload.remove_prefix(4 + size_t{n});
      return true;
    };
    while (!payload.empty()) {
      auto kind = static_cast<WriteBatch::Kind>(payload[0]);
      payload.remove_prefix(1);
      std::string_view table, key, value;
      if (!field(&table) || !field(&key) || !field(&value)) return false;
      if (!apply_op(txn, kind, table, key, value)) return false;
    }
    return true;
  }

  CompletionRunner run_completions_;
  MDB_env* env_ = nullptr;
  size_t max_key_ = 511;
  std::array<Lane, 2> lanes_;  // writer thread (and open(), before it starts)
  int active_ = 0;             // writer thread: the lane being written
  std::string record_;                 // writer thread: the record being appended
  std::chrono::microseconds sync_time_ = kMaxLinger;  // writer thread: fdatasync's, averaged
  std::atomic<uint64_t> last_lsn_{0};  // written by the writer thread only
  std::thread writer_;
  std::thread checkpointer_;
  std::map<std::string, MDB_dbi> tables_;  // checkpointer thread

  std::mutex queue_mu_;  // guards queue_, closing_ and last_group_; never held during I/O
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_;
  bool closing_ = false;
  size_t last_group_ = 0;  // size of the writer's last group

  std::mutex checkpoint_mu_;  // guards the members below; never held during I/O
  std::condition_variable checkpoint_cv_;
  std::deque<Group> checkpoint_queue_;
  uint64_t checkpointed_lsn_ = 0;
  int checkpoint_waiters_ = 0;
  bool lane_left_ = false;  // the writer moved to the other lane since the last round began
  bool checkpoint_closing_ = false;
};

}  // namespace

Result<std::unique_ptr<Store>> open_lmdb_store(const std::string& dir,
                                               CompletionRunner run_completions) {
  auto store = std::make_unique<LmdbStore>(std::move(run_completions));
  auto opened = store->open(dir);
  if (!opened) return opened.error();
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace wyvern
