//===- InputLimits.cpp - inputs that crash MLIR 22's parser ---------------===//

#include "AttnDialect/Support/InputLimits.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Regex.h"

using namespace mlir;

/// The first bracket nested deeper than kMaxBracketNesting, outside string
/// literals and comments. `>` of `->`, `>=` and `<=` are not brackets; the
/// depth never goes below 0, so that stray closers cannot hide an opener.
static std::optional<size_t> tooDeep(llvm::StringRef text) {
  unsigned depth = 0;
  for (size_t i = 0, e = text.size(); i < e; ++i) {
    char c = text[i];
    char next = i + 1 < e ? text[i + 1] : '\0';
    if (c == '"') {
      for (++i; i < e && text[i] != '"'; ++i)
        if (text[i] == '\\')
          ++i;
      continue;
    }
    if (c == '/' && next == '/') {
      while (i < e && text[i] != '\n')
        ++i;
      continue;
    }
    bool opens = c == '(' || c == '[' || c == '{' || (c == '<' && next != '=');
    bool closes = c == ')' || c == ']' || c == '}' ||
                  (c == '>' && next != '=' && (i == 0 || text[i - 1] != '-'));
    if (opens && ++depth > attn::kMaxBracketNesting)
      return i;
    if (closes && depth > 0)
      --depth;
  }
  return std::nullopt;
}

/// The first `dimensions =` / `permutation =` not followed by a list of
/// integers (`[0, 1]`, or `array<i64: 0, 1>` in generic form).
static std::optional<size_t> badLinalgList(llvm::StringRef text) {
  static const llvm::Regex key("(dimensions|permutation)[[:space:]]*=");
  static const llvm::Regex list(
      "^[[:space:]]*(\\[|array<i64:)[[:space:]]*(-?[0-9]{1,18}[[:space:]]*"
      "(,[[:space:]]*-?[0-9]{1,18}[[:space:]]*)*)?(\\]|>)");
  llvm::SmallVector<llvm::StringRef, 2> match;
  llvm::StringRef rest = text;
  while (key.match(rest, &match)) {
    size_t at = match[0].data() - text.data();
    rest = rest.drop_front(match[0].data() + match[0].size() - rest.data());
    if (!list.match(rest))
      return at;
  }
  return std::nullopt;
}

std::optional<attn::InputProblem>
attn::findParserCrashHazard(llvm::StringRef text) {
  if (std::optional<size_t> at = tooDeep(text))
    return InputProblem{*at, "brackets nested more than " +
                                 std::to_string(kMaxBracketNesting) +
                                 " deep (MLIR's parser would overflow its "
                                 "stack)"};
  if (std::optional<size_t> at = badLinalgList(text))
    return InputProblem{*at, "a `dimensions` or `permutation` list must be "
                             "integers in brackets (LLVM 22's linalg parsers "
                             "crash on anything else)"};
  return std::nullopt;
}
