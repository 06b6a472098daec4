// The JSON protocol's hot path: SendMessage and SendMessageBatch in their plain shape.
//
// A send is the request a broker sees most, and building a JSON document for it (a std::map
// per object, a string per member, a deep copy per batch entry) and another for its answer
// cost more than everything else the send does. Here the request is read in one pass straight
// into the engine's SendMessageRequest, and the answer written straight out.
//
// The reader only accepts what it can decide exactly as the general path (sqs_api.cc over
// nlohmann::json) would: the members below as strings or integer literals, each at most once,
// strict UTF-8, the simple escapes and \u escapes outside the surrogates. Anything else (message
// attributes, an unknown or null member, a float, a surrogate pair, malformed JSON) makes
// parse_fast() return nullopt and the request takes the general path, which gives the same
// answer it always gave. So the two can only differ in speed.
#include <nlohmann/json.hpp>

#include "foundation/text.h"
#include "sqs_api.h"

namespace wyvern::server::sqs {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool eat(char c) {
    ws();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  bool at_end() {
    ws();
    return p_ == end_;
  }

  // A string literal, unescaped into `out`.
  bool string(std::string& out) {
    if (!eat('"')) return false;
    out.clear();
    for (;;) {
      const char* run = p_;
      while (p_ < end_) {
        auto c = static_cast<unsigned char>(*p_);
        if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
        ++p_;
      }
      out.append(run, p_);
      if (p_ == end_) return false;
      auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return false;  // raw control characters are not JSON
      if (c >= 0x80) {
        size_t n = utf8_length(p_, end_);
        if (n == 0) return false;
        out.append(p_, n);
        p_ += n;
        continue;
      }
      // A backslash escape.
      if (end_ - p_ < 2) return false;
      char e = p_[1];
      p_ += 2;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (end_ - p_ < 4) return false;
          uint32_t cp = 0;
          for (int i = 0; i < 4; ++i) {
            int d = text::hex_digit_value(p_[i]);
            if (d < 0) return false;
            cp = cp * 16 + static_cast<uint32_t>(d);
          }
          p_ += 4;
          if (cp >= 0xD800 && cp <= 0xDFFF) return false;  // pairs: the general path's
          text::append_utf8(out, cp);
          break;
        }
        default:
          return false;
      }
    }
  }

  // An integer literal that fits an int comfortably (at most 9 digits), nothing else.
  bool integer(int& out) {
    ws();
    const char* p = p_;
    bool negative = p < end_ && *p == '-';
    if (negative) ++p;
    const char* digits = p;
    while (p < end_ && *p >= '0' && *p <= '9') ++p;
    size_t n = static_cast<size_t>(p - digits);
    if (n == 0 || n > 9 || (n > 1 && *digits == '0')) return false;
    if (p < end_ && (*p == '.' || *p == 'e' || *p == 'E')) return false;
    int v = 0;
    for (const char* d = digits; d < p; ++d) v = v * 10 + (*d - '0');
    out = negative ? -v : v;
    p_ = p;
    return true;
  }

 private:
  // Length of the well-formed UTF-8 sequence at p (RFC 3629, as nlohmann's lexer checks), or 0.
  static size_t utf8_length(const char* p, const char* end) {
    auto b = [&](size_t i) { return static_cast<unsigned char>(p[i]); };
    auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
      return p + i < end && b(i) >= lo && b(i) <= hi;
    };
    unsigned char c = b(0);
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
    if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
    if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
    if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
    if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
    if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
    return 0;
  }

  const char* p_;
  const char* end_;
};

// The members one message may carry, as bits: each may appear once.
enum : unsigned {
  kBody = 1,
  kDelay = 2,
  kGroup = 4,
  kDedup = 8,
  kId = 16,
  kQueueUrl = 32,
  kEntries = 64,
};

// Reads one member of a message (a SendMessage request's or a batch entry's) whose key is
// `key`. False: not one the fast path takes.
bool message_member(Reader& in, const std::string& key, queue::SendMessageRequest& m,
                    unsigned& seen) {
  auto once = [&](unsigned bit) {
    if (seen & bit) return false;
    seen |= bit;
    return true;
  };
  if (key == "MessageBody") return once(kBody) && in.string(m.body);
  if (key == "DelaySeconds") {
    int v;
    if (!once(kDelay) || !in.integer(v)) return false;
    m.delay_seconds = v;
    return true;
  }
  if (key == "MessageGroupId") return once(kGroup) && in.string(m.group_id.emplace());
  if (key == "MessageDeduplicationId")
    return once(kDedup) && in.string(m.deduplication_id.emplace());
  return false;
}

bool entry(Reader& in, queue::BatchEntry<queue::SendMessageRequest>& e, std::string& key) {
  if (!in.eat('{')) return false;
  if (in.eat('}')) return true;
  unsigned seen = 0;
  do {
    if (!in.string(key) || !in.eat(':')) return false;
    if (key == "Id") {
      if (seen & kId) return false;
      seen |= kId;
      if (!in.string(e.id)) return false;
    } else if (!message_member(in, key, e.request, seen)) {
      return false;
    }
  } while (in.eat(','));
  return in.eat('}');
}

