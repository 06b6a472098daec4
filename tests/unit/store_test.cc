// One contract suite for both Store implementations.
#include <sys/wait.h>
#include <unistd.h>
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>

#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "foundation/store.h"

using namespace wyvern;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    path = (std::filesystem::temp_directory_path() /
            ("wyvern-store-" + std::to_string(::getpid()) + "-" +
             std::to_string(reinterpret_cast<uintptr_t>(this))))
               .string();
    std::filesystem::remove_all(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

std::map<std::string, std::string> dump(Store& store, const char* table) {
  std::map<std::string, std::string> out;
  store.scan(table, [&](std::string_view k, std::string_view v) { out.emplace(k, v); });
  return out;
}

bool commit_sync(Store& store, WriteBatch batch) {
  std::promise<bool> done;
  store.commit(std::move(batch), [&](bool ok) { done.set_value(ok); });
  return done.get_future().get();
}

void contract(Store& store) {
  SECTION("puts are visible to scan in key order, per table") {
    WriteBatch b;
    b.put("t", "b", "2");
    b.put("t", "a", "1");
    b.put("other", "a", "x");
    REQUIRE(commit_sync(store, std::move(b)));
    CHECK(dump(store, "t") == std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}});
    CHECK(dump(store, "other").size() == 1);
    CHECK(dump(store, "missing").empty());
  }
  SECTION("later operations in a batch win, and erasing an absent key is fine") {
    WriteBatch b;
    b.put("t", "k", "old");
    b.put("t", "k", "new");
    b.erase("t", "never-there");
    REQUIRE(commit_sync(store, std::move(b)));
    CHECK(dump(store, "t").at("k") == "new");
    WriteBatch e;
    e.erase("t", "k");
    REQUIRE(commit_sync(store, std::move(e)));
    CHECK(dump(store, "t").empty());
  }
  SECTION("binary keys and values survive intact") {
    std::string key("a\0b", 3), value("\0\xff\x01", 3);
    WriteBatch b;
    b.put("t", key, value);
    REQUIRE(commit_sync(store, std::move(b)));
    CHECK(dump(store, "t").at(key) == value);
  }
  SECTION("concurrent commits all complete, in order per caller") {
    std::atomic<int> durable{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w)
      writers.emplace_back([&, w] {
        for (int i = 0; i < 200; ++i) {
          WriteBatch b;
          b.put("t", "w" + std::to_string(w), std::to_string(i));
          store.commit(std::move(b), [&](bool ok) { durable += ok; });
        }
      });
    for (auto& t : writers) t.join();
    REQUIRE(commit_sync(store, WriteBatch{}));  // completes after everything before it
    CHECK(durable == 800);
    auto rows = dump(store, "t");
    for (int w = 0; w < 4; ++w) CHECK(rows.at("w" + std::to_string(w)) == "199");
  }
  SECTION("clear_all empties every table, in order with the batch's other operations") {
    WriteBatch b;
    b.put("t", "a", "1");
    b.put("u", "a", "1");
    REQUIRE(commit_sync(store, std::move(b)));
    WriteBatch reset;
    reset.clear_all();
    reset.put("t", "after", "2");
    REQUIRE(commit_sync(store, std::move(reset)));
    CHECK(dump(store, "t") == std::map<std::string, std::string>{{"after", "2"}});
    CHECK(dump(store, "u").empty());
  }
}

