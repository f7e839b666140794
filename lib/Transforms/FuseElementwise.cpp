//===- FuseElementwise.cpp - elementwise fusion, not into contractions ----===//
//
// Upstream's elementwise fusion decides by use count only: a single-use
// producer read broadcast by a contraction is inlined into it, recomputed
// for every element of the broadcast loop, and the contraction loses the
// matmul form that --attn-vectorize-contractions register-blocks. This pass
// runs the same patterns with a control that keeps such producers apart.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// Whether the producer of `operand` has no other use (fusion would
/// otherwise duplicate it).
bool hasSingleUseProducer(OpOperand *operand) {
  Operation *producer = operand->get().getDefiningOp();
  return producer && producer->hasOneUse();
}

/// Whether fusing the producer of `operand` into its consumer keeps the
/// amount of work: not when the consumer reduces and reads the operand
/// broadcast along one of its parallel loops (a contraction's operand).
bool fusionKeepsWork(OpOperand *operand) {
  if (!hasSingleUseProducer(operand))
    return false;
  auto consumer = dyn_cast<linalg::LinalgOp>(operand->getOwner());
  if (!consumer || consumer.getNumReductionLoops() == 0)
    return true;
  AffineMap map = consumer.getMatchingIndexingMap(operand);
  SmallVector<utils::IteratorType> iterators = consumer.getIteratorTypesArray();
  for (auto [dim, iterator] : llvm::enumerate(iterators))
    if (iterator == utils::IteratorType::parallel && !map.isFunctionOfDim(dim))
      return false;
  return true;
}

struct FuseElementwisePass
    : attn::impl::FuseElementwisePassBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, fusionKeepsWork);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns,
                                                      hasSingleUseProducer);
    tensor::populateBubbleUpExpandShapePatterns(patterns);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(
        patterns);
    linalg::populateConstantFoldLinalgOperations(patterns,
                                                 hasSingleUseProducer);
    if (failed(applyPatternsGreedily(
            getOperation(), std::move(patterns),
            GreedyRewriteConfig().setUseTopDownTraversal())))
      signalPassFailure();
  }
};

} // namespace
