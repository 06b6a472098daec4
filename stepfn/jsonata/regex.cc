// PCRE2 behind the Regex type. The options are chosen for JavaScript compatibility:
//   PCRE2_UTF + PCRE2_MATCH_INVALID_UTF  strings are UTF-8 (and never crash on bad bytes)
//   PCRE2_ALT_BSUX + EXTRA_ALT_BSUX       \uXXXX and \u{X} as JavaScript writes them
//   PCRE2_DOLLAR_ENDONLY                  `$` without the m flag matches only at the very end
//   PCRE2_ALLOW_EMPTY_CLASS               `[^]` matches any character, `[]` nothing
// Match and depth limits turn catastrophic backtracking into an error.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "stepfn/jsonata/regex.h"

#include <pcre2.h>

#include "stepfn/jsonata/errors.h"

namespace wyvern::jsonata::detail {

namespace {
constexpr std::uint32_t kMatchLimit = 5'000'000;
constexpr std::uint32_t kDepthLimit = 20'000;

struct MatchContext {
  pcre2_match_context* ctx;
  MatchContext() {
    ctx = pcre2_match_context_create(nullptr);
    pcre2_set_match_limit(ctx, kMatchLimit);
    pcre2_set_depth_limit(ctx, kDepthLimit);
  }
  ~MatchContext() { pcre2_match_context_free(ctx); }
};

pcre2_match_context* match_context() {
  // Read-only once set up; one per thread keeps it free of any sharing question.
  thread_local MatchContext context;
  return context.ctx;
}
}  // namespace

std::shared_ptr<const Regex> Regex::compile(std::string_view pattern, std::string_view flags,
                                            std::string* error) {
  std::uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_ALT_BSUX |
                          PCRE2_DOLLAR_ENDONLY | PCRE2_ALLOW_EMPTY_CLASS | PCRE2_NEVER_BACKSLASH_C;
  for (char f : flags) {
    if (f == 'i') options |= PCRE2_CASELESS;
    if (f == 'm') options |= PCRE2_MULTILINE;
  }
  pcre2_compile_context* cctx = pcre2_compile_context_create(nullptr);
  pcre2_set_compile_extra_options(cctx, PCRE2_EXTRA_ALT_BSUX);
  int errcode = 0;
  PCRE2_SIZE erroffset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   options, &errcode, &erroffset, cctx);
  pcre2_compile_context_free(cctx);
  if (!code) {
    PCRE2_UCHAR buffer[256];
    pcre2_get_error_message(errcode, buffer, sizeof buffer);
    *error = reinterpret_cast<char*>(buffer);
    return nullptr;
  }
  auto re = std::make_shared<Regex>();
  re->source = std::string(pattern);
  re->flags = std::string(flags);
  re->code_ = code;
  return re;
}

Regex::~Regex() {
  if (code_) pcre2_code_free(static_cast<pcre2_code*>(code_));
}

bool Regex::find(std::string_view subject, std::size_t from, Match* out) const {
  auto* code = static_cast<pcre2_code*>(code_);
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code, nullptr);
  int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), from, 0,
                       md, match_context());
  if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT) {
    pcre2_match_data_free(md);
    throw failure("U1002");
  }
  if (rc < 0) {
    pcre2_match_data_free(md);
    return false;
  }
  PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
  std::uint32_t pairs = pcre2_get_ovector_count(md);
  std::uint32_t captures = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &captures);
  out->start = ov[0];
  out->end = ov[1];
  out->groups.clear();
  for (std::uint32_t i = 1; i <= captures; ++i) {
    if (i < pairs && ov[2 * i] != PCRE2_UNSET) {
      out->groups.emplace_back(std::string(subject.substr(ov[2 * i], ov[2 * i + 1] - ov[2 * i])));
    } else {
      out->groups.emplace_back(std::nullopt);
    }
  }
  pcre2_match_data_free(md);
  return true;
}

}  // namespace wyvern::jsonata::detail