// Runs `write` in a child process that then dies without closing anything (like kill -9),
// and waits for it. `write` answers the child's exit status: 0 when every write was
// acknowledged.
void write_then_crash(const std::function<int(Store&)>& write, const std::string& dir) {
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto store = open_lmdb_store(dir);
    _exit(store.ok() ? write(**store) : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
}

// One journal record holding one put into table "t", written here independently of the store
// (format in lmdb_store.cc): u32 payload length, u32 CRC-32 of (lsn + payload), u64 lsn,
// then the payload: u8 kind (1: put) and table, key and value as u32-length-prefixed bytes.
// Integers are big-endian.
std::string journal_record(uint64_t lsn, const std::string& key, const std::string& value) {
  auto be = [](uint64_t v, int bytes) {
    std::string out;
    for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xff);
    return out;
  };
  std::string payload = "\x01";
  for (const std::string& field : {std::string("t"), key, value})
    payload += be(field.size(), 4) + field;
  std::string crc_input = be(lsn, 8) + payload;
  uint32_t crc = 0xffffffff;  // CRC-32 (IEEE), bit by bit
  for (unsigned char c : crc_input) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320 & (0 - (crc & 1)));
  }
  return be(payload.size(), 4) + be(~crc, 4) + be(lsn, 8) + payload;
}

}  // namespace

TEST_CASE("memory store keeps the store contract", "[store]") {
  auto store = open_memory_store();
  contract(*store);
}

TEST_CASE("ephemeral store acknowledges every write and keeps none", "[store]") {
  auto store = open_ephemeral_store();
  WriteBatch b;
  b.put("t", "k", "v");
  CHECK(commit_sync(*store, std::move(b)));
  CHECK(dump(*store, "t").empty());
}

TEST_CASE("LMDB store keeps the store contract", "[store]") {
  TempDir dir;
  auto store = open_lmdb_store(dir.path);
  REQUIRE(store.ok());
  contract(**store);
  (*store)->close();
}

TEST_CASE("LMDB store acknowledges an empty batch only after the writes queued before it",
          "[store]") {
  TempDir dir;
  auto store = open_lmdb_store(dir.path);
  REQUIRE(store.ok());
  std::mutex mu;
  std::vector<std::string> order;
  std::promise<void> both;
  auto record = [&](const char* what) {
    return [&, what](bool durable) {
      CHECK(durable);
      std::lock_guard lock(mu);
      order.push_back(what);
      if (order.size() == 2) both.set_value();
    };
  };
  for (int round = 0; round < 20; ++round) {
    order.clear();
    both = std::promise<void>();
    WriteBatch write;
    write.put("t", "k" + std::to_string(round), "v");
    (*store)->commit(std::move(write), record("write"));
    (*store)->commit(WriteBatch{}, record("read"));
    both.get_future().wait();
    CHECK(order == std::vector<std::string>{"write", "read"});
  }
  (*store)->close();
}

TEST_CASE("LMDB store keeps committed data across a reopen", "[store]") {
  TempDir dir;
  {
    auto store = open_lmdb_store(dir.path);
    REQUIRE(store.ok());
    WriteBatch b;
    b.put("sqs.queues", "q", "v");
    REQUIRE(commit_sync(**store, std::move(b)));
    (*store)->close();
  }
  auto reopened = open_lmdb_store(dir.path);
  REQUIRE(reopened.ok());
  CHECK(dump(**reopened, "sqs.queues").at("q") == "v");
}

TEST_CASE("LMDB store reports a directory it cannot use", "[store]") {
  auto store = open_lmdb_store("/proc/definitely/not/writable");
  CHECK_FALSE(store.ok());
}

TEST_CASE("LMDB store replays acknowledged batches from its journal after a crash", "[store]") {
  TempDir dir;
  write_then_crash(
      [](Store& store) {
        for (int i = 0; i < 50; ++i) {
          WriteBatch b;
          b.put("t", "k" + std::to_string(i), std::to_string(i));
          if (i % 2) b.erase("t", "k" + std::to_string(i - 1));
          if (!commit_sync(store, std::move(b))) return 2;
        }
        return 0;
      },
      dir.path);
  // A torn record at the end (a write that was never acknowledged) is ignored.
  {
    std::ofstream journal(dir.path + "/journal.wal", std::ios::app | std::ios::binary);
    journal << std::string("\x00\x00\x10\x00garbage", 11);
  }
  auto store = open_lmdb_store(dir.path);
  REQUIRE(store.ok());
  auto rows = dump(**store, "t");
  CHECK(rows.size() == 25);
  CHECK(rows.at("k49") == "49");
  CHECK(rows.count("k48") == 0);
  WriteBatch more;
  more.put("t", "after", "restart");
  REQUIRE(commit_sync(**store, std::move(more)));
  CHECK(dump(**store, "t").size() == 26);
}

