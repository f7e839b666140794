//===- Passes.h - attn transform passes -------------------------*- C++ -*-===//

#ifndef ATTNDIALECT_TRANSFORMS_PASSES_H
#define ATTNDIALECT_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/DLTI/DLTI.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MPI/IR/MPI.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;

namespace attn {

#define GEN_PASS_DECL
#include "AttnDialect/Transforms/Passes.h.inc"

/// Adds the pattern that merges a max reduction and its sum of shifted
/// exponentials into one online-softmax reduction (rows of at least
/// `minRowLength` elements; dynamic rows too, unless `shortDynamicRows`).
void populateFuseOnlineSoftmaxPatterns(RewritePatternSet &patterns,
                                       int64_t minRowLength = 0,
                                       bool shortDynamicRows = false);

#define GEN_PASS_REGISTRATION
#include "AttnDialect/Transforms/Passes.h.inc"

} // namespace attn
} // namespace mlir

#endif // ATTNDIALECT_TRANSFORMS_PASSES_H
