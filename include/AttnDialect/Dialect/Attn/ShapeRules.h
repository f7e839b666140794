//===- ShapeRules.h - the size rules between an attn op's operands -*- C++
//-*-===//
//
// One description of each op's size rules ("dimension i of this operand is
// dimension j of that one"), read by the verifier where both sizes are
// static and by the op's runtime verification (RuntimeVerifiableOpInterface,
// `--generate-runtime-verification`) where one is dynamic.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNDIALECT_DIALECT_ATTN_SHAPERULES_H
#define ATTNDIALECT_DIALECT_ATTN_SHAPERULES_H

#include "mlir/IR/Operation.h"

namespace mlir::attn {

/// Dimension `lhsDim` of `lhs` equals dimension `rhsDim` of `rhs`.
struct SizeRule {
  Value lhs;
  int64_t lhsDim;
  StringRef lhsName;
  /// Null: lhs's dimension must be the constant `rhsDim` (`rhsName` says
  /// why); the op's verifier checks it statically, the rule at run time.
  Value rhs;
  int64_t rhsDim;
  StringRef rhsName;
  /// An attention mask dimension that is not a static 1 (which would
  /// broadcast): it is read whole, as the scores' dimension `scoresDim`.
  int64_t scoresDim = -1;
};

/// The size rules of `op`, an attn op whose operand ranks are valid (a mask
/// of too high a rank has none).
SmallVector<SizeRule> sizeRules(Operation *op);

/// Checks the rules selected by `select` whose sizes are both static, with
/// one diagnostic for the first broken one.
LogicalResult verifySizeRules(Operation *op,
                              function_ref<bool(const SizeRule &)> select);

} // namespace mlir::attn

#endif // ATTNDIALECT_DIALECT_ATTN_SHAPERULES_H