TEST_CASE("LMDB store replays a journal that spans both of its lanes after a crash", "[store]") {
  // Each lane holds 32 MiB before the writer moves to the other; 100 batches of 1 MiB fill
  // lane 0, lane 1, lane 0 again and part of lane 1. The child dies right after its last
  // acknowledgement, so at least the last records are only in the journal. (The hand-built
  // journals below pin down the merge order and gaps exactly.)
  TempDir dir;
  auto value_of = [](int i) { return std::string(1 << 20, static_cast<char>('a' + i % 26)); };
  write_then_crash(
      [&](Store& store) {
        for (int i = 0; i < 100; ++i) {
          WriteBatch b;
          b.put("t", "k" + std::to_string(1000 + i), value_of(i));
          if (!commit_sync(store, std::move(b))) return 2;
        }
        return 0;
      },
      dir.path);
  CHECK(std::filesystem::file_size(dir.path + "/journal.1.wal") >= (32u << 20));
  for (int round = 0; round < 2; ++round) {  // and a clean reopen after the replay
    auto store = open_lmdb_store(dir.path);
    REQUIRE(store.ok());
    auto rows = dump(**store, "t");
    REQUIRE(rows.size() == 100);
    int wrong = 0;  // counted, not compared one by one: Catch would print 1 MiB strings
    for (int i = 0; i < 100; ++i) wrong += rows.at("k" + std::to_string(1000 + i)) != value_of(i);
    CHECK(wrong == 0);
    (*store)->close();
  }
}

TEST_CASE("LMDB store replays its two journal lanes in LSN order", "[store]") {
  TempDir dir;
  std::filesystem::create_directories(dir.path);
  {
    std::ofstream lane0(dir.path + "/journal.wal", std::ios::binary);
    std::ofstream lane1(dir.path + "/journal.1.wal", std::ios::binary);
    lane1 << journal_record(1, "x", "1") << journal_record(2, "x", "2")
          << journal_record(3, "y", "3");
    // Lane 0 was entered after lane 1; past its new record lies an older one, from before.
    lane0 << journal_record(4, "x", "4") << journal_record(2, "x", "stale");
  }
  auto store = open_lmdb_store(dir.path);
  REQUIRE(store.ok());
  auto rows = dump(**store, "t");
  CHECK(rows == std::map<std::string, std::string>{{"x", "4"}, {"y", "3"}});
}

TEST_CASE("LMDB store never applies journal records stranded past a gap", "[store]") {
  // LSN 3 is missing (a damaged lane): 4 and 5 cannot be applied in order, now or later,
  // when new records follow.
  TempDir dir;
  std::filesystem::create_directories(dir.path);
  {
    std::ofstream lane0(dir.path + "/journal.wal", std::ios::binary);
    std::ofstream lane1(dir.path + "/journal.1.wal", std::ios::binary);
    lane0 << journal_record(1, "a", "1") << journal_record(2, "b", "2");
    lane1 << journal_record(4, "d", "4") << journal_record(5, "e", "5");
  }
  {
    auto store = open_lmdb_store(dir.path);
    REQUIRE(store.ok());
    CHECK(dump(**store, "t") == std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}});
  }
  write_then_crash(
      [](Store& store) {
        WriteBatch b;
        b.put("t", "c", "new");
        return commit_sync(store, std::move(b)) ? 0 : 2;
      },
      dir.path);
  auto store = open_lmdb_store(dir.path);
  REQUIRE(store.ok());
  CHECK(dump(**store, "t") ==
        std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}, {"c", "new"}});
}
