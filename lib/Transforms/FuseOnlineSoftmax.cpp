//===- FuseOnlineSoftmax.cpp - one-pass max + sum-of-exp reductions -------===//
//
// Rewrites the two reductions of a stable softmax, m = max_j x and
// s = sum_j exp(x - shift(m)), into one linalg.generic carrying a running max
// and a running sum (the "online softmax" of Milakov & Gimelshein), so that
// softmax, logsumexp and cross-entropy read their input once for statistics.
// See the pass description in Passes.td for the exact update and why it keeps
// the values of fully masked rows.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Transforms/Passes.h"
#include "OnlineSoftmax.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "attn-fuse-online-softmax"

namespace mlir::attn {
#define GEN_PASS_DEF_FUSEONLINESOFTMAXPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// The value yielded for output `i` of a generic.
Value yieldedValue(linalg::GenericOp op, unsigned i) {
  return op.getBody()->getTerminator()->getOperand(i);
}

/// Whether `op` is a reduction over its innermost loop alone, with one
/// result, every other loop parallel.
bool isInnermostReduction(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || op.getNumResults() != 1 ||
      !op.hasPureTensorSemantics())
    return false;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (iterators.empty() || !linalg::isReductionIterator(iterators.back()))
    return false;
  return llvm::all_of(ArrayRef(iterators).drop_back(),
                      linalg::isParallelIterator);
}

/// If `op`'s one output is a reduction whose one combiner is a CombineOp
/// (upstream's matchReduction), returns the value it reduces.
template <typename CombineOp> Value matchCombine(linalg::GenericOp op) {
  SmallVector<Operation *> combiners;
  Value reduced = matchReduction(op.getRegionOutputArgs(), 0, combiners);
  if (!reduced || combiners.size() != 1 || !isa<CombineOp>(combiners[0]))
    return {};
  return reduced;
}

/// Whether `v` is a tensor filled with floating-point zero (a linalg.fill or
/// a generic that upstream's isaFillOpInterface recognizes as one).
bool isZeroFilled(Value v) {
  if (auto fill = v.getDefiningOp<linalg::FillOp>())
    return matchPattern(fill.value(), m_AnyZeroFloat());
  auto generic = v.getDefiningOp<linalg::GenericOp>();
  std::optional<Value> value =
      generic ? linalg::isaFillOpInterface(generic) : std::nullopt;
  return value && matchPattern(*value, m_AnyZeroFloat());
}

/// If `v` is `m == -inf ? 0 : m` computed elementwise (linalg::isElementwise)
/// over a tensor m of its shape, returns m: the shift that keeps fully
/// masked rows finite (the op descriptions' rule, in whichever pass built
/// it).
Value matchSafeShift(Value v) {
  auto safe = v.getDefiningOp<linalg::GenericOp>();
  if (!safe || safe.getNumDpsInputs() != 1 || safe.getNumResults() != 1 ||
      !linalg::isElementwise(safe) ||
      !safe.getMatchingIndexingMap(safe.getDpsInputOperand(0)).isIdentity() ||
      !safe.getIndexingMapsArray().back().isIdentity())
    return {};
  auto select = yieldedValue(safe, 0).getDefiningOp<arith::SelectOp>();
  BlockArgument in = safe.getRegionInputArgs()[0];
  if (!select || select.getFalseValue() != in ||
      !matchPattern(select.getTrueValue(), m_AnyZeroFloat()))
    return {};
  auto cmp = select.getCondition().getDefiningOp<arith::CmpFOp>();
  if (!cmp || cmp.getPredicate() != arith::CmpFPredicate::OEQ)
    return {};
  Value other = cmp.getLhs() == in ? cmp.getRhs() : cmp.getLhs();
  if ((cmp.getLhs() != in && cmp.getRhs() != in) ||
      !matchPattern(other, m_NegInfFloat()))
    return {};
  return safe.getDpsInputOperand(0)->get();
}

/// Decides whether a value computed in the body of `sum` is the same element
/// computation as a value in the body of `max`: the same ops, on block
/// arguments bound to the same operand with the same indexing map, or on the
/// same values from above.
class BodyEquivalence {
public:
  BodyEquivalence(linalg::GenericOp sum, linalg::GenericOp max)
      : sum(sum), max(max) {}

