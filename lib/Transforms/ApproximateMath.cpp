//===- ApproximateMath.cpp - polynomial exp and log -----------------------===//
//
// libm's expf and logf keep a loop scalar; MLIR's polynomial approximations
// are arithmetic that LLVM vectorizes. Applied to exp and log only, on f32
// (f16 and bf16 are computed in f32).
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>

namespace mlir::attn {
#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// log(x) -> log(x < 2^-126 ? x * 2^24 : x) - (x < 2^-126 ? 24 ln 2 : 0):
/// the polynomial log assumes a normal input; a denormal one is scaled into
/// the normal range first (probabilities below 1e-38 do occur in losses).
struct ScaleDenormalLog : OpRewritePattern<math::LogOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(math::LogOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!getElementTypeOrSelf(type).isF32() || op->hasAttr(kScaled))
      return failure();
    Location loc = op.getLoc();
    auto constant = [&](float value) -> Value {
      TypedAttr attr = rewriter.getF32FloatAttr(value);
      if (auto vector = dyn_cast<VectorType>(type))
        attr = SplatElementsAttr::get(vector, attr);
      return arith::ConstantOp::create(rewriter, loc, type, attr);
    };
    Value x = op.getOperand();
    Value denormal =
        arith::CmpFOp::create(rewriter, loc, arith::CmpFPredicate::OLT, x,
                              constant(std::numeric_limits<float>::min()));
    Value scaled = arith::SelectOp::create(
        rewriter, loc, denormal,
        arith::MulFOp::create(rewriter, loc, x, constant(16777216.0f)), x);
    auto log = math::LogOp::create(rewriter, loc, scaled);
    log->setAttr(kScaled, rewriter.getUnitAttr());
    Value correction = arith::SelectOp::create(
        rewriter, loc, denormal, constant(24.0f * 0.693147180559945309f),
        constant(0.0f));
    rewriter.replaceOpWithNewOp<arith::SubFOp>(op, log, correction);
    return success();
  }

  static constexpr llvm::StringLiteral kScaled = "attn.denormal_scaled";
};

struct ApproximateMathPass
    : attn::impl::ApproximateMathPassBase<ApproximateMathPass> {
  void runOnOperation() override {
    auto expOrLog = [](StringRef name) {
      return name == math::ExpOp::getOperationName() ||
             name == math::LogOp::getOperationName();
    };
    RewritePatternSet scaling(&getContext());
    scaling.add<ScaleDenormalLog>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(scaling))))
      return signalPassFailure();

    RewritePatternSet patterns(&getContext());
    populateMathF32ExpansionPatterns(patterns, expOrLog);
    populateMathPolynomialApproximationPatterns(patterns, expOrLog);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
