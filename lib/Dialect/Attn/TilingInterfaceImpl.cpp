//===- TilingInterfaceImpl.cpp - attn ops as tileable structured ops -------===//
//
// Each attn op is described by its loop nest, as a linalg.generic would be:
// the loops' iterator types and, for each tensor operand and for the result,
// the map from the loops to its dimensions. Iteration domains, result shapes,
// tiles and result positions follow from that description alike for every
// op: a tile of the parallel loops is the same op on slices of its operands.
// Two rules need more than slices:
// - a causal op keeps its mask in a tile of rows [o, o + m) through an
//   explicit `diagonal d + o` (d = N - M unless the op has one);
// - attention's key/value heads are read as `h floordiv G` (G query heads
//   per key/value head): a tile of query heads must be a whole number of
//   groups or lie within one, so that it is an attention of its own.
// Reduction loops (the last dimension, attention's keys and features) are
// never cut by a tile: splitting them needs a merge, which is what partial
// reductions are for.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Dialect/Attn/AttnOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

using utils::IteratorType;

/// The loops of an attn op and how its tensors are read over them.
struct LoopNest {
  SmallVector<IteratorType> iterators;
  /// One map per tensor operand, in operand order, from the loops to the
  /// operand's dimensions; a constant 0 is a broadcast (static size 1)
  /// dimension.
  SmallVector<AffineMap> operandMaps;
  AffineMap resultMap;
  /// A causal op's row loop (its diagonal moves with a tile's offset) and
  /// its key loop; -1 without `causal`.
  int64_t rowLoop = -1, keyLoop = -1;
  /// Attention's query-head loop and its query heads per key/value head
  /// (0 when the head counts are dynamic); -1 for the others.
  int64_t headLoop = -1, groups = 0;
  /// For each loop, a tensor operand dimension of its extent.
  SmallVector<std::pair<unsigned, unsigned>> extents;
};

SmallVector<Value> tensorOperands(Operation *op) {
  SmallVector<Value> tensors;
  for (Value operand : op->getOperands())
    if (isa<RankedTensorType>(operand.getType()))
      tensors.push_back(operand);
  return tensors;
}

int64_t rankOf(Value v) { return cast<RankedTensorType>(v.getType()).getRank(); }

/// The map from `numLoops` loops to the dimensions `loops` (-1: constant 0).
AffineMap loopsMap(MLIRContext *ctx, unsigned numLoops,
                   ArrayRef<int64_t> loops) {
  SmallVector<AffineExpr> exprs;
  for (int64_t loop : loops)
    exprs.push_back(loop < 0 ? getAffineConstantExpr(0, ctx)
                             : getAffineDimExpr(loop, ctx));
  return AffineMap::get(numLoops, 0, exprs, ctx);
}

SmallVector<int64_t> range(int64_t begin, int64_t end) {
  return llvm::to_vector(llvm::seq<int64_t>(begin, end));
}

