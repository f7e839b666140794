//===- AttnToLinalg.cpp - decompose attn ops into linalg ------------------===//
//
// Each attn op becomes its decomposition (AggregatedOpInterface, in
// lib/Dialect/Attn/AggregatedOpInterfaceImpl.cpp), attention by default its
// flash lowering (AttentionToLinalg.cpp), linear_xent its blocks
// (LinearXentToLinalg.cpp); f16 and bf16 ops are first made
// f32 ops between conversions, so that every lowering computes in f32.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Conversion/Passes.h"
#include "AttnDialect/Dialect/Attn/AttnOps.h"
#include "AttnDialect/Dialect/Attn/AttnUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::attn {
#define GEN_PASS_DEF_CONVERTATTNTOLINALGPASS
#include "AttnDialect/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// attn op -> its decomposition (AggregatedOpInterface); attention by this
/// pattern only where the flash lowering does not take it.
struct DecomposeAttnOp
    : OpInterfaceRewritePattern<linalg::AggregatedOpInterface> {
  DecomposeAttnOp(MLIRContext *ctx, attn::AttentionLoweringOptions options)
      : OpInterfaceRewritePattern(ctx), options(options) {
    // Attention decomposes into an attn.softmax, decomposed in turn.
    setHasBoundedRewriteRecursion();
  }

  LogicalResult matchAndRewrite(linalg::AggregatedOpInterface op,
                                PatternRewriter &rewriter) const override {
    if (!isa<attn::AttnDialect>(op->getDialect()))
      return rewriter.notifyMatchFailure(op, "not an attn op");
    if (auto attention = dyn_cast<attn::AttentionOp>(*op);
        attention && attn::lowersToFlash(attention, options))
      return rewriter.notifyMatchFailure(op, "lowered to flash loops");
    if (auto backward = dyn_cast<attn::AttentionBackwardOp>(*op);
        backward && attn::lowersToFlash(backward, options))
      return rewriter.notifyMatchFailure(op, "lowered to flash loops");
    if (auto xent = dyn_cast<attn::LinearXentOp>(*op);
        xent && attn::lowersToBlocks(xent, options))
      return rewriter.notifyMatchFailure(op, "lowered to blocks");
    if (auto xent = dyn_cast<attn::LinearXentBackwardOp>(*op);
        xent && attn::lowersToBlocks(xent, options))
      return rewriter.notifyMatchFailure(op, "lowered to blocks");
    FailureOr<SmallVector<Value>> results = op.decomposeOperation(rewriter);
    if (failed(results))
      return rewriter.notifyMatchFailure(op, "no decomposition");
    rewriter.replaceOp(op, *results);
    return success();
  }

  attn::AttentionLoweringOptions options;
};

struct ConvertAttnToLinalgPass
    : attn::impl::ConvertAttnToLinalgPassBase<ConvertAttnToLinalgPass> {
  using ConvertAttnToLinalgPassBase::ConvertAttnToLinalgPassBase;

  /// A bad block size in a textual pipeline is reported as a bad option,
  /// before any IR is touched.
  LogicalResult initializeOptions(
      StringRef options,
      function_ref<LogicalResult(const Twine &)> errorHandler) override {
    if (failed(ConvertAttnToLinalgPassBase::initializeOptions(options,
                                                              errorHandler)))
      return failure();
    if (blockQ < 1 || blockKV < 1)
      return errorHandler("block-q and block-kv must be positive, got " +
                          Twine(blockQ) + " and " + Twine(blockKV));
    return success();
  }

  void runOnOperation() override {
    ConversionTarget target(getContext());
    target.addIllegalDialect<attn::AttnDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    // Options set in C++ (the pipelines) skip initializeOptions.
    if (blockQ < 1 || blockKV < 1) {
      emitError(getOperation()->getLoc(),
                "convert-attn-to-linalg: block-q and block-kv must be "
                "positive");
      return signalPassFailure();
    }
    // Unsupported inputs get one diagnostic of their own, not the
    // conversion's "failed to legalize".
    WalkResult unsupported =
        getOperation()->walk([](Operation *op) -> WalkResult {
          if (!isa<attn::AttentionOp, attn::OnlineAttentionOp,
                   attn::AttentionBackwardOp>(op))
            return WalkResult::advance();
          return failed(attn::checkAttentionLowerable(op))
                     ? WalkResult::interrupt()
                     : WalkResult::advance();
        });
    if (unsupported.wasInterrupted())
      return signalPassFailure();

    RewritePatternSet patterns(&getContext());
    attn::populateAttnToLinalgPatterns(
        patterns, {attentionLowering, blockQ, blockKV, parallelQueryBlocks,
                   bf16Products});
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

namespace {

/// attn op on f16/bf16 -> truncf(the op on extf(operands) in f32): sums and
/// running maxima of many terms in f32, one rounding at the end. The
/// conversions are elementwise generics that fusion takes into the op's
/// loops.
struct ComputeHalfInF32 : RewritePattern {
  ComputeHalfInF32(MLIRContext *ctx, attn::AttentionLoweringOptions options)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/2, ctx),
        options(options) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa<attn::AttnDialect>(op->getDialect()) || op->getNumResults() == 0)
      return failure();
    // A bf16 flash attention or blocked linear_xent with bf16 products
    // keeps its operands.
    if (attn::bf16ProductsApply(op, options))
      return failure();
    auto isHalf = [](Type type) {
      auto tensor = dyn_cast<RankedTensorType>(type);
      return tensor && isa<Float16Type, BFloat16Type>(tensor.getElementType());
    };
    // (An attention's lse is f32 for half operands already.)
    if (!llvm::any_of(op->getResultTypes(), isHalf))
      return failure();
    Location loc = op->getLoc();
    Type f32 = rewriter.getF32Type();
    SmallVector<Value> operands;
    for (Value operand : op->getOperands())
      operands.push_back(
          isHalf(operand.getType())
              ? attn::convertElements(rewriter, loc, operand, f32)
              : operand);
    SmallVector<Type> wideTypes;
    for (Type type : op->getResultTypes())
      wideTypes.push_back(isHalf(type) ? cast<RankedTensorType>(type).clone(f32)
                                       : type);
    OperationState state(loc, op->getName(), operands, wideTypes,
                         op->getAttrs());
    // (An attention's regions work in f32 already: copied as they are.)
    for (unsigned r = 0, e = op->getNumRegions(); r < e; ++r)
      state.addRegion();
    Operation *wide = rewriter.create(state);
    for (unsigned r = 0, e = op->getNumRegions(); r < e; ++r) {
      IRMapping mapping;
      op->getRegion(r).cloneInto(&wide->getRegion(r), mapping);
    }
    SmallVector<Value> results;
    for (auto [result, type] :
         llvm::zip_equal(wide->getResults(), op->getResultTypes()))
      results.push_back(isHalf(type) ? attn::convertElements(
                                           rewriter, loc, result,
                                           getElementTypeOrSelf(type))
                                     : result);
    rewriter.replaceOp(op, results);
    return success();
  }

  attn::AttentionLoweringOptions options;
};

} // namespace

void attn::populateAttnToLinalgPatterns(RewritePatternSet &patterns,
                                        AttentionLoweringOptions attention) {
  patterns.add<ComputeHalfInF32>(patterns.getContext(), attention);
  patterns.add<DecomposeAttnOp>(patterns.getContext(), attention);
  populateAttentionToLinalgPatterns(patterns, attention);
  populateAttentionBackwardToLinalgPatterns(patterns, attention);
  populateLinearXentToLinalgPatterns(patterns, attention);
}
