#include "message.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <set>

#include "foundation/codec.h"

namespace wyvern::queue {
namespace {

void put_field(std::string& out, std::string_view s) {
  put_u32_be(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(prefix[i])) return false;
  return true;
}

// A number as SQS accepts it: optional sign, digits with an optional fraction, optional
// exponent; at most 38 significant digits.
bool valid_number(std::string_view s) {
  size_t i = 0, digits = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  bool any = false;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits, any = true;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
      ++i, ++digits, any = true;
  }
  if (!any) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    bool exp = false;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, exp = true;
    if (!exp) return false;
  }
  return i == s.size() && digits <= 38;
}

Error invalid(std::string message) {
  return Error{ErrorCode::kInvalidParameterValue, std::move(message)};
}

// --- the store encoding: a version byte, then fields in a fixed order -----------------------
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void u64(uint64_t v) { put_u64_be(out_, v); }
  void i64(int64_t v) { put_u64_be(out_, static_cast<uint64_t>(v)); }
  void str(std::string_view s) { put_field(out_, s); }
  // Exactly 16 bytes, without a length.
  void raw16(const std::array<uint8_t, 16>& bytes) {
    out_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  void byte(uint8_t b) { out_ += static_cast<char>(b); }
  void reserve_more(size_t n) { out_.reserve(out_.size() + n); }

 private:
  std::string& out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool u64(uint64_t* v) {
    if (in_.size() < 8) return false;
    *v = get_u64_be(in_);
    in_.remove_prefix(8);
    return true;
  }
  bool i64(int64_t* v) {
    uint64_t u;
    if (!u64(&u)) return false;
    *v = static_cast<int64_t>(u);
    return true;
  }
  bool str(std::string* s) {
    std::string_view v;
    if (!view(&v)) return false;
    s->assign(v);
    return true;
  }
  // Version 2's text form of an id or digest, read through `parse`.
  template <typename T, typename Parse>
  bool text_form(T* out, Parse parse) {
    std::string_view v;
    if (!view(&v)) return false;
    auto parsed = parse(v);
    if (parsed) *out = *parsed;
    return parsed.has_value();
  }
  bool sender_id(SenderId* sender) {
    std::string_view v;
    if (!view(&v)) return false;
    *sender = SenderId(v);
    return true;
  }
  bool raw16(std::array<uint8_t, 16>* bytes) {
    if (in_.size() < bytes->size()) return false;
    std::memcpy(bytes->data(), in_.data(), bytes->size());
    in_.remove_prefix(bytes->size());
    return true;
  }
  bool byte(uint8_t* b) {
    if (in_.empty()) return false;
    *b = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }

 private:
  // A length-prefixed field, viewed in place.
  bool view(std::string_view* s) {
    if (in_.size() < 4) return false;
    uint32_t n = (uint8_t(in_[0]) << 24) | (uint8_t(in_[1]) << 16) | (uint8_t(in_[2]) << 8) |
                 uint8_t(in_[3]);
    in_.remove_prefix(4);
    if (in_.size() < n) return false;
    *s = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }

  std::string_view in_;
};

// 2: the fields most messages lack moved to the end (1 was never released).
// 3: the message id and the body's MD5 as their 16 bytes instead of text (~44 bytes less per
//    message in the journal and in LMDB, and no hex to format per send). 2 still decodes.
constexpr uint8_t kTextIdsVersion = 2;
constexpr uint8_t kEncodingVersion = 3;

}  // namespace

MessageId MessageId::random() {
  return MessageId{uuid4_bytes()};
}

std::string MessageId::text() const {
  std::string text(36, '-');
  format_uuid(bytes, text.data());
  return text;
}

std::optional<MessageId> MessageId::parse(std::string_view text) {
  auto bytes = parse_uuid(text);
  if (!bytes) return std::nullopt;
  return MessageId{*bytes};
}

SenderId::SenderId(std::string_view text) {
  if (text.empty()) return;
  // Senders repeat, so each thread remembers the last one it interned and seldom locks.
  thread_local const std::string* last = nullptr;
  if (!last || *last != text) {
    static std::mutex mu;  // guards `interned`; held only here
    // One entry per sender the process has seen: the accounts owning queues. It never shrinks,
    // so the pointers messages hold stay valid; leaked so that none dangles during exit.
    static auto* interned = new std::set<std::string, std::less<>>;
    std::lock_guard lock(mu);
    auto it = interned->find(text);
    if (it == interned->end()) it = interned->emplace(text).first;
    last = &*it;
  }
  text_ = last;
}