  bool equivalent(Value a, Value b) {
    auto known = mapping.find(a);
    if (known != mapping.end())
      return known->second == b;
    if (!equivalentUncached(a, b))
      return false;
    mapping[a] = b;
    return true;
  }

private:
  bool equivalentUncached(Value a, Value b) {
    Region *sumBody = &sum.getRegion(), *maxBody = &max.getRegion();
    bool aInside = a.getParentRegion() == sumBody ||
                   sumBody->isAncestor(a.getParentRegion());
    bool bInside = b.getParentRegion() == maxBody ||
                   maxBody->isAncestor(b.getParentRegion());
    if (!aInside || !bInside)
      return !aInside && !bInside && a == b;

    auto argA = dyn_cast<BlockArgument>(a);
    auto argB = dyn_cast<BlockArgument>(b);
    if (argA || argB) {
      if (!argA || !argB || argA.getArgNumber() >= sum.getNumDpsInputs() ||
          argB.getArgNumber() >= max.getNumDpsInputs())
        return false;
      OpOperand *operandA = sum.getDpsInputOperand(argA.getArgNumber());
      OpOperand *operandB = max.getDpsInputOperand(argB.getArgNumber());
      return operandA->get() == operandB->get() &&
             sum.getMatchingIndexingMap(operandA) ==
                 max.getMatchingIndexingMap(operandB);
    }

    Operation *opA = a.getDefiningOp(), *opB = b.getDefiningOp();
    if (cast<OpResult>(a).getResultNumber() !=
            cast<OpResult>(b).getResultNumber() ||
        opA->getNumRegions() != 0 || opB->getNumRegions() != 0)
      return false;
    return OperationEquivalence::isEquivalentTo(
        opA, opB, [&](Value x, Value y) { return success(equivalent(x, y)); },
        /*markEquivalent=*/nullptr, OperationEquivalence::IgnoreLocations);
  }

  linalg::GenericOp sum, max;
  DenseMap<Value, Value> mapping;
};

/// Whether `sum` and `max` iterate the same space: same loops, and an input
/// indexed by every loop that both read the same way.
bool sameIterationSpace(linalg::GenericOp sum, linalg::GenericOp max) {
  if (sum.getIteratorTypesArray() != max.getIteratorTypesArray() ||
      sum.getStaticLoopRanges() != max.getStaticLoopRanges() ||
      sum.getIndexingMapsArray().back() != max.getIndexingMapsArray().back())
    return false;
  for (OpOperand *a : sum.getDpsInputOperands()) {
    AffineMap mapA = sum.getMatchingIndexingMap(a);
    if (!mapA.isPermutation())
      continue;
    for (OpOperand *b : max.getDpsInputOperands())
      if (a->get() == b->get() && max.getMatchingIndexingMap(b) == mapA)
        return true;
  }
  return false;
}

/// (max_j x, sum_j exp(x - shift(max))) -> one online-softmax reduction.
struct FuseOnlineSoftmax : OpRewritePattern<linalg::GenericOp> {
  FuseOnlineSoftmax(MLIRContext *ctx, int64_t minRowLength,
                    bool shortDynamicRows)
      : OpRewritePattern(ctx), minRowLength(minRowLength),
        shortDynamicRows(shortDynamicRows) {}

  int64_t minRowLength;
  bool shortDynamicRows;

  LogicalResult matchAndRewrite(linalg::GenericOp sum,
                                PatternRewriter &rewriter) const override {
    // The sum: s += exp(x - shift) from 0, the shift read once per row.
    if (!isInnermostReduction(sum) ||
        !isZeroFilled(sum.getDpsInitOperand(0)->get()))
      return rewriter.notifyMatchFailure(sum, "not a sum reduction from 0");
    int64_t rowLength = sum.getStaticLoopRanges().back();
    bool shortRow = ShapedType::isDynamic(rowLength)
                        ? shortDynamicRows && minRowLength > 0
                        : rowLength < minRowLength;
    if (shortRow)
      return rewriter.notifyMatchFailure(sum, "row short enough to re-read");
    Value term = matchCombine<arith::AddFOp>(sum);
    auto exp = term ? term.getDefiningOp<math::ExpOp>() : nullptr;
    auto sub = exp ? exp.getOperand().getDefiningOp<arith::SubFOp>() : nullptr;
    auto shiftArg = sub ? dyn_cast<BlockArgument>(sub.getRhs()) : nullptr;
    if (!shiftArg || shiftArg.getOwner() != sum.getBody() ||
        shiftArg.getArgNumber() >= sum.getNumDpsInputs() ||
        !shiftArg.hasOneUse())
      return rewriter.notifyMatchFailure(sum, "no sum of exp(x - shift)");
    OpOperand *shiftOperand = sum.getDpsInputOperand(shiftArg.getArgNumber());
    AffineMap rowMap = sum.getIndexingMapsArray().back();
    if (sum.getMatchingIndexingMap(shiftOperand) != rowMap)
      return rewriter.notifyMatchFailure(sum, "shift is not one per row");

    // The shift: the row max itself, or its -inf -> 0 safe form.
    Value maxValue = shiftOperand->get();
    bool safeShift = false;
    if (Value m = matchSafeShift(maxValue)) {
      maxValue = m;
      safeShift = true;
    }
    auto max = maxValue.getDefiningOp<linalg::GenericOp>();
    if (!max || !isInnermostReduction(max) ||
        max->getBlock() != sum->getBlock())
      return rewriter.notifyMatchFailure(sum, "shift is not a reduction");
    Value x = matchCombine<arith::MaximumFOp>(max);
    if (!x || !sameIterationSpace(sum, max) ||
        getElementTypeOrSelf(max.getResult(0).getType()) !=
            getElementTypeOrSelf(sum.getResult(0).getType()))
      return rewriter.notifyMatchFailure(sum, "shift is not a max over x");

    // The sum's x must be the max's x.
    BodyEquivalence equivalence(sum, max);
    if (!equivalence.equivalent(sub.getLhs(), x))
      return rewriter.notifyMatchFailure(sum, "sums another x than the max");

    LLVM_DEBUG(llvm::dbgs() << DEBUG_TYPE ": one online pass for the max "
                            << "and sum of rows of " << rowLength << "\n");
    rewriter.replaceOp(sum, buildOnlineReduction(rewriter, max, x, safeShift));
    return success();
  }

