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
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/IR/IRMapping.h"
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

/// Whether `op` only converts its one input elementwise (an f16 input
/// widened to f32): cheaper to redo in each consumer than to store.
bool isElementwiseConversion(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      !llvm::all_of(generic.getIndexingMapsArray(),
                    [](AffineMap map) { return map.isIdentity(); }))
    return false;
  Block &body = generic.getRegion().front();
  Operation &convert = body.front();
  return body.getOperations().size() == 2 &&
         isa<arith::ExtFOp, arith::TruncFOp>(convert) &&
         convert.getOperand(0) == body.getArgument(0) &&
         body.getTerminator()->getOperand(0) == convert.getResult(0);
}

/// Whether fusion keeps the producer of `operand` computed once, or
/// duplicates only a conversion.
bool fusionDuplicatesNothingCostly(OpOperand *operand) {
  return hasSingleUseProducer(operand) ||
         isElementwiseConversion(operand->get().getDefiningOp());
}

/// Whether the producer of `operand` reads its own init (an accumulation,
/// as a generic of no loops that adds to its fill is). Upstream's fusion
/// (MLIR 22) keeps such a producer's result as an output of the fused op,
/// which then accumulates it once per iteration of the consumer's loops:
/// `x = init + 1` read by a loop of 6 became 1, 2, ..., 6.
bool producerReadsItsInit(OpOperand *operand) {
  auto producer = operand->get().getDefiningOp<linalg::LinalgOp>();
  if (!producer)
    return false;
  return llvm::any_of(producer.getDpsInitsMutable(), [&](OpOperand &init) {
    return producer.payloadUsesValueFromOperand(&init);
  });
}

/// Whether fusing the producer of `operand` into its consumer keeps the
/// amount of work: not when the consumer reduces and reads the operand
/// broadcast along one of its parallel loops (a contraction's operand).
/// Never a producer that reads its init (producerReadsItsInit).
bool fusionKeepsWork(OpOperand *operand) {
  if (!fusionDuplicatesNothingCostly(operand) || producerReadsItsInit(operand))
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

// extract(convert(x))[i] -> convert(extract(x)[i]): a conversion read at
// one index (a gather of each row's target logit) is done on that element,
// so that the converted tensor need not be stored.
struct ExtractOfConversion : OpRewritePattern<tensor::ExtractOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::ExtractOp op,
                                PatternRewriter &rewriter) const override {
    auto conversion = op.getTensor().getDefiningOp<linalg::GenericOp>();
    if (!isElementwiseConversion(conversion))
      return failure();
    Value element = tensor::ExtractOp::create(
        rewriter, op.getLoc(), conversion.getDpsInputs()[0], op.getIndices());
    Operation &convert = conversion.getBody()->front();
    IRMapping mapping;
    mapping.map(convert.getOperand(0), element);
    rewriter.replaceOp(op, rewriter.clone(convert, mapping)->getResults());
    return success();
  }
};

struct FuseElementwisePass
    : attn::impl::FuseElementwisePassBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, fusionKeepsWork);
    patterns.add<ExtractOfConversion>(ctx);
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