LoopNest buildLoopNest(Operation *op) {
  MLIRContext *ctx = op->getContext();
  LoopNest nest;
  // Rows parallel, the last dimension reduced; the result keeps it or not.
  auto overRows = [&](Value input, bool keepsLastDim) {
    int64_t r = rankOf(input);
    nest.iterators.assign(r, IteratorType::parallel);
    nest.iterators.back() = IteratorType::reduction;
    nest.operandMaps.push_back(AffineMap::getMultiDimIdentityMap(r, ctx));
    nest.resultMap = loopsMap(ctx, r, range(0, keepsLastDim ? r : r - 1));
    return r;
  };
  // An additive mask: [M, N] (the trailing dims) or of the input's shape.
  auto addRowMask = [&](Value mask, int64_t r) {
    if (mask)
      nest.operandMaps.push_back(loopsMap(ctx, r, range(r - rankOf(mask), r)));
  };
  auto causalRows = [&](bool causal, int64_t r) {
    if (causal) {
      nest.rowLoop = r - 2;
      nest.keyLoop = r - 1;
    }
  };
  TypeSwitch<Operation *>(op)
      .Case([&](MaskedMaxOp o) {
        addRowMask(o.getMask(), overRows(o.getScores(), false));
      })
      .Case([&](SumSqOp o) { overRows(o.getInput(), false); })
      .Case([&](XentOp o) {
        int64_t r = overRows(o.getP(), false);
        nest.operandMaps.push_back(AffineMap::getMultiDimIdentityMap(r, ctx));
      })
      .Case<SoftmaxOp, LogSoftmaxOp, LogSumExpOp>([&](auto o) {
        int64_t r = overRows(o.getInput(), !isa<LogSumExpOp>(o));
        addRowMask(o.getMask(), r);
        causalRows(o.getCausal(), r);
      })
      .Case([&](XentLogitsOp o) {
        int64_t r = overRows(o.getLogits(), false);
        nest.operandMaps.push_back(loopsMap(ctx, r, range(0, r - 1)));
        // A sum or mean over the rows reduces every loop into one value.
        if (o.getReduction() != Reduction::None) {
          nest.iterators.assign(r, IteratorType::reduction);
          nest.resultMap = AffineMap::get(r, 0, {}, ctx);
        }
      })
      .Case([&](AttentionOp o) {
        // Loops [B, H,] M, N, D, Dv: the leading dims, queries, keys,
        // features and value features.
        int64_t rank = rankOf(o.getQuery()), lead = rank - 2;
        int64_t m = lead, n = lead + 1, d = lead + 2, e = lead + 3;
        unsigned numLoops = rank + 2;
        nest.iterators.assign(numLoops, IteratorType::parallel);
        nest.iterators[n] = nest.iterators[d] = IteratorType::reduction;
        SmallVector<AffineExpr> leading;
        for (int64_t l = 0; l < lead; ++l)
          leading.push_back(getAffineDimExpr(l, ctx));
        SmallVector<AffineExpr> kvLeading(leading);
        if (rank >= 3) {
          nest.headLoop = rank - 3;
          int64_t hq = o.getQuery().getType().getDimSize(rank - 3);
          int64_t hkv = o.getKey().getType().getDimSize(rank - 3);
          if (!ShapedType::isDynamic(hq) && !ShapedType::isDynamic(hkv) &&
              hkv > 0) {
            nest.groups = hq / hkv;
            kvLeading.back() = kvLeading.back().floorDiv(nest.groups);
          } else {
            // Read whole until the group size is known (never tiled).
            kvLeading.back() = getAffineConstantExpr(0, ctx);
          }
        }
        auto withTail = [&](ArrayRef<AffineExpr> head,
                            ArrayRef<int64_t> tail) {
          SmallVector<AffineExpr> exprs(head);
          for (int64_t l : tail)
            exprs.push_back(getAffineDimExpr(l, ctx));
          return AffineMap::get(numLoops, 0, exprs, ctx);
        };
        nest.operandMaps.push_back(withTail(leading, {m, d}));
        nest.operandMaps.push_back(withTail(kvLeading, {n, d}));
        nest.operandMaps.push_back(withTail(kvLeading, {n, e}));
        if (Value mask = o.getMask()) {
          // Broadcast to the scores [B, H, M, N] by numpy rules.
          SmallVector<int64_t> scoreLoops = range(0, lead);
          scoreLoops.append({m, n});
          auto type = cast<RankedTensorType>(mask.getType());
          int64_t offset = rank - type.getRank();
          SmallVector<int64_t> loops;
          for (int64_t i = 0; i < type.getRank(); ++i)
            loops.push_back(type.getDimSize(i) == 1 ? -1
                                                    : scoreLoops[offset + i]);
          nest.operandMaps.push_back(loopsMap(ctx, numLoops, loops));
        }
        nest.resultMap = withTail(leading, {m, e});
        if (o.getCausal()) {
          nest.rowLoop = m;
          nest.keyLoop = n;
        }
      });
  // Each loop's extent: the first operand dimension that follows it alone.
  nest.extents.resize(nest.iterators.size(), {~0u, ~0u});
  for (auto [operand, map] : llvm::enumerate(nest.operandMaps))
    for (auto [dim, expr] : llvm::enumerate(map.getResults()))
      if (auto loop = dyn_cast<AffineDimExpr>(expr);
          loop && nest.extents[loop.getPosition()].first == ~0u)
        nest.extents[loop.getPosition()] = {unsigned(operand), unsigned(dim)};
  return nest;
}

/// Whether `size` is the whole of dimension `dim` of `tensor`: the same
/// constant, or a `tensor.dim` of it.
bool isWholeDim(OpFoldResult size, Value tensor, int64_t dim) {
  int64_t extent = cast<RankedTensorType>(tensor.getType()).getDimSize(dim);
  if (!ShapedType::isDynamic(extent))
    return isConstantIntValue(size, extent);
  auto value = dyn_cast_if_present<Value>(size);
  auto dimOp = value ? value.getDefiningOp<tensor::DimOp>() : tensor::DimOp();
  return dimOp && dimOp.getSource() == tensor &&
         isConstantIntValue(dimOp.getIndex(), dim);
}

