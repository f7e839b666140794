//===- SplitOnlineSoftmaxLanes.cpp - online softmax in vector lanes -------===//
//
// (m, s) over a row of N = C x L + T elements -> per-lane (m_l, s_l) over C
// chunks of L contiguous elements (a reduction over chunks, parallel over
// lanes, so the innermost loop vectorizes), a merge of the L lanes, then the
// T < L elements left, one at a time, from the merged (m, s).
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Transforms/Passes.h"
#include "OnlineSoftmax.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_SPLITONLINESOFTMAXLANESPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// The elements [offset, offset + size) of the last dimension of `operand`.
Value sliceLastDim(OpBuilder &b, Location loc, Value operand,
                   OpFoldResult offset, OpFoldResult size) {
  int64_t rank = cast<RankedTensorType>(operand.getType()).getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, operand);
  offsets.back() = offset;
  sizes.back() = size;
  return tensor::ExtractSliceOp::create(
      b, loc, operand, offsets, sizes,
      SmallVector<OpFoldResult>(rank, b.getIndexAttr(1)));
}

/// `operand` with its last dimension (of size `chunks * lanes`) split into
/// [chunks, lanes].
Value splitLastDim(OpBuilder &b, Location loc, Value operand,
                   OpFoldResult chunks, int64_t lanes) {
  auto type = cast<RankedTensorType>(operand.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> shape(type.getShape().drop_back());
  std::optional<int64_t> staticChunks = getConstantIntValue(chunks);
  shape.append({staticChunks ? *staticChunks : ShapedType::kDynamic, lanes});
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, operand);
  sizes.pop_back();
  sizes.append({chunks, b.getIndexAttr(lanes)});
  SmallVector<ReassociationIndices> reassociation;
  for (int64_t i = 0; i < rank - 1; ++i)
    reassociation.push_back({i});
  reassociation.push_back({rank - 1, rank});
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), operand,
      reassociation, sizes);
}

