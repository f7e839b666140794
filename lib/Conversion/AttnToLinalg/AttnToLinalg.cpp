//===- AttnToLinalg.cpp - decompose attn ops into linalg named ops --------===//
//
// Each attn op becomes the linalg named ops of its math (fill, broadcast,
// elementwise ops, reduce), shaped so that upstream generalization and
// elementwise fusion turn the op's work into exactly one linalg.generic:
// every elementwise producer has a single use, and the reduction is last.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Conversion/Passes.h"
#include "AttnDialect/Dialect/Attn/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::attn {
#define GEN_PASS_DEF_CONVERTATTNTOLINALGPASS
#include "AttnDialect/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// An empty tensor of `sizes` (dynamic ones as values from tensor.dim).
Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                  Type elementType) {
  return tensor::EmptyOp::create(b, loc, sizes, elementType);
}

/// The accumulator of a reduction over the last of `sizes`: a tensor of the
/// leading sizes, filled with the identity of `kind`.
Value reductionInit(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                    Type elementType, arith::AtomicRMWKind kind) {
  Value empty = emptyTensor(b, loc, sizes.drop_back(), elementType);
  Value identity = arith::getIdentityValue(kind, elementType, b, loc);
  return linalg::FillOp::create(b, loc, ValueRange{identity}, ValueRange{empty})
      .getResult(0);
}

/// reduce(combine) of `input` over its last dimension into `init`.
template <typename CombineOp>
Value reduceLastDim(OpBuilder &b, Location loc, Value input, Value init) {
  int64_t lastDim = cast<RankedTensorType>(input.getType()).getRank() - 1;
  auto reduce = linalg::ReduceOp::create(
      b, loc, ValueRange{input}, ValueRange{init}, {lastDim},
      [](OpBuilder &nb, Location nloc, ValueRange args) {
        Value combined = CombineOp::create(nb, nloc, args[0], args[1]);
        linalg::YieldOp::create(nb, nloc, combined);
      });
  return reduce.getResult(0);
}

/// masked_max(s, m) -> reduce(maximumf, add(s, broadcast(m))) from -inf.
struct MaskedMaxToLinalg : OpRewritePattern<attn::MaskedMaxOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(attn::MaskedMaxOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value scores = op.getScores(), mask = op.getMask();
    int64_t rank = op.getScores().getType().getRank();
    int64_t maskRank = op.getMask().getType().getRank();

    Type elementType = op.getScores().getType().getElementType();
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, scores);

    Value init = reductionInit(rewriter, loc, sizes, elementType,
                               arith::AtomicRMWKind::maximumf);
    if (maskRank < rank) {
      // Replicate the [M, N] mask over the leading (batch) dimensions.
      SmallVector<int64_t> batchDims =
          llvm::to_vector(llvm::seq<int64_t>(0, rank - maskRank));
      mask = linalg::BroadcastOp::create(
                 rewriter, loc, mask,
                 emptyTensor(rewriter, loc, sizes, elementType), batchDims)
                 .getResult()[0];
    }
    Value masked =
        linalg::AddOp::create(rewriter, loc, ValueRange{scores, mask},
                              ValueRange{emptyTensor(rewriter, loc, sizes,
                                                     elementType)})
            .getResult(0);
    rewriter.replaceOp(
        op, reduceLastDim<arith::MaximumFOp>(rewriter, loc, masked, init));
    return success();
  }
};

/// sum_sq(x) -> reduce(addf, square(x)) from 0.
struct SumSqToLinalg : OpRewritePattern<attn::SumSqOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(attn::SumSqOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    Type elementType = op.getInput().getType().getElementType();
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, x);

    Value init = reductionInit(rewriter, loc, sizes, elementType,
                               arith::AtomicRMWKind::addf);
    Value squares =
        linalg::SquareOp::create(
            rewriter, loc, ValueRange{x},
            ValueRange{emptyTensor(rewriter, loc, sizes, elementType)})
            .getResult(0);
    rewriter.replaceOp(op,
                       reduceLastDim<arith::AddFOp>(rewriter, loc, squares, init));
    return success();
  }
};

/// xent(p, q) -> reduce(addf, map(q == 0 ? 0 : -t, mul(q, log(p)))) from 0.
///
/// The 0 * log(0) = 0 rule and the negation sit in one elementwise linalg.map
/// before the reduction, so fusion pulls them into the reduction's body; a
/// negation after the reduction would be a consumer that fusion cannot take.
/// Negating each term is exact, so the sum equals the negated sum.
struct XentToLinalg : OpRewritePattern<attn::XentOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(attn::XentOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value p = op.getP(), q = op.getQ();
    Type elementType = op.getP().getType().getElementType();
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, p);
    auto empty = [&] {
      return emptyTensor(rewriter, loc, sizes, elementType);
    };

    Value init = reductionInit(rewriter, loc, sizes, elementType,
                               arith::AtomicRMWKind::addf);
    Value logP =
        linalg::LogOp::create(rewriter, loc, ValueRange{p}, ValueRange{empty()})
            .getResult(0);
    Value qLogP = linalg::MulOp::create(rewriter, loc, ValueRange{q, logP},
                                        ValueRange{empty()})
                      .getResult(0);
    Value terms =
        linalg::MapOp::create(
            rewriter, loc, ValueRange{q, qLogP}, empty(),
            [elementType](OpBuilder &b, Location l, ValueRange args) {
              Value zero = arith::ConstantOp::create(
                  b, l, b.getZeroAttr(elementType));
              Value qIsZero = arith::CmpFOp::create(
                  b, l, arith::CmpFPredicate::OEQ, args[0], zero);
              Value negated = arith::NegFOp::create(b, l, args[1]);
              Value term =
                  arith::SelectOp::create(b, l, qIsZero, zero, negated);
              linalg::YieldOp::create(b, l, term);
            })
            .getResult()[0];
    rewriter.replaceOp(op,
                       reduceLastDim<arith::AddFOp>(rewriter, loc, terms, init));
    return success();
  }
};

struct ConvertAttnToLinalgPass
    : attn::impl::ConvertAttnToLinalgPassBase<ConvertAttnToLinalgPass> {
  void runOnOperation() override {
    ConversionTarget target(getContext());
    target.addIllegalDialect<attn::AttnDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(&getContext());
    attn::populateAttnToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void attn::populateAttnToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<MaskedMaxToLinalg, SumSqToLinalg, XentToLinalg>(
      patterns.getContext());
}