/// The loop extents of `op` at `b`'s insertion point.
SmallVector<OpFoldResult> loopExtents(OpBuilder &b, Operation *op,
                                      const LoopNest &nest) {
  SmallVector<Value> tensors = tensorOperands(op);
  SmallVector<OpFoldResult> extents;
  for (auto [operand, dim] : nest.extents)
    extents.push_back(
        tensor::getMixedSize(b, op->getLoc(), tensors[operand], dim));
  return extents;
}

/// Which loops a tile of `offsets` and `sizes` covers whole.
SmallVector<bool> wholeLoops(Operation *op, const LoopNest &nest,
                             ArrayRef<OpFoldResult> offsets,
                             ArrayRef<OpFoldResult> sizes) {
  SmallVector<Value> tensors = tensorOperands(op);
  SmallVector<bool> whole;
  for (auto [loop, extent] : llvm::enumerate(nest.extents))
    whole.push_back(isConstantIntValue(offsets[loop], 0) &&
                    isWholeDim(sizes[loop], tensors[extent.first],
                               extent.second));
  return whole;
}

/// Why a tile of `op` cannot be the op on slices, or empty if it can.
std::string tileRefusal(const LoopNest &nest, ArrayRef<bool> whole,
                        ArrayRef<OpFoldResult> sizes) {
  for (auto [loop, iterator] : llvm::enumerate(nest.iterators))
    if (iterator == IteratorType::reduction && !whole[loop])
      return "cannot tile reduction loop " + std::to_string(loop) +
             " as a parallel loop (tile it as a partial reduction)";
  if (nest.headLoop >= 0 && !whole[nest.headLoop]) {
    std::optional<int64_t> size = getConstantIntValue(sizes[nest.headLoop]);
    int64_t g = nest.groups;
    if (g == 0)
      return "cannot tile the query heads while the head counts are dynamic";
    if (!size || (*size % g != 0 && g % *size != 0))
      return "cannot tile the query heads by a tile that is neither a "
             "multiple nor a divisor of the " +
             std::to_string(g) + " query heads per key/value head";
  }
  return "";
}