const std::string& SenderId::text() const {
  static const std::string kEmpty;
  return text_ ? *text_ : kEmpty;
}

Md5Digest Md5Digest::of(std::string_view data) {
  return Md5Digest{md5_bytes(data)};
}

std::string Md5Digest::hex() const {
  std::string hex(2 * bytes.size(), '0');
  format_hex(bytes.data(), bytes.size(), hex.data());
  return hex;
}

std::optional<Md5Digest> Md5Digest::parse_hex(std::string_view hex) {
  Md5Digest digest;
  if (hex.size() != 2 * digest.bytes.size() || !wyvern::parse_hex(hex, digest.bytes.data()))
    return std::nullopt;
  return digest;
}

std::string md5_of_attributes(const MessageAttributes& attributes) {
  if (attributes.empty()) return {};
  std::string buf;
  for (const auto& [name, value] : attributes) {  // std::map: already sorted by name
    put_field(buf, name);
    put_field(buf, value.data_type);
    if (value.binary_value && !value.string_value) {
      buf += char(2);
      put_field(buf, *value.binary_value);
    } else {
      buf += char(1);
      put_field(buf, value.string_value.value_or(""));
    }
  }
  return md5_hex(buf);
}

std::optional<uint32_t> first_invalid_character(std::string_view s) {
  constexpr uint32_t kBadUtf8 = 0xFFFD;
  size_t i = 0;
  while (i < s.size()) {
    // Eight printable ASCII characters (0x20-0x7F, always accepted) at a time: nearly every
    // body is all of them, and every send checks its body.
    constexpr uint64_t kOnes = 0x0101010101010101, kHighBits = 0x8080808080808080;
    uint64_t word;
    if (i + 8 <= s.size() && (std::memcpy(&word, s.data() + i, 8),
                              ((word | ((word - 0x20 * kOnes) & ~word)) & kHighBits) == 0)) {
      i += 8;
      continue;
    }
    auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    size_t len;
    if (c < 0x80) {
      cp = c, len = 1;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F, len = 2;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F, len = 3;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07, len = 4;
    } else {
      return kBadUtf8;
    }
    if (i + len > s.size()) return kBadUtf8;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return kBadUtf8;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms are not valid UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
      return kBadUtf8;
    bool ok = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
              (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
    if (!ok) return cp;
    i += len;
  }
  return std::nullopt;
}

std::optional<Error> validate_message_attributes(const MessageAttributes& attributes) {
  if (attributes.size() > 10)
    return invalid("Number of message attributes [" + std::to_string(attributes.size()) +
                   "] exceeds the allowed maximum [10].");
  for (const auto& [name, value] : attributes) {
    if (name.empty())
      return invalid("The request must contain non-empty message (user) attribute names.");
    if (name.size() > 256)
      return invalid("Message (user) attribute name must be shorter than 256 bytes.");
    bool chars_ok = std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
    if (!chars_ok || name.front() == '.' || name.back() == '.' ||
        name.find("..") != std::string::npos)
      return invalid("Message (user) attribute name '" + name +
                     "' can only contain alphanumeric characters, hyphens (-), underscores (_), "
                     "or periods (.); it can't start or end with a period or contain "
                     "consecutive periods.");
    if (starts_with_ci(name, "aws.") || starts_with_ci(name, "amazon."))
      return invalid(
          "You can't use message attribute names beginning with 'AWS.' or 'Amazon'. "
          "These strings are reserved for internal use.");
    const std::string& type = value.data_type;
    if (type.size() > 256)
      return invalid("Message (user) attribute type must be shorter than 256 bytes.");
    std::string base = type.substr(0, type.find('.'));
    if (base != "String" && base != "Number" && base != "Binary")
      return invalid("The type of message (user) attribute '" + name +
                     "' is invalid. You must "
                     "use only the following supported type prefixes: Binary, Number, String.");
    if (!value.string_value && !value.binary_value)
      return invalid("The message (user) attribute '" + name +
                     "' must contain a non-empty "
                     "message attribute value.");
    if (base == "Binary") {
      if (!value.binary_value || value.binary_value->empty())
        return invalid("Message (user) attribute '" + name +
                       "' must contain a non-empty value of type 'Binary'.");
    } else {
      if (!value.string_value || value.string_value->empty())
        return invalid("Message (user) attribute '" + name +
                       "' must contain a non-empty value of type '" + base + "'.");
      if (first_invalid_character(*value.string_value))
        return invalid("Message (user) attribute '" + name + "' contains invalid characters.");
      if (base == "Number" && !valid_number(*value.string_value))
        return invalid("Can't cast the value of message (user) attribute '" + name +
                       "' to a number.");
    }
  }
  return std::nullopt;
}

size_t message_size(const std::string& body, const MessageAttributes& attributes) {
  size_t n = body.size();
  for (const auto& [name, v] : attributes) {
    n += name.size() + v.data_type.size();
    if (v.string_value) n += v.string_value->size();
    if (v.binary_value) n += v.binary_value->size();
  }
  return n;
}

std::string encode_message(const StoredMessage& m) {
  std::string out;
  append_encoded_message(m, out);
  return out;
}

void append_encoded_message(const StoredMessage& m, std::string& out) {
  Writer w(out);
  // Fixed fields plus the usual variable ones, so that the buffer grows at most once.
  w.reserve_more(128 + 16 + m.body.size() + 16 + m.sender_id.text().size());
  w.byte(kEncodingVersion);
  w.u64(m.seq);
  w.raw16(m.message_id.bytes);
  w.str(m.body);
  w.raw16(m.md5_of_body.bytes);
  w.str(m.sender_id.text());
  w.i64(m.sent_at);
  w.i64(m.retained_from);
  w.i64(m.visible_at);
  w.i64(m.first_received_at);
  w.i64(m.last_received_at);
  w.i64(m.receive_count);
  w.u64(m.receipt);
  const MessageExtras& x = m.extras();
  w.u64(x.attributes.size());
  for (const auto& [name, v] : x.attributes) {
    w.str(name);
    w.str(v.data_type);
    w.byte((v.string_value ? 1 : 0) | (v.binary_value ? 2 : 0));
    if (v.string_value) w.str(*v.string_value);
    if (v.binary_value) w.str(*v.binary_value);
  }
  w.byte(x.trace_header ? 1 : 0);
  if (x.trace_header) w.str(*x.trace_header);
  w.str(x.group_id);
  w.str(x.deduplication_id);
  w.str(x.dead_letter_source);
}

std::optional<StoredMessage> decode_message(std::string_view bytes) {
  Reader r(bytes);
  StoredMessage m;
  uint8_t version;
  int64_t count;
  uint64_t receipt;
  if (!r.byte(&version) || (version != kEncodingVersion && version != kTextIdsVersion))
    return std::nullopt;
  bool text_ids = version == kTextIdsVersion;
  if (!r.u64(&m.seq) ||
      !(text_ids ? r.text_form(&m.message_id, MessageId::parse) : r.raw16(&m.message_id.bytes)) ||
      !r.str(&m.body) ||
      !(text_ids ? r.text_form(&m.md5_of_body, Md5Digest::parse_hex)
                 : r.raw16(&m.md5_of_body.bytes)) ||
      !r.sender_id(&m.sender_id) || !r.i64(&m.sent_at) || !r.i64(&m.retained_from) ||
      !r.i64(&m.visible_at) || !r.i64(&m.first_received_at) || !r.i64(&m.last_received_at) ||
      !r.i64(&count) || !r.u64(&receipt))
    return std::nullopt;
  m.receive_count = static_cast<int>(count);
  m.receipt = static_cast<uint32_t>(receipt);
  MessageExtras x;
  uint64_t n;
  if (!r.u64(&n)) return std::nullopt;
  for (uint64_t i = 0; i < n; ++i) {
    std::string name;
    MessageAttributeValue v;
    uint8_t flags;
    if (!r.str(&name) || !r.str(&v.data_type) || !r.byte(&flags)) return std::nullopt;
    if (flags & 1) {
      std::string s;
      if (!r.str(&s)) return std::nullopt;
      v.string_value = std::move(s);
    }
    if (flags & 2) {
      std::string s;
      if (!r.str(&s)) return std::nullopt;
      v.binary_value = std::move(s);
    }
    x.attributes.emplace(std::move(name), std::move(v));
  }
  uint8_t has_trace;
  if (!r.byte(&has_trace)) return std::nullopt;
  if (has_trace) {
    std::string t;
    if (!r.str(&t)) return std::nullopt;
    x.trace_header = std::move(t);
  }
  if (!r.str(&x.group_id) || !r.str(&x.deduplication_id) || !r.str(&x.dead_letter_source))
    return std::nullopt;
  if (!x.attributes.empty() || x.trace_header || !x.group_id.empty() ||
      !x.deduplication_id.empty() || !x.dead_letter_source.empty())
    m.mutable_extras() = std::move(x);
  return m;
}

}  // namespace wyvern::queue
