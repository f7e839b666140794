//===- Passes.h - attn conversion passes ------------------------*- C++ -*-===//

#ifndef ATTNDIALECT_CONVERSION_PASSES_H
#define ATTNDIALECT_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;

namespace attn {

#define GEN_PASS_DECL
#include "AttnDialect/Conversion/Passes.h.inc"

/// Adds the patterns that decompose attn ops into linalg named ops.
void populateAttnToLinalgPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "AttnDialect/Conversion/Passes.h.inc"

} // namespace attn
} // namespace mlir

#endif // ATTNDIALECT_CONVERSION_PASSES_H
