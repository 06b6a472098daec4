// Regular expressions (private): JSONata's /pattern/flags are JavaScript regexes; PCRE2 runs them
// with the options that bring it closest to JavaScript (UTF-8, \uXXXX escapes, `$` only at the
// very end, `[^]` as any character). A compiled Regex is immutable and shared across threads;
// each search uses its own match data. Backtracking is bounded so that a pathological pattern
// fails (U1002) instead of hanging.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wyvern::jsonata::detail {

struct Regex {
  struct Match {
    std::size_t start = 0, end = 0;                  // byte offsets
    std::vector<std::optional<std::string>> groups;  // capture groups 1..n (nullopt: unmatched)
  };

  std::string source;
  std::string flags;

  // nullptr and a message when PCRE2 refuses the pattern.
  static std::shared_ptr<const Regex> compile(std::string_view pattern, std::string_view flags,
                                              std::string* error);
  // The first match starting at or after byte offset `from`. Throws Failure(U1002) when the
  // backtracking limit is reached.
  bool find(std::string_view subject, std::size_t from, Match* out) const;

  ~Regex();
  Regex() = default;
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

 private:
  void* code_ = nullptr;  // pcre2_code_8
};

}  // namespace wyvern::jsonata::detail