/// The tile [offsets, sizes) of `op`'s loops: the op on slices of its
/// operands, with the diagonal of a causal tile of rows moved.
FailureOr<TilingResult> tileOp(OpBuilder &b, Operation *op,
                               ArrayRef<OpFoldResult> offsets,
                               ArrayRef<OpFoldResult> sizes,
                               bool diagnose) {
  LoopNest nest = buildLoopNest(op);
  SmallVector<bool> whole = wholeLoops(op, nest, offsets, sizes);
  if (std::string why = tileRefusal(nest, whole, sizes); !why.empty()) {
    if (diagnose)
      op->emitOpError(why);
    return failure();
  }
  Location loc = op->getLoc();
  MLIRContext *ctx = op->getContext();
  TilingResult result;
  SmallVector<Value> tensors = tensorOperands(op);
  SmallVector<Value> sliced;
  for (auto [tensor, map] : llvm::zip_equal(tensors, nest.operandMaps)) {
    SmallVector<OpFoldResult> sliceOffsets, sliceSizes;
    bool isWhole = true;
    for (auto [dim, dimExpr] : llvm::enumerate(map.getResults())) {
      AffineExpr expr = dimExpr;
      // A dimension no tiled loop moves is read whole.
      bool moved = llvm::any_of(llvm::seq<unsigned>(0, whole.size()),
                                [&](unsigned l) {
                                  return !whole[l] && expr.isFunctionOfDim(l);
                                });
      if (!moved) {
        sliceOffsets.push_back(b.getIndexAttr(0));
        sliceSizes.push_back(tensor::getMixedSize(b, loc, tensor, dim));
        continue;
      }
      isWhole = false;
      if (auto loop = dyn_cast<AffineDimExpr>(expr)) {
        sliceOffsets.push_back(offsets[loop.getPosition()]);
        sliceSizes.push_back(sizes[loop.getPosition()]);
        continue;
      }
      // Grouped heads h floordiv G: the key/value heads of query heads
      // [o, o + s), a whole number of groups or a part of one.
      auto binary = cast<AffineBinaryOpExpr>(expr);
      unsigned loop = cast<AffineDimExpr>(binary.getLHS()).getPosition();
      AffineExpr s0 = getAffineSymbolExpr(0, ctx);
      sliceOffsets.push_back(affine::makeComposedFoldedAffineApply(
          b, loc, s0.floorDiv(nest.groups), {offsets[loop]}));
      sliceSizes.push_back(affine::makeComposedFoldedAffineApply(
          b, loc, s0.ceilDiv(nest.groups), {sizes[loop]}));
    }
    if (isWhole) {
      sliced.push_back(tensor);
      continue;
    }
    SmallVector<OpFoldResult> strides(sliceOffsets.size(), b.getIndexAttr(1));
    auto slice = tensor::ExtractSliceOp::create(b, loc, tensor, sliceOffsets,
                                                sliceSizes, strides);
    result.generatedSlices.push_back(slice);
    sliced.push_back(slice);
  }

  Value diagonalValue;
  if (nest.rowLoop >= 0 && !whole[nest.rowLoop]) {
    // d' = d + o, with d = N - M unless given.
    SmallVector<OpFoldResult> extents = loopExtents(b, op, nest);
    AffineExpr s0 = getAffineSymbolExpr(0, ctx), s1 = getAffineSymbolExpr(1, ctx),
               s2 = getAffineSymbolExpr(2, ctx);
    Value given = TypeSwitch<Operation *, Value>(op)
                      .Case<SoftmaxOp, LogSoftmaxOp, LogSumExpOp, AttentionOp>(
                          [](auto o) { return o.getDiagonal(); })
                      .Default([](Operation *) { return Value(); });
    OpFoldResult diagonal =
        given ? affine::makeComposedFoldedAffineApply(
                    b, loc, s0 + s1, {given, offsets[nest.rowLoop]})
              : affine::makeComposedFoldedAffineApply(
                    b, loc, s0 - s1 + s2,
                    {extents[nest.keyLoop], extents[nest.rowLoop],
                     offsets[nest.rowLoop]});
    diagonalValue = getValueOrCreateConstantIndexOp(b, loc, diagonal);
  }
  Operation *tiled = b.clone(*op);
  unsigned next = 0;
  for (OpOperand &operand : tiled->getOpOperands())
    if (isa<RankedTensorType>(operand.get().getType()))
      operand.set(sliced[next++]);
  if (diagonalValue)
    TypeSwitch<Operation *>(tiled)
        .Case<SoftmaxOp, LogSoftmaxOp, LogSumExpOp, AttentionOp>(
            [&](auto o) { o.getDiagonalMutable().assign(diagonalValue); });
  // The tile's result type follows from its operands.
  SmallVector<Type> types;
  if (failed(cast<InferTypeOpInterface>(tiled).inferReturnTypes(
          ctx, loc, tiled->getOperands(), tiled->getRawDictionaryAttrs(),
          tiled->getPropertiesStorage(), tiled->getRegions(), types)))
    return failure();
  tiled->getResult(0).setType(types.front());
  result.tiledOps.push_back(tiled);
  result.tiledValues.push_back(tiled->getResult(0));
  return result;
}

SmallVector<IteratorType> loopIteratorTypes(Operation *op) {
  return buildLoopNest(op).iterators;
}

SmallVector<Range> iterationDomain(Operation *op, OpBuilder &b) {
  LoopNest nest = buildLoopNest(op);
  SmallVector<Range> domain;
  for (OpFoldResult extent : loopExtents(b, op, nest))
    domain.push_back(Range{b.getIndexAttr(0), extent, b.getIndexAttr(1)});
  return domain;
}

LogicalResult resultTilePosition(Operation *op, ArrayRef<OpFoldResult> offsets,
                                 ArrayRef<OpFoldResult> sizes,
                                 SmallVector<OpFoldResult> &resultOffsets,
                                 SmallVector<OpFoldResult> &resultSizes) {
  for (AffineExpr expr : buildLoopNest(op).resultMap.getResults()) {
    unsigned loop = cast<AffineDimExpr>(expr).getPosition();
    resultOffsets.push_back(offsets[loop]);
    resultSizes.push_back(sizes[loop]);
  }
  return success();
}

