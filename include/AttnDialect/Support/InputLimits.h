//===- InputLimits.h - inputs that crash MLIR 22's parser -------*- C++ -*-===//
//
// MLIR 22's parser crashes on two kinds of input that a user can write:
// brackets nested deeply enough to overflow its recursive descent's stack
// (about 14 KB of `[` on an 8 MiB stack), and a `dimensions` / `permutation`
// list of linalg.broadcast, linalg.transpose or linalg.reduce that is not a
// list of integers (their parsers use a null attribute after the error).
// attn's entry points (attn-opt, attn.compile, attn-fuzz) check the text for
// both before parsing it and reject it with a diagnostic at its location.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_SUPPORT_INPUTLIMITS_H
#define ATTN_SUPPORT_INPUTLIMITS_H

#include "llvm/ADT/StringRef.h"

#include <cstddef>
#include <optional>
#include <string>

namespace mlir::attn {

/// Brackets (`(`, `[`, `{`, `<`) nested deeper than this are refused; real
/// programs nest a few dozen levels.
constexpr unsigned kMaxBracketNesting = 256;

/// Why `text` would crash MLIR 22's parser: the offset of the offending
/// character and a message; none if it would not.
struct InputProblem {
  size_t offset;
  std::string message;
};
std::optional<InputProblem> findParserCrashHazard(llvm::StringRef text);

} // namespace mlir::attn

#endif // ATTN_SUPPORT_INPUTLIMITS_H
