//===- Passes.h - attn conversion passes ------------------------*- C++ -*-===//

#ifndef ATTNDIALECT_CONVERSION_PASSES_H
#define ATTNDIALECT_CONVERSION_PASSES_H

#include "AttnDialect/Dialect/Attn/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;

namespace attn {

/// How `attn.attention` is lowered to linalg.
enum class AttentionLowering { Flash, Decomposed };

#define GEN_PASS_DECL
#include "AttnDialect/Conversion/Passes.h.inc"

/// Options of the attention lowering.
struct AttentionLoweringOptions {
  AttentionLowering lowering = AttentionLowering::Flash;
  int64_t blockQ = 64, blockKV = 64;
  /// Flash query blocks in an scf.forall (for threads) instead of scf.for.
  bool parallelQueryBlocks = false;
  /// A bf16 flash attention's contractions on bf16 operands (f32 sums).
  bool bf16Products = false;
};

/// Adds the patterns that decompose attn ops into linalg named ops.
void populateAttnToLinalgPatterns(RewritePatternSet &patterns,
                                  AttentionLoweringOptions attention = {});

/// Whether `options` lower `attention` to flash loops (otherwise to its
/// decomposition).
/// Whether `options` lower the bf16 `attention` to flash loops with bf16
/// contractions (bf16-products) rather than in f32 on widened operands.
bool bf16ProductsApply(AttentionOp attention,
                       const AttentionLoweringOptions &options);
/// The same for any attn op: a bf16 attention, linear_xent or
/// linear_xent_backward lowered to blocks with bf16 contractions.
bool bf16ProductsApply(Operation *op, const AttentionLoweringOptions &options);

bool lowersToFlash(AttentionOp attention,
                   const AttentionLoweringOptions &options);

/// Whether `options` lower `backward` to FlashAttention-2's blocks
/// (otherwise to its decomposition over all the scores).
bool lowersToFlash(AttentionBackwardOp backward,
                   const AttentionLoweringOptions &options);

/// Whether `options` lower a linear_xent (or its backward) to blocks of
/// logits (otherwise to its decomposition over all of them).
bool lowersToBlocks(LinearXentOp op, const AttentionLoweringOptions &options);
bool lowersToBlocks(LinearXentBackwardOp op,
                    const AttentionLoweringOptions &options);

/// Reports, at the op, an attn.attention that the lowering cannot handle
/// (dynamic head counts).
LogicalResult checkAttentionLowerable(Operation *attention);

/// Adds the pattern that lowers attn.attention (part of the above).
void populateAttentionToLinalgPatterns(RewritePatternSet &patterns,
                                       AttentionLoweringOptions options);

/// Adds the pattern that lowers attn.attention_backward (part of the above).
void populateAttentionBackwardToLinalgPatterns(
    RewritePatternSet &patterns, AttentionLoweringOptions options);

/// Adds the patterns that lower attn.linear_xent and its backward in
/// blocks (part of the above).
void populateLinearXentToLinalgPatterns(RewritePatternSet &patterns,
                                        AttentionLoweringOptions options);

#define GEN_PASS_REGISTRATION
#include "AttnDialect/Conversion/Passes.h.inc"

} // namespace attn
} // namespace mlir

#endif // ATTNDIALECT_CONVERSION_PASSES_H