// JSON string literal of `s`, exactly as nlohmann's dump() (with error_handler replace) writes it.
void append_string(std::string& out, std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) {
      out += nlohmann::json(std::string(s)).dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace);
      return;
    }
  text::append_json_string(out, s);
}

void append_member(std::string& out, const char* name, std::string_view value) {
  out += '"';
  out += name;
  out += "\":";
  append_string(out, value);
}

// The members of a send's result, in the order nlohmann's sorted objects write them.
void append_result(std::string& out, const queue::SendMessageResult& r) {
  if (r.md5_of_attributes) {
    append_member(out, "MD5OfMessageAttributes", *r.md5_of_attributes);
    out += ',';
  }
  append_member(out, "MD5OfMessageBody", r.md5_of_body);
  if (r.md5_of_system_attributes) {
    out += ',';
    append_member(out, "MD5OfMessageSystemAttributes", *r.md5_of_system_attributes);
  }
  out += ',';
  append_member(out, "MessageId", r.message_id);
  if (r.sequence_number) {
    out += ',';
    append_member(out, "SequenceNumber", *r.sequence_number);
  }
}

}  // namespace

std::optional<FastCall> parse_fast(std::string_view action, std::string_view body) {
  bool batch = action == "SendMessageBatch";
  if (!batch && action != "SendMessage") return std::nullopt;
  FastCall call;
  call.batch = batch;
  Reader in(body);
  std::string key;
  unsigned seen = 0;
  if (!in.eat('{')) return std::nullopt;
  if (!in.eat('}')) {
    do {
      if (!in.string(key) || !in.eat(':')) return std::nullopt;
      if (key == "QueueUrl") {
        if ((seen & kQueueUrl) || !in.string(call.queue_url)) return std::nullopt;
        seen |= kQueueUrl;
      } else if (batch && key == "Entries") {
        if ((seen & kEntries) || !in.eat('[')) return std::nullopt;
        seen |= kEntries;
        call.entries.reserve(10);  // SQS's most; growing moves every entry so far each time
        if (!in.eat(']')) {
          do {
            if (!entry(in, call.entries.emplace_back(), key)) return std::nullopt;
          } while (in.eat(','));
          if (!in.eat(']')) return std::nullopt;
        }
      } else if (batch || !message_member(in, key, call.single, seen)) {
        return std::nullopt;
      }
    } while (in.eat(','));
    if (!in.eat('}')) return std::nullopt;
  }
  if (!in.at_end()) return std::nullopt;
  // Missing members are answered by the general path, with its wording.
  if (!(seen & kQueueUrl) || (batch && !(seen & kEntries)) || (!batch && !(seen & kBody)))
    return std::nullopt;
  return call;
}

std::string send_result_body(const queue::SendMessageResult& r) {
  std::string out;
  out.reserve(160);
  out += '{';
  append_result(out, r);
  out += '}';
  return out;
}

std::string batch_result_body(const queue::BatchResult<queue::SendMessageResult>& r) {
  std::string out;
  out.reserve(32 + 160 * r.successful.size() + 200 * r.failed.size());
  out += '{';
  if (!r.failed.empty()) {
    out += "\"Failed\":[";
    for (size_t i = 0; i < r.failed.size(); ++i) {
      const auto& f = r.failed[i];
      if (i) out += ',';
      out += '{';
      append_member(out, "Code", f.code);
      out += ',';
      append_member(out, "Id", f.id);
      out += ',';
      append_member(out, "Message", f.message);
      out += f.sender_fault ? ",\"SenderFault\":true}" : ",\"SenderFault\":false}";
    }
    out += ']';
  }
  if (!r.successful.empty()) {
    if (!r.failed.empty()) out += ',';
    out += "\"Successful\":[";
    for (size_t i = 0; i < r.successful.size(); ++i) {
      const auto& [id, value] = r.successful[i];
      if (i) out += ',';
      out += '{';
      append_member(out, "Id", id);
      out += ',';
      append_result(out, value);
      out += '}';
    }
    out += ']';
  }
  out += '}';
  return out;
}

void run_fast(queue::QueueService& sqs, const queue::Caller& caller, FastCall call,
              FastDone done) {
  if (!call.batch)
    return sqs.send_message(caller, call.queue_url, std::move(call.single),
                            [done = std::move(done)](Result<queue::SendMessageResult> r) {
                              if (!r.ok()) return done(r.error());
                              done(send_result_body(r.value()));
                            });
  sqs.send_message_batch(
      caller, call.queue_url, std::move(call.entries),
      [done = std::move(done)](Result<queue::BatchResult<queue::SendMessageResult>> r) {
        if (!r.ok()) return done(r.error());
        done(batch_result_body(r.value()));
      });
}

}  // namespace wyvern::server::sqs
