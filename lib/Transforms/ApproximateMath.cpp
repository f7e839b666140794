//===- ApproximateMath.cpp - polynomial exp, log and tanh -----------------===//
//
// libm's expf and logf keep a loop scalar; MLIR's polynomial approximations
// are arithmetic that LLVM vectorizes. Applied to exp, log and tanh, on f32
// (f16 and bf16 are computed in f32), and to the exp2 of a softmax's
// non-positive `s - max` (attn.nonpositive), whose expansion here skips the
// overflow handling a general exp needs.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Dialect/Attn/AttnDialect.h"
#include "AttnDialect/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>
#include <type_traits>

namespace mlir::attn {
#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// A constant of `type` (a float or a vector of floats or integers).
Value splatConstant(OpBuilder &b, Location loc, Type type, TypedAttr scalar) {
  TypedAttr attr = scalar;
  if (auto vector = dyn_cast<VectorType>(type))
    attr = SplatElementsAttr::get(vector, scalar);
  return arith::ConstantOp::create(b, loc, type, attr);
}

/// log(x) -> log(x < 2^-126 ? x * 2^24 : x) - (x < 2^-126 ? 24 ln 2 : 0):
/// the polynomial log assumes a normal input; a denormal one is scaled into
/// the normal range first (probabilities below 1e-38 do occur in losses).
struct ScaleDenormalLog : OpRewritePattern<math::LogOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(math::LogOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!getElementTypeOrSelf(type).isF32() ||
        op->hasAttr(attn::kDenormalScaledAttrName))
      return failure();
    Location loc = op.getLoc();
    auto constant = [&](float value) {
      return splatConstant(rewriter, loc, type,
                           rewriter.getF32FloatAttr(value));
    };
    Value x = op.getOperand();
    Value denormal =
        arith::CmpFOp::create(rewriter, loc, arith::CmpFPredicate::OLT, x,
                              constant(std::numeric_limits<float>::min()));
    Value scaled = arith::SelectOp::create(
        rewriter, loc, denormal,
        arith::MulFOp::create(rewriter, loc, x, constant(16777216.0f)), x);
    auto log = math::LogOp::create(rewriter, loc, scaled);
    log->setAttr(attn::kDenormalScaledAttrName, rewriter.getUnitAttr());
    Value correction = arith::SelectOp::create(
        rewriter, loc, denormal, constant(24.0f * 0.693147180559945309f),
        constant(0.0f));
    rewriter.replaceOpWithNewOp<arith::SubFOp>(op, log, correction);
    return success();
  }
};

// exp2(x), x <= 0 or NaN -> x < -126 ? 0 : 2^k p(x - k), k = round(x);
// exp(x), x <= 0 or NaN -> x < -126 ln 2 ? 0 : 2^k q(x - k ln 2),
// k = round(x log2(e)).
// With no overflow to handle this is 13 (exp: 15) vector instructions where
// a general exp takes about 20: it is most of a softmax's work.
template <typename ExpOpT>
struct ExpandNonPositiveExp : OpRewritePattern<ExpOpT> {
  using OpRewritePattern<ExpOpT>::OpRewritePattern;
  static constexpr bool kNatural = std::is_same_v<ExpOpT, math::ExpOp>;