  /// Builds, before `max`, the generic with outputs (m, s); replaces `max`
  /// with m and returns s.
  static Value buildOnlineReduction(PatternRewriter &rewriter,
                                    linalg::GenericOp max, Value x,
                                    bool safeShift) {
    Location loc = max.getLoc();
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(max);
    Value maxInit = max.getDpsInitOperand(0)->get();
    auto rowType = cast<RankedTensorType>(maxInit.getType());
    Type elementType = rowType.getElementType();
    Value zero = arith::ConstantOp::create(rewriter, loc,
                                           rewriter.getZeroAttr(elementType));
    Value sumInit =
        linalg::FillOp::create(
            rewriter, loc, ValueRange{zero},
            ValueRange{tensor::EmptyOp::create(
                rewriter, loc, tensor::getMixedSizes(rewriter, loc, maxInit),
                elementType)})
            .getResult(0);

    SmallVector<AffineMap> maps = max.getIndexingMapsArray();
    maps.push_back(maps.back());
    auto online = linalg::GenericOp::create(
        rewriter, loc, TypeRange{rowType, rowType}, max.getDpsInputs(),
        ValueRange{maxInit, sumInit}, maps, max.getIteratorTypesArray());

    // The max's body computes x; its combine op becomes m' = max(x, m).
    Block *oldBody = max.getBody();
    SmallVector<Type> argTypes(oldBody->getArgumentTypes());
    argTypes.push_back(elementType);
    SmallVector<Location> argLocs(argTypes.size(), loc);
    Block *body =
        rewriter.createBlock(&online.getRegion(), {}, argTypes, argLocs);
    IRMapping mapping;
    mapping.map(oldBody->getArguments(),
                body->getArguments().take_front(oldBody->getNumArguments()));
    rewriter.setInsertionPointToStart(body);
    for (Operation &op : oldBody->without_terminator())
      rewriter.clone(op, mapping);
    Value mNew = mapping.lookup(yieldedValue(max, 0));
    Value xNew = mapping.lookup(x);
    Value mOld = body->getArgument(oldBody->getNumArguments() - 1);
    Value sOld = body->getArgument(oldBody->getNumArguments());

    Value sNew =
        attn::buildOnlineSum(rewriter, loc, xNew, mOld, mNew, sOld, safeShift);
    linalg::YieldOp::create(rewriter, loc, ValueRange{mNew, sNew});

    rewriter.replaceOp(max, online.getResult(0));
    return online.getResult(1);
  }
};

struct FuseOnlineSoftmaxPass
    : attn::impl::FuseOnlineSoftmaxPassBase<FuseOnlineSoftmaxPass> {
  using FuseOnlineSoftmaxPassBase::FuseOnlineSoftmaxPassBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    attn::populateFuseOnlineSoftmaxPatterns(patterns, minRowLength,
                                            shortDynamicRows);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void attn::populateFuseOnlineSoftmaxPatterns(RewritePatternSet &patterns,
                                             int64_t minRowLength,
                                             bool shortDynamicRows) {
  patterns.add<FuseOnlineSoftmax>(patterns.getContext(), minRowLength,
                                  shortDynamicRows);
}
