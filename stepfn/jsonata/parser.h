// Parsing (private): text -> the evaluator's tree (see ast.h for the two passes).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "stepfn/jsonata/ast.h"

namespace wyvern::jsonata::detail {

// Deepest nesting the parser accepts, in tree levels. Deeper input is a syntax error (S0220)
// rather than a stack overflow, in the parser, the evaluator, or the tree's destructor.
constexpr int kMaxTreeDepth = 400;

struct ParsedTree {
  NodePtr root;
  std::vector<std::unique_ptr<Slot>> slots;  // the `%` slots the tree points at
};

// Throws Failure (S0xxx) on a syntax error.
ParsedTree parse(std::string_view text);

}  // namespace wyvern::jsonata::detail