/// online(m, s) over [..., C x L + T] -> online(m_l, s_l) over [..., C, L],
/// a merge of the L lanes, and online(m, s) over the last T from the merge.
/// Applied once to each online reduction the pass finds (not as a greedy
/// pattern: the tail and the short-row branch are online reductions too).
struct SplitLanes {
  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                RewriterBase &rewriter) const {
    arith::MaximumFOp maxOp = attn::matchOnlineSoftmax(op);
    if (!maxOp)
      return failure();
    unsigned numLoops = op.getNumLoops();
    unsigned red = numLoops - 1;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    int64_t staticLength = ranges[red];
    if (!ShapedType::isDynamic(staticLength) && staticLength < lanes)
      return rewriter.notifyMatchFailure(op, "row shorter than the lanes");
    // No row at all: nothing to split (and a slice at offset 0 of a static
    // 0 dim does not verify).
    if (llvm::is_contained(ranges, 0))
      return rewriter.notifyMatchFailure(op, "no rows");

    // Inputs read along the row must have it as their last dimension
    // (checked before any IR is made).
    MLIRContext *ctx = rewriter.getContext();
    Location loc = op.getLoc();
    Value row;
    for (OpOperand *operand : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(operand);
      if (!map.isProjectedPermutation(/*allowZeroInResults=*/true))
        return rewriter.notifyMatchFailure(op, "non-permutation map");
      if (!map.isFunctionOfDim(red))
        continue;
      if (map.getResults().back() != getAffineDimExpr(red, ctx))
        return rewriter.notifyMatchFailure(op, "row dim not innermost");
      row = operand->get();
    }
    if (!row)
      return rewriter.notifyMatchFailure(op, "no input along the row");
    // N = C x L + T: C chunks of L lanes, then T elements.
    OpFoldResult length = tensor::getMixedSizes(rewriter, loc, row).back();
    // A row of unknown length takes the lanes only when it has 4 x L
    // elements or more: shorter, their fills and merge cost more than they
    // save. Otherwise the reduction as it is.
    scf::IfOp longRows;
    if (!getConstantIntValue(length)) {
      Value enough = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::uge, cast<Value>(length),
          arith::ConstantIndexOp::create(rewriter, loc, 4 * lanes));
      longRows = scf::IfOp::create(rewriter, loc, op.getResultTypes(), enough,
                                   /*addThenBlock=*/true,
                                   /*addElseBlock=*/true);
      rewriter.setInsertionPointToStart(longRows.elseBlock());
      Operation *asIs = rewriter.clone(*op);
      scf::YieldOp::create(rewriter, loc, asIs->getResults());
      rewriter.setInsertionPointToStart(longRows.thenBlock());
    }
    // The results of the lanes (and tail): the op's, or the long rows'.
    auto finish = [&](ValueRange results) {
      if (!longRows) {
        rewriter.replaceOp(op, results);
        return;
      }
      rewriter.setInsertionPointToEnd(longRows.thenBlock());
      scf::YieldOp::create(rewriter, loc, results);
      rewriter.replaceOp(op, longRows.getResults());
    };
    OpFoldResult chunks, whole, tail;
    if (std::optional<int64_t> staticN = getConstantIntValue(length)) {
      chunks = rewriter.getIndexAttr(*staticN / lanes);
      whole = rewriter.getIndexAttr(*staticN / lanes * lanes);
      tail = rewriter.getIndexAttr(*staticN % lanes);
    } else {
      Value n = cast<Value>(length);
      Value width = arith::ConstantIndexOp::create(rewriter, loc, lanes);
      Value c = arith::DivUIOp::create(rewriter, loc, n, width);
      Value w = arith::MulIOp::create(rewriter, loc, c, width);
      chunks = c;
      whole = w;
      tail = arith::SubIOp::create(rewriter, loc, n, w).getResult();
    }
    bool hasTail = !isConstantIntValue(tail, 0);
    SmallVector<Value> inputs;
    SmallVector<AffineMap> maps;
    auto remap = [&](AffineMap map, bool split) {
      // (d0..dp, n) -> (d0..dp, c, l): n becomes (c, l) at the end.
      SmallVector<AffineExpr> exprs;
      for (AffineExpr e : map.getResults()) {
        auto dim = dyn_cast<AffineDimExpr>(e);
        if (dim && dim.getPosition() == red)
          continue;
        exprs.push_back(e);
      }
      if (split)
        exprs.append(
            {getAffineDimExpr(red, ctx), getAffineDimExpr(red + 1, ctx)});
      return AffineMap::get(numLoops + 1, 0, exprs, ctx);
    };
    for (OpOperand *operand : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(operand);
      bool readsRow = map.isFunctionOfDim(red);
      Value input = operand->get();
      if (readsRow && hasTail)
        input =
            sliceLastDim(rewriter, loc, input, rewriter.getIndexAttr(0), whole);
      inputs.push_back(
          readsRow ? splitLastDim(rewriter, loc, input, chunks, lanes) : input);
      maps.push_back(remap(map, readsRow));
    }

    // Lane accumulators [..., L]: max from -inf, sum from 0.
    Value mInit = op.getDpsInitOperand(0)->get();
    Value sInit = op.getDpsInitOperand(1)->get();
    auto rowType = cast<RankedTensorType>(mInit.getType());
    Type elementType = rowType.getElementType();
    SmallVector<OpFoldResult> laneSizes =
        tensor::getMixedSizes(rewriter, loc, mInit);
    laneSizes.push_back(rewriter.getIndexAttr(lanes));
    auto filledLanes = [&](Value value) {
      Value empty =
          tensor::EmptyOp::create(rewriter, loc, laneSizes, elementType);
      return linalg::FillOp::create(rewriter, loc, ValueRange{value},
                                    ValueRange{empty})
          .getResult(0);
    };
    Value negInf = arith::getIdentityValue(arith::AtomicRMWKind::maximumf,
                                           elementType, rewriter, loc);
    Value zero = arith::ConstantOp::create(rewriter, loc,
                                           rewriter.getZeroAttr(elementType));
    SmallVector<AffineExpr> laneExprs;
    for (unsigned d = 0; d < red; ++d)
      laneExprs.push_back(getAffineDimExpr(d, ctx));
    laneExprs.push_back(getAffineDimExpr(red + 1, ctx));
    AffineMap laneMap = AffineMap::get(numLoops + 1, 0, laneExprs, ctx);
    maps.append({laneMap, laneMap});
    SmallVector<utils::IteratorType> iterators(red,
                                               utils::IteratorType::parallel);
    iterators.append(
        {utils::IteratorType::reduction, utils::IteratorType::parallel});
    Value laneInit = filledLanes(negInf);
    auto laneType = cast<RankedTensorType>(laneInit.getType());
    auto split = linalg::GenericOp::create(
        rewriter, loc, TypeRange{laneType, laneType}, inputs,
        ValueRange{laneInit, filledLanes(zero)}, maps, iterators);

    // The body: x as before (the row index is c * L + l), then the update.
    Block *oldBody = op.getBody();
    Value mAccOld = op.getRegionOutputArgs()[0];
    Value x = maxOp.getLhs() == mAccOld ? maxOp.getRhs() : maxOp.getLhs();
    Block *body = rewriter.createBlock(
        &split.getRegion(), {}, oldBody->getArgumentTypes(),
        SmallVector<Location>(oldBody->getNumArguments(), loc));
    IRMapping mapping;
    mapping.map(oldBody->getArguments(), body->getArguments());
    rewriter.setInsertionPointToStart(body);
    for (Operation &bodyOp : oldBody->without_terminator()) {
      if (auto index = dyn_cast<linalg::IndexOp>(bodyOp);
          index && index.getDim() == red) {
        Value c = linalg::IndexOp::create(rewriter, loc, red);
        Value l = linalg::IndexOp::create(rewriter, loc, red + 1);
        Value width = arith::ConstantIndexOp::create(rewriter, loc, lanes);
        Value n = arith::AddIOp::create(
            rewriter, loc, arith::MulIOp::create(rewriter, loc, c, width), l);
        mapping.map(index.getResult(), n);
        continue;
      }
      if (&bodyOp == maxOp.getOperation())
        break;
      rewriter.clone(bodyOp, mapping);
    }
    Value xNew = mapping.lookup(x);
    Value mOld = body->getArgument(op.getNumDpsInputs());
    Value sOld = body->getArgument(op.getNumDpsInputs() + 1);
    Value mNew = maxOp.getLhs() == mAccOld
                     ? arith::MaximumFOp::create(rewriter, loc, mOld, xNew)
                     : arith::MaximumFOp::create(rewriter, loc, xNew, mOld);
    Value sNew = attn::buildOnlineSum(rewriter, loc, xNew, mOld, mNew, sOld,
                                      /*safeShift=*/true);
    linalg::YieldOp::create(rewriter, loc, ValueRange{mNew, sNew});

    // Merge the lanes into the original accumulators:
    //   m' = max(m, m_l)
    //   s' = (m == -inf ? 0 : s exp(m - m')) + (m_l == -inf ? 0 : s_l exp(m_l -
    //   m'))
    rewriter.setInsertionPointAfter(split);
    SmallVector<AffineExpr> rowExprs(laneExprs.begin(), laneExprs.end() - 1);
    AffineMap laneIn = AffineMap::get(
        red + 1, 0,
        [&] {
          SmallVector<AffineExpr> e;
          for (unsigned d = 0; d <= red; ++d)
            e.push_back(getAffineDimExpr(d, ctx));
          return e;
        }(),
        ctx);
    AffineMap rowOut = AffineMap::get(
        red + 1, 0, ArrayRef(laneIn.getResults()).drop_back(), ctx);
    SmallVector<utils::IteratorType> mergeIterators(
        red, utils::IteratorType::parallel);
    mergeIterators.push_back(utils::IteratorType::reduction);
    auto merge = linalg::GenericOp::create(
        rewriter, loc, TypeRange{rowType, rowType}, split.getResults(),
        ValueRange{mInit, sInit},
        ArrayRef<AffineMap>{laneIn, laneIn, rowOut, rowOut}, mergeIterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value ml = args[0], sl = args[1], m = args[2], s = args[3];
          Value mNew = arith::MaximumFOp::create(b, l, m, ml);
          Value z = arith::ConstantOp::create(b, l, b.getZeroAttr(elementType));
          // A sum kept relative to max `from`, relative to mNew (0 while
          // `from` is -inf: the sum is then 0 and exp would see -inf - -inf).
          auto rescaled = [&](Value sum, Value from) -> Value {
            Value e = attn::expNonPositive(
                b, l, arith::SubFOp::create(b, l, from, mNew));
            return arith::SelectOp::create(b, l, attn::isNegInf(b, l, from), z,
                                           arith::MulFOp::create(b, l, sum, e));
          };
          Value sNew =
              arith::AddFOp::create(b, l, rescaled(s, m), rescaled(sl, ml));
          linalg::YieldOp::create(b, l, ValueRange{mNew, sNew});
        });
    if (!hasTail) {
      finish(merge.getResults());
      return success();
    }

    // The last T elements: the op itself over them, from the merged (m, s),
    // its row index shifted by C x L.
    Value offset = getValueOrCreateConstantIndexOp(rewriter, loc, whole);
    SmallVector<Value> tailInputs;
    for (OpOperand *operand : op.getDpsInputOperands())
      tailInputs.push_back(
          op.getMatchingIndexingMap(operand).isFunctionOfDim(red)
              ? sliceLastDim(rewriter, loc, operand->get(), whole, tail)
              : operand->get());
    auto rest = cast<linalg::GenericOp>(rewriter.clone(*op));
    rewriter.modifyOpInPlace(rest, [&] {
      for (auto [operand, input] :
           llvm::zip_equal(rest.getDpsInputOperands(), tailInputs))
        operand->set(input);
      rest.getDpsInitsMutable().assign(merge.getResults());
    });
    for (auto index : llvm::make_early_inc_range(
             rest.getBody()->getOps<linalg::IndexOp>())) {
      if (index.getDim() != red)
        continue;
      rewriter.setInsertionPointAfter(index);
      auto shifted = arith::AddIOp::create(rewriter, loc, index, offset);
      rewriter.replaceAllUsesExcept(index, shifted, shifted);
    }
    finish(rest.getResults());
    return success();
  }

  int64_t lanes;
};

struct SplitOnlineSoftmaxLanesPass
    : attn::impl::SplitOnlineSoftmaxLanesPassBase<SplitOnlineSoftmaxLanesPass> {
  using SplitOnlineSoftmaxLanesPassBase::SplitOnlineSoftmaxLanesPassBase;

  void runOnOperation() override {
    if (lanes < 1) {
      getOperation()->emitError("attn-split-online-softmax-lanes: lanes must "
                                "be positive");
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> online;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (attn::matchOnlineSoftmax(op))
        online.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : online) {
      rewriter.setInsertionPoint(op);
      (void)SplitLanes{lanes}.matchAndRewrite(op, rewriter);
    }
    // Fold the index arithmetic and constants the rewrites made.
    if (!online.empty() &&
        failed(applyPatternsGreedily(getOperation(),
                                     RewritePatternSet(&getContext()))))
      signalPassFailure();
  }
};

} // namespace
