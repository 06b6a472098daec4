// The message index's three orders, whatever order messages arrive and move in.
#include <catch2/catch.hpp>
#include <vector>

#include "queue/message_index.h"

using namespace wyvern;
using namespace wyvern::queue;

namespace {

StoredMessage message(uint64_t seq, TimeMs visible_at, TimeMs retained_from) {
  StoredMessage m;
  m.seq = seq;
  m.body = "body " + std::to_string(seq);
  m.visible_at = visible_at;
  m.retained_from = retained_from;
  return m;
}

std::vector<uint64_t> arrival(const MessageIndex& index) {
  std::vector<uint64_t> seqs;
  for (const auto& m : index.by_arrival()) seqs.push_back(m.seq);
  return seqs;
}

std::vector<uint64_t> visibility(const MessageIndex& index) {
  std::vector<uint64_t> seqs;
  for (const auto& m : index.by_visible_at()) seqs.push_back(m.seq);
  return seqs;
}

}  // namespace

TEST_CASE("message index keeps every order when messages arrive out of order") {
  MessageIndex index;
  // Recovery and redrive insert in any order; the common case appends.
  index.insert(message(5, 500, 50));
  index.insert(message(7, 100, 70));
  index.insert(message(2, 300, 90));
  index.insert(message(9, 300, 10));
  index.insert(message(1, 900, 60));
  CHECK(arrival(index) == std::vector<uint64_t>{1, 2, 5, 7, 9});
  CHECK(visibility(index) == std::vector<uint64_t>{7, 2, 9, 5, 1});  // ties by seq
  REQUIRE(index.oldest_retained() != nullptr);
  CHECK(index.oldest_retained()->seq == 9);
  CHECK(index.size() == 5);
}

TEST_CASE("message index keeps the first of two messages with one seq") {
  MessageIndex index;
  index.insert(message(3, 10, 10));
  StoredMessage& held = index.insert(message(3, 99, 99));
  CHECK(held.visible_at == 10);
  CHECK(held.body == "body 3");
  CHECK(index.size() == 1);
  CHECK(visibility(index) == std::vector<uint64_t>{3});
  // A duplicate of a message that is not the newest is refused as well.
  index.insert(message(4, 20, 20));
  CHECK(index.insert(message(3, 0, 0)).visible_at == 10);
  CHECK(index.size() == 2);
}

TEST_CASE("message index moves a message in visibility order and erases it from all three") {
  MessageIndex index;
  for (uint64_t seq = 1; seq <= 4; ++seq) index.insert(message(seq, 100, seq));
  index.set_visible_at(*index.find(1), 400);  // received: later than everything
  index.set_visible_at(*index.find(3), 50);   // visibility cut short: earlier than everything
  CHECK(visibility(index) == std::vector<uint64_t>{3, 2, 4, 1});
  index.set_visible_at(*index.find(4), 400);  // ties with 1; seq breaks it
  CHECK(visibility(index) == std::vector<uint64_t>{3, 2, 1, 4});

  index.erase(*index.find(1));
  CHECK(index.find(1) == nullptr);
  CHECK(arrival(index) == std::vector<uint64_t>{2, 3, 4});
  CHECK(visibility(index) == std::vector<uint64_t>{3, 2, 4});
  CHECK(index.oldest_retained()->seq == 2);
  index.clear();
  CHECK(index.empty());
  CHECK(index.oldest_retained() == nullptr);
}