  LogicalResult matchAndRewrite(ExpOpT op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    Type elementType = getElementTypeOrSelf(type);
    if (!op->hasAttr(attn::kNonPositiveAttrName) ||
        !isa<Float32Type, Float16Type, BFloat16Type>(elementType))
      return rewriter.notifyMatchFailure(op, "not a non-positive f32 exp");
    Location loc = op.getLoc();
    auto like = [&](Type element) -> Type {
      if (auto vector = dyn_cast<VectorType>(type))
        return vector.clone(element);
      return element;
    };
    Type f32Type = like(rewriter.getF32Type());
    Type i32Type = like(rewriter.getI32Type());
    auto f32 = [&](float value) {
      return splatConstant(rewriter, loc, f32Type,
                           rewriter.getF32FloatAttr(value));
    };
    Value x = op.getOperand();
    if (!elementType.isF32())
      x = arith::ExtFOp::create(rewriter, loc, f32Type, x);

    // Results below 2^-126 would be denormal: they flush to 0, as -inf does.
    // NaN compares false and stays NaN through the polynomial.
    float low = kNatural ? -87.3365447f : -126.0f;
    Value tiny = arith::CmpFOp::create(rewriter, loc, arith::CmpFPredicate::OLT,
                                       x, f32(low));
    Value clamped = arith::SelectOp::create(rewriter, loc, tiny, f32(low), x);
    // Adding 1.5 * 2^23 rounds to an integer k held in the low mantissa
    // bits; the extra 127 is the exponent bias of 2^k below.
    Value magic = f32(12582912.0f + 127.0f);
    Value biased, r, p;
    if constexpr (kNatural) {
      biased =
          math::FmaOp::create(rewriter, loc, clamped, f32(1.44269504f), magic);
      Value k = arith::SubFOp::create(rewriter, loc, biased, magic);
      // r = x - k ln 2 in two steps (ln 2's high part has 12 bits: k times
      // it is exact), |r| <= ln(2) / 2.
      r = math::FmaOp::create(rewriter, loc, k, f32(-0.693145751953125f),
                              clamped);
      r = math::FmaOp::create(rewriter, loc, k, f32(-1.428606765330187e-6f), r);
      // e^r by its Taylor polynomial of degree 6: within 2.7 ulp in f32
      // arithmetic over [-126 ln 2, 0].
      p = f32(1.0f / 720.0f);
      for (float c :
           {1.0f / 120.0f, 1.0f / 24.0f, 1.0f / 6.0f, 0.5f, 1.0f, 1.0f})
        p = math::FmaOp::create(rewriter, loc, p, r, f32(c));
    } else {
      biased = arith::AddFOp::create(rewriter, loc, clamped, magic);
      Value k = arith::SubFOp::create(rewriter, loc, biased, magic);
      r = arith::SubFOp::create(rewriter, loc, clamped, k);
      // 2^r on [-1/2, 1/2], p(0) = 1: a degree-5 fit of the relative error,
      // within 2.5 ulp in f32 arithmetic.
      p = f32(1.32647203e-3f);
      for (float c : {9.67151392e-3f, 5.55073395e-2f, 2.40222424e-1f,
                      6.93147004e-1f, 1.0f})
        p = math::FmaOp::create(rewriter, loc, p, r, f32(c));
    }
    // 2^k for k in [-126, 0]: k + 127 shifted into the exponent field.
    Value bits = arith::BitcastOp::create(rewriter, loc, i32Type, biased);
    Value shifted = arith::ShLIOp::create(
        rewriter, loc, bits,
        splatConstant(rewriter, loc, i32Type, rewriter.getI32IntegerAttr(23)));
    Value scale = arith::BitcastOp::create(rewriter, loc, f32Type, shifted);
    Value y = arith::MulFOp::create(rewriter, loc, p, scale);
    Value result = arith::SelectOp::create(rewriter, loc, tiny, f32(0.0f), y);
    if (!elementType.isF32())
      result = arith::TruncFOp::create(rewriter, loc, type, result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ApproximateMathPass
    : attn::impl::ApproximateMathPassBase<ApproximateMathPass> {
  void runOnOperation() override {
    // (tanh: logit and score soft-capping.)
    auto expOrLog = [](StringRef name) {
      return name == math::ExpOp::getOperationName() ||
             name == math::LogOp::getOperationName() ||
             name == math::TanhOp::getOperationName();
    };
    RewritePatternSet scaling(&getContext());
    scaling.add<ScaleDenormalLog>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(scaling))))
      return signalPassFailure();

    RewritePatternSet patterns(&getContext());
    // Before upstream's exp expansion, which would match the marked exps too.
    patterns.add<ExpandNonPositiveExp<math::Exp2Op>>(&getContext());
    patterns.add<ExpandNonPositiveExp<math::ExpOp>>(&getContext(),
                                                    /*benefit=*/2);
    populateMathF32ExpansionPatterns(patterns, expOrLog);
    populateMathPolynomialApproximationPatterns(patterns, expOrLog);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
