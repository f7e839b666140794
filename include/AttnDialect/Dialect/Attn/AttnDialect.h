//===- AttnDialect.h - attn dialect -----------------------------*- C++ -*-===//

#ifndef ATTNDIALECT_DIALECT_ATTN_ATTNDIALECT_H
#define ATTNDIALECT_DIALECT_ATTN_ATTNDIALECT_H

#include "mlir/IR/Dialect.h"

#include "AttnDialect/Dialect/Attn/AttnOpsDialect.h.inc"

namespace mlir::attn {
/// Discardable unit attribute on a `math.exp2` whose operand is never
/// positive (it may be -inf or NaN): --attn-approximate-math then skips the
/// overflow handling. Set by the lowerings that know it (a softmax's
/// `s - max`); dropping it only costs speed.
constexpr llvm::StringLiteral kNonPositiveAttrName = "attn.nonpositive";
/// Discardable unit attribute on a `math.log` whose operand
/// --attn-approximate-math has scaled out of the denormal range.
constexpr llvm::StringLiteral kDenormalScaledAttrName = "attn.denormal_scaled";
/// Discardable unit attribute on an online-softmax `linalg.generic` (built
/// by --attn-fuse-online-softmax) whose shift is the safe `m == -inf ? 0 :
/// m`.
} // namespace mlir::attn

#endif // ATTNDIALECT_DIALECT_ATTN_ATTNDIALECT_H