/// The loops that compute the result tile [offsets, sizes): the result's
/// loops as given, every other loop whole.
LogicalResult domainTileOfResultTile(OpBuilder &b, Operation *op,
                                     ArrayRef<OpFoldResult> offsets,
                                     ArrayRef<OpFoldResult> sizes,
                                     SmallVectorImpl<OpFoldResult> &loopOffsets,
                                     SmallVectorImpl<OpFoldResult> &loopSizes) {
  LoopNest nest = buildLoopNest(op);
  loopSizes.assign(loopExtents(b, op, nest));
  loopOffsets.assign(loopSizes.size(), b.getIndexAttr(0));
  for (auto [dim, expr] : llvm::enumerate(nest.resultMap.getResults())) {
    unsigned loop = cast<AffineDimExpr>(expr).getPosition();
    loopOffsets[loop] = offsets[dim];
    loopSizes[loop] = sizes[dim];
  }
  return success();
}

FailureOr<TilingResult> resultTileValue(OpBuilder &b, Operation *op,
                                        ArrayRef<OpFoldResult> offsets,
                                        ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> loopOffsets, loopSizes;
  if (failed(domainTileOfResultTile(b, op, offsets, sizes, loopOffsets,
                                    loopSizes)))
    return failure();
  return tileOp(b, op, loopOffsets, loopSizes, /*diagnose=*/false);
}

LogicalResult reifyShapes(Operation *op, OpBuilder &b,
                          ReifiedRankedShapedTypeDims &shapes) {
  LoopNest nest = buildLoopNest(op);
  SmallVector<OpFoldResult> extents = loopExtents(b, op, nest);
  SmallVector<OpFoldResult> &shape = shapes.emplace_back();
  for (AffineExpr expr : nest.resultMap.getResults())
    shape.push_back(extents[cast<AffineDimExpr>(expr).getPosition()]);
  return success();
}

} // namespace

// Every op's interface methods are those of its loop nest.
#define ATTN_STRUCTURED_OP_METHODS(OP)                                         \
  SmallVector<IteratorType> OP::getLoopIteratorTypes() {                       \
    return loopIteratorTypes(*this);                                           \
  }                                                                            \
  SmallVector<Range> OP::getIterationDomain(OpBuilder &b) {                    \
    return iterationDomain(*this, b);                                          \
  }                                                                            \
  FailureOr<TilingResult> OP::getTiledImplementation(                          \
      OpBuilder &b, ArrayRef<OpFoldResult> offsets,                            \
      ArrayRef<OpFoldResult> sizes) {                                          \
    return tileOp(b, *this, offsets, sizes, /*diagnose=*/true);                \
  }                                                                            \
  LogicalResult OP::getResultTilePosition(                                     \
      OpBuilder &, unsigned, ArrayRef<OpFoldResult> offsets,                   \
      ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,  \
      SmallVector<OpFoldResult> &resultSizes) {                                \
    return resultTilePosition(*this, offsets, sizes, resultOffsets,            \
                              resultSizes);                                    \
  }                                                                            \
  LogicalResult OP::getIterationDomainTileFromResultTile(                      \
      OpBuilder &b, unsigned, ArrayRef<OpFoldResult> offsets,                  \
      ArrayRef<OpFoldResult> sizes,                                            \
      SmallVectorImpl<OpFoldResult> &loopOffsets,                              \
      SmallVectorImpl<OpFoldResult> &loopSizes) {                              \
    return domainTileOfResultTile(b, *this, offsets, sizes, loopOffsets,       \
                                  loopSizes);                                  \
  }                                                                            \
  FailureOr<TilingResult> OP::generateResultTileValue(                         \
      OpBuilder &b, unsigned, ArrayRef<OpFoldResult> offsets,                  \
      ArrayRef<OpFoldResult> sizes) {                                          \
    return resultTileValue(b, *this, offsets, sizes);                          \
  }                                                                            \
  LogicalResult OP::reifyResultShapes(OpBuilder &b,                            \
                                      ReifiedRankedShapedTypeDims &shapes) {   \
    return reifyShapes(*this, b, shapes);                                      \
  }

ATTN_STRUCTURED_OP_METHODS(MaskedMaxOp)
ATTN_STRUCTURED_OP_METHODS(SumSqOp)
ATTN_STRUCTURED_OP_METHODS(XentOp)
ATTN_STRUCTURED_OP_METHODS(SoftmaxOp)
ATTN_STRUCTURED_OP_METHODS(LogSumExpOp)
ATTN_STRUCTURED_OP_METHODS(LogSoftmaxOp)
ATTN_STRUCTURED_OP_METHODS(XentLogitsOp)
ATTN_STRUCTURED_OP_METHODS(AttentionOp)

#undef ATTN_STRUCTURED_OP_METHODS
