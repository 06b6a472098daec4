// Messages as the engine keeps them, their AWS digests and validation, and their encoding in
// the store (see broker/foundation/store_layout.md for the key layout).
#pragma once

#include <array>
#include <boost/smart_ptr/intrusive_ptr.hpp>
#include <boost/smart_ptr/intrusive_ref_counter.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "queue.h"

namespace wyvern::queue {

// A message's id: the 16 bytes of the version-4 UUID that clients know it by. A queue may hold
// millions of messages, and as text the id would cost each one a heap allocation.
struct MessageId {
  std::array<uint8_t, 16> bytes{};

  static MessageId random();
  std::string text() const;
  // The id whose text() is exactly `text` (lowercase), or nullopt.
  static std::optional<MessageId> parse(std::string_view text);
  bool operator==(const MessageId&) const = default;
};

// An MD5 digest kept as its 16 bytes for the same reason; responses carry it as lowercase hex.
struct Md5Digest {
  std::array<uint8_t, 16> bytes{};

  static Md5Digest of(std::string_view data);
  std::string hex() const;
  // The digest whose hex() is exactly `hex`, or nullopt.
  static std::optional<Md5Digest> parse_hex(std::string_view hex);
  bool operator==(const Md5Digest&) const = default;
};

// Who sent a message: an account id, the same one for nearly every message, so messages share
// one interned copy of each text instead of a std::string apiece (8 bytes, not 32).
class SenderId {
 public:
  SenderId() = default;
  explicit SenderId(std::string_view text);
  const std::string& text() const;

 private:
  const std::string* text_ = nullptr;  // interned, never freed; null for the empty text
};

// The fields most messages do not carry, kept out of line so that a plain message stays small
// (a queue may hold millions). Shared between copies; copy-on-write through mutable_extras().
// Counted intrusively so that a message holds one pointer, not shared_ptr's two.
struct MessageExtras : boost::intrusive_ref_counter<MessageExtras> {
  MessageAttributes attributes;
  std::optional<std::string> trace_header;  // the AWSTraceHeader system attribute
  std::string group_id;                     // FIFO only
  std::string deduplication_id;             // FIFO only
  std::string dead_letter_source;           // ARN of the queue it was redriven from, if any
};

struct StoredMessage {
  uint64_t seq = 0;  // order of arrival; unique for the process lifetime and across restarts
  MessageId message_id;
  std::string body;
  Md5Digest md5_of_body;
  SenderId sender_id;
  TimeMs sent_at = 0;
  TimeMs retained_from = 0;  // retention counts from here (the original enqueue time)
  TimeMs visible_at = 0;     // not deliverable before this time (delay or visibility timeout)
  TimeMs first_received_at = 0;
  TimeMs last_received_at = 0;  // the visibility-timeout ceiling (12 h) counts from here
  int receive_count = 0;
  // Bumped on every receive, with receive_count (and reset with it): stale receipt handles
  // are recognised. 32 bits, packed beside receive_count, wrap no sooner than that overflows.
  uint32_t receipt = 0;

  const MessageExtras& extras() const {
    static const MessageExtras kNone;
    return extras_ ? *extras_ : kNone;
  }
  MessageExtras& mutable_extras() {
    if (!extras_)
      extras_ = new MessageExtras();
    else if (extras_->use_count() > 1)
      extras_ = new MessageExtras(*extras_);  // the copy's count starts at zero
    return *extras_;
  }

  enum class State { kVisible, kInFlight, kDelayed };
  State state(TimeMs now) const {
    if (visible_at <= now) return State::kVisible;
    return receive_count > 0 ? State::kInFlight : State::kDelayed;
  }

 private:
  boost::intrusive_ptr<MessageExtras> extras_;
};

// MD5 over the attributes exactly as SQS computes MD5OfMessageAttributes: names sorted, and for
// each one its name, data type, a transport byte (1 string/number, 2 binary) and its value,
// every variable field preceded by its 4-byte big-endian length. Empty map: empty string.
std::string md5_of_attributes(const MessageAttributes& attributes);

// The first character of `text` that SQS does not accept (anything outside #x9 #xA #xD
// #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF; invalid UTF-8 reports as #xFFFD), or nullopt.
std::optional<uint32_t> first_invalid_character(std::string_view text);

// Validates user message attributes; nullopt when they are acceptable.
std::optional<Error> validate_message_attributes(const MessageAttributes& attributes);

// Bytes the message counts against MaximumMessageSize: body plus attribute names, types, values.
size_t message_size(const std::string& body, const MessageAttributes& attributes);

std::string encode_message(const StoredMessage& m);
// The same bytes, appended to `out`.
void append_encoded_message(const StoredMessage& m, std::string& out);
std::optional<StoredMessage> decode_message(std::string_view bytes);

}  // namespace wyvern::queue
