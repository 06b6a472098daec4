// JSONPath as AWS services use it (Jayway's dialect): Step Functions paths and EventBridge's
// InputPath and InputTransformer. Lives in the foundation because several services need it.
//
//   $                 the document          $.a.b, $['a'], $.a[0], $.a[-1]   fields, indices
//   $.a[*], $.*       wildcards             $.a[1:3], $.a[::2]               slices
//   $.a[0,2]          unions                $..name                          deep scan
//   $.a[?(@.n > 1)]   filters (==, !=, <, <=, >, >=, existence, &&, ||)
//
// A *definite* path (only fields and indices) names at most one value; any other path yields
// the list of everything it matches. A *reference path* (Step Functions' ResultPath) must be
// definite and can also be written to.
//
// Thread-safety: Paths are immutable values; all functions are pure.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wyvern::jsonpath {

using json = nlohmann::json;

struct Segment;

struct Path {
  std::string text;
  std::vector<Segment> segments;
  bool definite = true;
};

struct Filter;

struct Segment {
  enum class Kind { kField, kIndex, kWildcard, kSlice, kUnion, kDeepField, kDeepWildcard, kFilter };
  Kind kind;
  std::string name;                      // kField, kDeepField
  long index = 0;                        // kIndex
  std::optional<long> start, end, step;  // kSlice
  std::vector<json> members;             // kUnion: strings (fields) or integers (indices)
  std::shared_ptr<const Filter> filter;  // kFilter
};

// Parses `text`, which must start with `root` ("$" normally, "$$" for Step Functions' context
// object). nullopt when it is not a valid path.
std::optional<Path> parse(std::string_view text, std::string_view root = "$");

// What `path` selects in `doc`: for a definite path the value, or nullopt when it is missing;
// for any other path an array of every match (possibly empty).
std::optional<json> query(const Path& path, const json& doc);

// Writes `value` at reference path `path` inside `doc`, creating objects for missing fields.
// nullopt when the path is not definite, or crosses a value that is not an object (or an
// array, for an index that exists).
std::optional<json> set(const Path& path, json doc, json value);

}  // namespace wyvern::jsonpath
