//===- TilingInterfaceImpl.cpp - attn ops as tileable structured ops ------===//
//
// Each attn op is described by its loop nest, as a linalg.generic would be:
// the loops' iterator types and, for each tensor operand and each result,
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
// reductions (the second half of this file) are for. The exception is
// attn.online_attention's key loop: the op updates its destination (the
// online state), so a loop of its key tiles threads the state through.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Dialect/Attn/AttnOps.h"
#include "AttnDialect/Dialect/Attn/AttnUtils.h"
#include "LoopNest.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::attn;

namespace mlir::attn::detail {

SmallVector<Value> tensorOperands(Operation *op) {
  SmallVector<Value> tensors;
  for (Value operand : op->getOperands())
    if (isa<RankedTensorType>(operand.getType()))
      tensors.push_back(operand);
  return tensors;
}

int64_t rankOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getRank();
}

SmallVector<int64_t> range(int64_t begin, int64_t end) {
  return llvm::to_vector(llvm::seq<int64_t>(begin, end));
}

/// Attention's loops [B, H,] M, N, D, Dv (the leading dims, queries, keys,
/// features and value features), forward or backward, and how its tensors
/// are read over them.
struct AttentionLoops {
  MLIRContext *ctx;
  int64_t rank, lead, m, n, d, e;
  unsigned numLoops;
  /// The leading loops of the query side, and of the key/value side
  /// (grouped heads `h floordiv G`, or a constant while G is unknown).
  SmallVector<AffineExpr> leading, kvLeading;

  AttentionLoops(LoopNest &nest, Value query, Value key)
      : ctx(query.getContext()), rank(rankOf(query)), lead(rank - 2), m(lead),
        n(lead + 1), d(lead + 2), e(lead + 3), numLoops(rank + 2) {
    for (int64_t l = 0; l < lead; ++l)
      leading.push_back(getAffineDimExpr(l, ctx));
    kvLeading = leading;
    if (rank < 3)
      return;
    nest.headLoop = rank - 3;
    int64_t hq = cast<RankedTensorType>(query.getType()).getDimSize(rank - 3);
    int64_t hkv = cast<RankedTensorType>(key.getType()).getDimSize(rank - 3);
    if (!ShapedType::isDynamic(hq) && !ShapedType::isDynamic(hkv) && hkv > 0) {
      nest.groups = hq / hkv;
      kvLeading.back() = kvLeading.back().floorDiv(nest.groups);
    } else {
      // Read whole until the group size is known (never tiled).
      kvLeading.back() = getAffineConstantExpr(0, ctx);
    }
  }

  /// The map of a tensor read by the query-side (or key/value-side) leading
  /// loops, then `tail`.
  AffineMap map(bool kv, ArrayRef<int64_t> tail) const {
    SmallVector<AffineExpr> exprs(kv ? kvLeading : leading);
    for (int64_t l : tail)
      exprs.push_back(getAffineDimExpr(l, ctx));
    return AffineMap::get(numLoops, 0, exprs, ctx);
  }

  /// The maps of the optional operands, in operand order: the mask
  /// broadcast to the scores [B, H, M, N] by numpy rules, ALiBi's slopes
  /// (one per query head), the block mask and dropout's generator state
  /// (read whole by every tile: a block mask's tiles are blocks of the
  /// whole).
  void appendOptional(LoopNest &nest, Value mask, Value slopes, Value blockMask,
                      Value rng) const {
    if (mask) {
      SmallVector<int64_t> scoreLoops = range(0, lead);
      scoreLoops.append({m, n});
      auto type = cast<RankedTensorType>(mask.getType());
      int64_t offset = rank - type.getRank();
      SmallVector<int64_t> loops;
      for (int64_t i = 0; i < type.getRank(); ++i)
        loops.push_back(type.getDimSize(i) == 1 ? -1 : scoreLoops[offset + i]);
      nest.operandMaps.push_back(dimsMap(ctx, numLoops, loops));
    }
    if (slopes)
      nest.operandMaps.push_back(
          dimsMap(ctx, numLoops, {rank >= 3 ? rank - 3 : -1}));
    if (blockMask)
      nest.operandMaps.push_back(dimsMap(
          ctx, numLoops,
          SmallVector<int64_t>(
              cast<RankedTensorType>(blockMask.getType()).getRank(), -1)));
    if (rng)
      nest.operandMaps.push_back(dimsMap(ctx, numLoops, {-1}));
  }
};

SmallVector<Type> inferredResultTypes(Operation *op) {
  SmallVector<Type> types;
  if (failed(cast<InferTypeOpInterface>(op).inferReturnTypes(
          op->getContext(), op->getLoc(), op->getOperands(),
          op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
          op->getRegions(), types)))
    llvm_unreachable("a verified op's parts and slices infer their types");
  return types;
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
    nest.resultMaps = {dimsMap(ctx, r, range(0, keepsLastDim ? r : r - 1))};
    return r;
  };
  // An additive mask: [M, N] (the trailing dims) or of the input's shape.
  auto addRowMask = [&](Value mask, int64_t r) {
    if (mask)
      nest.operandMaps.push_back(dimsMap(ctx, r, range(r - rankOf(mask), r)));
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
        // Class indices per row, or class probabilities of the logits' shape.
        nest.operandMaps.push_back(
            dimsMap(ctx, r, range(0, rankOf(o.getTarget()))));
        if (o.getWeight()) // one per class
          nest.operandMaps.push_back(dimsMap(ctx, r, {r - 1}));
        // A sum or mean over the rows reduces every loop into one value.
        if (o.getReduction() != Reduction::None) {
          nest.iterators.assign(r, IteratorType::reduction);
          nest.resultMaps = {AffineMap::get(r, 0, {}, ctx)};
        }
      })
      .Case<SoftmaxBackwardOp, LogSoftmaxBackwardOp>([&](auto o) {
        // grad and output alike: dx_j needs the row's sum of dy y.
        int64_t r = rankOf(o.getOutput());
        nest.iterators.assign(r, IteratorType::parallel);
        nest.iterators.back() = IteratorType::reduction;
        AffineMap id = AffineMap::getMultiDimIdentityMap(r, ctx);
        nest.operandMaps = {id, id};
        nest.resultMaps = {id};
      })
      .Case([&](LogSumExpBackwardOp o) {
        // Elementwise, given the row's lse: every loop parallel.
        int64_t r = rankOf(o.getInput());
        nest.iterators.assign(r, IteratorType::parallel);
        AffineMap id = AffineMap::getMultiDimIdentityMap(r, ctx);
        AffineMap rows = dimsMap(ctx, r, range(0, r - 1));
        nest.operandMaps = {rows, id, rows};
        addRowMask(o.getMask(), r);
        nest.resultMaps = {id};
        causalRows(o.getCausal(), r);
      })
      .Case([&](SumSqBackwardOp o) {
        int64_t r = rankOf(o.getInput());
        nest.iterators.assign(r, IteratorType::parallel);
        nest.operandMaps = {dimsMap(ctx, r, range(0, r - 1)),
                            AffineMap::getMultiDimIdentityMap(r, ctx)};
        nest.resultMaps = {nest.operandMaps.back()};
      })
      .Case([&](MaskedMaxBackwardOp o) {
        // The row's first maximizing entry is a reduction over the row.
        int64_t r = rankOf(o.getScores());
        nest.iterators.assign(r, IteratorType::parallel);
        nest.iterators.back() = IteratorType::reduction;
        AffineMap id = AffineMap::getMultiDimIdentityMap(r, ctx);
        AffineMap rows = dimsMap(ctx, r, range(0, r - 1));
        nest.operandMaps = {rows, id};
        addRowMask(o.getMask(), r);
        nest.operandMaps.push_back(rows);
        nest.resultMaps = {id};
      })
      .Case([&](XentBackwardOp o) {
        int64_t r = rankOf(o.getP());
        nest.iterators.assign(r, IteratorType::parallel);
        AffineMap id = AffineMap::getMultiDimIdentityMap(r, ctx);
        nest.operandMaps = {dimsMap(ctx, r, range(0, r - 1)), id, id};
        nest.resultMaps = {id, id};
      })
      .Case([&](XentLogitsBackwardOp o) {
        int64_t r = rankOf(o.getLogits());
        AffineMap id = AffineMap::getMultiDimIdentityMap(r, ctx);
        AffineMap rows = dimsMap(ctx, r, range(0, r - 1));
        nest.iterators.assign(r, IteratorType::parallel);
        nest.iterators.back() = IteratorType::reduction;
        // A mean divides by the kept rows of every row: nothing is parallel.
        if (o.getReduction() == Reduction::Mean)
          nest.iterators.assign(r, IteratorType::reduction);
        nest.operandMaps = {o.getReduction() == Reduction::None
                                ? rows
                                : AffineMap::get(r, 0, {}, ctx),
                            id, rankOf(o.getTarget()) == r ? id : rows};
        if (o.getWeight()) // one per class
          nest.operandMaps.push_back(dimsMap(ctx, r, {r - 1}));
        nest.resultMaps = {id};
      })
      .Case<AttentionOp, OnlineAttentionOp>([&](auto o) {
        AttentionLoops a(nest, o.getQuery(), o.getKey());
        nest.iterators.assign(a.numLoops, IteratorType::parallel);
        nest.iterators[a.n] = nest.iterators[a.d] = IteratorType::reduction;
        nest.operandMaps = {a.map(false, {a.m, a.d}), a.map(true, {a.n, a.d}),
                            a.map(true, {a.n, a.e})};
        Value blockMask;
        if constexpr (std::is_same_v<decltype(o), AttentionOp>)
          blockMask = o.getBlockMask();
        a.appendOptional(nest, o.getMask(), o.getAlibiSlopes(), blockMask,
                         o.getRng());
        AffineMap outputMap = a.map(false, {a.m, a.e});
        nest.resultMaps = {outputMap};
        if constexpr (std::is_same_v<decltype(o), AttentionOp>)
          if (o.getWithLse())
            nest.resultMaps.push_back(a.map(false, {a.m}));
        if constexpr (std::is_same_v<decltype(o), OnlineAttentionOp>) {
          // The state acc [.., M, Dv], max and sum [.., M], updated in
          // place: its key loop tiles as steps in turn.
          AffineMap rowMap = a.map(false, {a.m});
          nest.operandMaps.append({outputMap, rowMap, rowMap});
          nest.resultMaps = {outputMap, rowMap, rowMap};
          nest.accumulatingLoop = a.n;
        }
        // Scores placed by the diagonal: tiles move it.
        if (o.getCausal() || o.getWindow() || o.getAlibiSlopes()) {
          nest.rowLoop = a.m;
          nest.keyLoop = a.n;
        }
        nest.partialLoop = a.n;
      })
      .Case([&](AttentionBackwardOp o) {
        // Attention's loops (ShardingInterface only): dQ reduces over the
        // keys, dK and dV over the queries.
        AttentionLoops a(nest, o.getQuery(), o.getKey());
        nest.iterators.assign(a.numLoops, IteratorType::reduction);
        for (int64_t l = 0; l < a.lead; ++l)
          nest.iterators[l] = IteratorType::parallel;
        // dO, q, k, v, O, lse.
        AffineMap rowOut = a.map(false, {a.m, a.e});
        nest.operandMaps = {rowOut,
                            a.map(false, {a.m, a.d}),
                            a.map(true, {a.n, a.d}),
                            a.map(true, {a.n, a.e}),
                            rowOut,
                            a.map(false, {a.m})};
        a.appendOptional(nest, o.getMask(), o.getAlibiSlopes(),
                         o.getBlockMask(), o.getRng());
        nest.resultMaps = {a.map(false, {a.m, a.d}), a.map(true, {a.n, a.d}),
                           a.map(true, {a.n, a.e})};
        if (o.getCausal() || o.getWindow() || o.getAlibiSlopes()) {
          nest.rowLoop = a.m;
          nest.keyLoop = a.n;
        }
        nest.partialLoop = a.n;
      })
      .Case([&](LinearXentBackwardOp o) {
        // Loops N, V, D (ShardingInterface only): each gradient reduces over
        // one of them (dhidden over the classes, dclassifier and dbias over
        // the tokens, the logits over the features).
        nest.iterators.assign(3, IteratorType::reduction);
        nest.operandMaps = {o.getReduction() == Reduction::None
                                ? dimsMap(ctx, 3, {0})
                                : AffineMap::get(3, 0, {}, ctx),
                            dimsMap(ctx, 3, {0, 2}), dimsMap(ctx, 3, {1, 2}),
                            dimsMap(ctx, 3, {0}), dimsMap(ctx, 3, {0})};
        if (o.getBias())
          nest.operandMaps.push_back(dimsMap(ctx, 3, {1}));
        if (o.getWeight())
          nest.operandMaps.push_back(dimsMap(ctx, 3, {1}));
        nest.resultMaps = {dimsMap(ctx, 3, {0, 2}), dimsMap(ctx, 3, {1, 2})};
        if (o.getGradBias())
          nest.resultMaps.push_back(dimsMap(ctx, 3, {1}));
        nest.partialLoop = 1;
      })
      .Case([&](LinearXentOp o) {
        // Loops N, V, D (ShardingInterface only): tokens, classes, features.
        nest.iterators = {o.getReduction() == Reduction::None
                              ? IteratorType::parallel
                              : IteratorType::reduction,
                          IteratorType::reduction, IteratorType::reduction};
        nest.operandMaps = {dimsMap(ctx, 3, {0, 2}), dimsMap(ctx, 3, {1, 2}),
                            dimsMap(ctx, 3, {0})};
        if (o.getBias())
          nest.operandMaps.push_back(dimsMap(ctx, 3, {1}));
        if (o.getWeight())
          nest.operandMaps.push_back(dimsMap(ctx, 3, {1}));
        nest.resultMaps = {o.getReduction() == Reduction::None
                               ? dimsMap(ctx, 3, {0})
                               : AffineMap::get(3, 0, {}, ctx)};
        if (o.getWithLse())
          nest.resultMaps.push_back(dimsMap(ctx, 3, {0}));
        nest.partialLoop = 1;
      });
  if (nest.partialLoop < 0)
    nest.partialLoop = nest.iterators.size() - 1;
  // Each loop's extent: the first operand dimension that follows it alone.
  nest.extents.resize(nest.iterators.size(), {~0u, ~0u});
  for (auto [operand, map] : llvm::enumerate(nest.operandMaps))
    for (auto [dim, expr] : llvm::enumerate(map.getResults()))
      if (auto loop = dyn_cast<AffineDimExpr>(expr);
          loop && nest.extents[loop.getPosition()].first == ~0u)
        nest.extents[loop.getPosition()] = {unsigned(operand), unsigned(dim)};
  return nest;
}

} // namespace mlir::attn::detail

using namespace mlir::attn::detail;

namespace {

/// Whether `size` is the whole of dimension `dim` of `tensor`: the same
/// constant, a `tensor.dim` of it, or the size it was sliced or made with.
bool isWholeDim(OpFoldResult size, Value tensor, int64_t dim) {
  int64_t extent = cast<RankedTensorType>(tensor.getType()).getDimSize(dim);
  if (!ShapedType::isDynamic(extent))
    return isConstantIntValue(size, extent);
  auto value = dyn_cast_if_present<Value>(size);
  auto dimOp = value ? value.getDefiningOp<tensor::DimOp>() : tensor::DimOp();
  if (dimOp && dimOp.getSource() == tensor &&
      isConstantIntValue(dimOp.getIndex(), dim))
    return true;
  // The size a slice or an empty tensor was made with (a tensor.dim of it
  // folds to that).
  SmallVector<OpFoldResult> made;
  if (auto slice = tensor.getDefiningOp<tensor::ExtractSliceOp>();
      slice && slice.getSourceType().getRank() ==
                   cast<RankedTensorType>(tensor.getType()).getRank())
    made = slice.getMixedSizes();
  else if (auto empty = tensor.getDefiningOp<tensor::EmptyOp>())
    made = empty.getMixedSizes();
  return !made.empty() && isEqualConstantIntOrValue(size, made[dim]);
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
    whole.push_back(
        isConstantIntValue(offsets[loop], 0) &&
        isWholeDim(sizes[loop], tensors[extent.first], extent.second));
  return whole;
}

/// Why a tile of `op` cannot be the op on slices, or empty if it can.
std::string tileRefusal(const LoopNest &nest, ArrayRef<bool> whole,
                        ArrayRef<OpFoldResult> sizes) {
  for (auto [loop, iterator] : llvm::enumerate(nest.iterators))
    if (iterator == IteratorType::reduction && !whole[loop] &&
        int64_t(loop) != nest.accumulatingLoop)
      return "cannot tile reduction loop " + std::to_string(loop) +
             " as a parallel loop (tile it as a partial reduction)";
  // An op that updates its destinations (online attention's state) reads
  // each result's old value once: a tiled loop that a result does not follow
  // would update it once per tile.
  if (nest.accumulatingLoop >= 0)
    for (unsigned loop = 0, e = whole.size(); loop < e; ++loop)
      if (!whole[loop] && int64_t(loop) != nest.accumulatingLoop &&
          llvm::any_of(nest.resultMaps, [&](AffineMap map) {
            return !map.isFunctionOfDim(loop);
          }))
        return "cannot tile loop " + std::to_string(loop) +
               ": a result it does not index would be updated once per tile";
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

/// Slices of `op`'s tensor operands read by the loops [offsets, sizes)
/// (`whole` says which loops the tile covers whole).
SmallVector<Value>
sliceOperands(OpBuilder &b, Operation *op, const LoopNest &nest,
              ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes,
              ArrayRef<bool> whole, SmallVectorImpl<Operation *> &slices) {
  Location loc = op->getLoc();
  MLIRContext *ctx = op->getContext();
  SmallVector<Value> sliced;
  for (auto [tensor, map] :
       llvm::zip_equal(tensorOperands(op), nest.operandMaps)) {
    SmallVector<OpFoldResult> sliceOffsets, sliceSizes;
    bool isWhole = true;
    for (auto [dim, dimExpr] : llvm::enumerate(map.getResults())) {
      AffineExpr expr = dimExpr;
      // A dimension no tiled loop moves is read whole.
      bool moved =
          llvm::any_of(llvm::seq<unsigned>(0, whole.size()), [&](unsigned l) {
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
    slices.push_back(slice);
    sliced.push_back(slice);
  }
  return sliced;
}

/// The causal diagonal of the tile whose rows and keys start at the loops'
/// `offsets`: key j' of the tile is key j' + k of the op and row i' is row
/// i' + o, so j' > i' + d' with d' = d + o - k (d = N - M unless given).
/// Null when the tile starts at the op's first row and key.
Value tileDiagonal(OpBuilder &b, Operation *op, const LoopNest &nest,
                   ArrayRef<OpFoldResult> offsets, ArrayRef<bool> whole) {
  if (nest.rowLoop < 0 || (whole[nest.rowLoop] && whole[nest.keyLoop]))
    return Value();
  Location loc = op->getLoc();
  MLIRContext *ctx = op->getContext();
  AffineExpr s0 = getAffineSymbolExpr(0, ctx), s1 = getAffineSymbolExpr(1, ctx),
             s2 = getAffineSymbolExpr(2, ctx), s3 = getAffineSymbolExpr(3, ctx);
  OpFoldResult rowOffset = offsets[nest.rowLoop],
               keyOffset = offsets[nest.keyLoop];
  Value given =
      TypeSwitch<Operation *, Value>(op)
          .Case<SoftmaxOp, LogSoftmaxOp, LogSumExpOp, LogSumExpBackwardOp,
                AttentionOp, OnlineAttentionOp>(
              [](auto o) { return o.getDiagonal(); })
          .Default([](Operation *) { return Value(); });
  OpFoldResult diagonal;
  if (given) {
    diagonal = affine::makeComposedFoldedAffineApply(
        b, loc, s0 + s1 - s2, {given, rowOffset, keyOffset});
  } else {
    SmallVector<OpFoldResult> extents = loopExtents(b, op, nest);
    diagonal = affine::makeComposedFoldedAffineApply(
        b, loc, s0 - s1 + s2 - s3,
        {extents[nest.keyLoop], extents[nest.rowLoop], rowOffset, keyOffset});
  }
  return getValueOrCreateConstantIndexOp(b, loc, diagonal);
}

/// `op` on the tile [offsets, sizes) of its loops: the op on slices of its
/// operands, with a causal diagonal moved to the tile's first row and key.
Operation *cloneOnTile(OpBuilder &b, Operation *op, const LoopNest &nest,
                       ArrayRef<OpFoldResult> offsets,
                       ArrayRef<OpFoldResult> sizes, ArrayRef<bool> whole,
                       SmallVectorImpl<Operation *> &slices) {
  SmallVector<Value> sliced =
      sliceOperands(b, op, nest, offsets, sizes, whole, slices);
  Value diagonal = tileDiagonal(b, op, nest, offsets, whole);
  Operation *tiled = b.clone(*op);
  unsigned next = 0;
  for (OpOperand &operand : tiled->getOpOperands())
    if (isa<RankedTensorType>(operand.get().getType()))
      operand.set(sliced[next++]);
  // Dropout draws from the scores' indices in the whole attention: the
  // tile's first score is `offsets` further.
  if (auto online = dyn_cast<OnlineAttentionOp>(tiled);
      online && !online.getOrigin().empty()) {
    int64_t lead = rankOf(online.getQuery()) - 2;
    SmallVector<int64_t> loops{lead >= 2 ? 0 : -1, lead >= 1 ? lead - 1 : -1,
                               lead, lead + 1};
    SmallVector<Value> origin(online.getOrigin());
    AffineExpr s0 = getAffineSymbolExpr(0, b.getContext()),
               s1 = getAffineSymbolExpr(1, b.getContext());
    for (auto [value, loop] : llvm::zip_equal(origin, loops))
      if (loop >= 0 && !isConstantIntValue(offsets[loop], 0))
        value = getValueOrCreateConstantIndexOp(
            b, op->getLoc(),
            affine::makeComposedFoldedAffineApply(b, op->getLoc(), s0 + s1,
                                                  {value, offsets[loop]}));
    online.getOriginMutable().assign(origin);
  }
  if (diagonal)
    TypeSwitch<Operation *>(tiled)
        .Case<SoftmaxOp, LogSoftmaxOp, LogSumExpOp, LogSumExpBackwardOp,
              AttentionOp, OnlineAttentionOp>(
            [&](auto o) { o.getDiagonalMutable().assign(diagonal); });
  // The tile's result types are its destinations', or follow from its
  // operands.
  if (auto dps = dyn_cast<DestinationStyleOpInterface>(tiled)) {
    for (auto [result, init] :
         llvm::zip_equal(tiled->getResults(), dps.getDpsInits()))
      result.setType(init.getType());
    return tiled;
  }
  for (auto [result, type] :
       llvm::zip_equal(tiled->getResults(), inferredResultTypes(tiled)))
    result.setType(type);
  return tiled;
}

/// The tile [offsets, sizes) of `op`'s parallel loops.
FailureOr<TilingResult> tileOp(OpBuilder &b, Operation *op,
                               ArrayRef<OpFoldResult> offsets,
                               ArrayRef<OpFoldResult> sizes, bool diagnose) {
  LoopNest nest = buildLoopNest(op);
  SmallVector<bool> whole = wholeLoops(op, nest, offsets, sizes);
  std::string why = tileRefusal(nest, whole, sizes);
  if (auto attention = dyn_cast<AttentionOp>(op);
      why.empty() && attention &&
      (attention.getRng() || !attention.getScoreMod().empty() ||
       !attention.getMaskMod().empty() || attention.getBlockMask()) &&
      llvm::is_contained(whole, false))
    why = "cannot tile an attention with dropout, a score_mod or mask_mod "
          "region or a block mask (tile its online form, whose tiles know "
          "where their scores are)";
  if (!why.empty()) {
    if (diagnose)
      op->emitOpError(why);
    return failure();
  }
  TilingResult result;
  Operation *tiled =
      cloneOnTile(b, op, nest, offsets, sizes, whole, result.generatedSlices);
  result.tiledOps.push_back(tiled);
  llvm::append_range(result.tiledValues, tiled->getResults());
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

LogicalResult resultTilePosition(Operation *op, unsigned resultNumber,
                                 ArrayRef<OpFoldResult> offsets,
                                 ArrayRef<OpFoldResult> sizes,
                                 SmallVector<OpFoldResult> &resultOffsets,
                                 SmallVector<OpFoldResult> &resultSizes) {
  for (AffineExpr expr :
       buildLoopNest(op).resultMaps[resultNumber].getResults()) {
    unsigned loop = cast<AffineDimExpr>(expr).getPosition();
    resultOffsets.push_back(offsets[loop]);
    resultSizes.push_back(sizes[loop]);
  }
  return success();
}

/// The loops that compute the result tile [offsets, sizes): the result's
/// loops as given, every other loop whole.
LogicalResult domainTileOfResultTile(OpBuilder &b, Operation *op,
                                     unsigned resultNumber,
                                     ArrayRef<OpFoldResult> offsets,
                                     ArrayRef<OpFoldResult> sizes,
                                     SmallVectorImpl<OpFoldResult> &loopOffsets,
                                     SmallVectorImpl<OpFoldResult> &loopSizes) {
  LoopNest nest = buildLoopNest(op);
  loopSizes.assign(loopExtents(b, op, nest));
  loopOffsets.assign(loopSizes.size(), b.getIndexAttr(0));
  for (auto [dim, expr] :
       llvm::enumerate(nest.resultMaps[resultNumber].getResults())) {
    unsigned loop = cast<AffineDimExpr>(expr).getPosition();
    loopOffsets[loop] = offsets[dim];
    loopSizes[loop] = sizes[dim];
  }
  return success();
}

FailureOr<TilingResult> resultTileValue(OpBuilder &b, Operation *op,
                                        unsigned resultNumber,
                                        ArrayRef<OpFoldResult> offsets,
                                        ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> loopOffsets, loopSizes;
  if (failed(domainTileOfResultTile(b, op, resultNumber, offsets, sizes,
                                    loopOffsets, loopSizes)))
    return failure();
  return tileOp(b, op, loopOffsets, loopSizes, /*diagnose=*/false);
}

LogicalResult reifyShapes(Operation *op, OpBuilder &b,
                          ReifiedRankedShapedTypeDims &shapes) {
  LoopNest nest = buildLoopNest(op);
  SmallVector<OpFoldResult> extents = loopExtents(b, op, nest);
  for (AffineMap map : nest.resultMaps) {
    SmallVector<OpFoldResult> &shape = shapes.emplace_back();
    for (AffineExpr expr : map.getResults())
      shape.push_back(extents[cast<AffineDimExpr>(expr).getPosition()]);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Partial reductions over the last dimension
//===----------------------------------------------------------------------===//
//
// sum_sq, xent, masked_max and logsumexp reduce the terms of a row with one
// associative combiner, so a row splits into partial results merged by the
// same combiner:
// - outer-parallel (`tile_reduction_using_forall`): chunk k of the row is
//   the op on that chunk (its causal diagonal moved by the chunk's first
//   key), written to slot k of a [..., chunks] tensor;
// - outer-reduction (`tile_reduction_using_for`): a loop over chunks of T
//   keys accumulates entry k T + t into lane t of a [..., T] tensor, a
//   linalg.generic of the op's terms;
// and the merge reduces the slots or lanes: a sum, a max, or (logsumexp) a
// logsumexp of the partial logsumexps, exact for any row: a lane adds a term
// x as acc' = ms + log(exp(acc - ms) + exp(x - ms)), ms = max(acc, x) (0 when
// both are -inf, which keeps an empty lane -inf).

enum class Combiner { Add, Max, LogAddExp };

Combiner combinerOf(Operation *op) {
  return TypeSwitch<Operation *, Combiner>(op)
      .Case<SumSqOp, XentOp>([](auto) { return Combiner::Add; })
      .Case([](MaskedMaxOp) { return Combiner::Max; })
      .Default([](Operation *) { return Combiner::LogAddExp; });
}

Value identityOf(OpBuilder &b, Location loc, Combiner combiner, Type type) {
  return floatConstant(b, loc, type,
                       combiner == Combiner::Add
                           ? 0.0
                           : -std::numeric_limits<double>::infinity());
}

Value combine(OpBuilder &b, Location loc, Combiner combiner, Value acc,
              Value term) {
  switch (combiner) {
  case Combiner::Add:
    return arith::AddFOp::create(b, loc, acc, term);
  case Combiner::Max:
    return arith::MaximumFOp::create(b, loc, acc, term);
  case Combiner::LogAddExp: {
    // ms + log(exp(acc - ms) + exp(term - ms)), ms = max (0 if -inf).
    Type type = acc.getType();
    Value max = arith::MaximumFOp::create(b, loc, acc, term);
    Value isNegInf = arith::CmpFOp::create(
        b, loc, arith::CmpFPredicate::OEQ, max,
        floatConstant(b, loc, type, -std::numeric_limits<double>::infinity()));
    Value shift = arith::SelectOp::create(
        b, loc, isNegInf, floatConstant(b, loc, type, 0.0), max);
    Value sum = arith::AddFOp::create(
        b, loc,
        math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, acc, shift)),
        math::ExpOp::create(b, loc,
                            arith::SubFOp::create(b, loc, term, shift)));
    return arith::AddFOp::create(b, loc, shift,
                                 math::LogOp::create(b, loc, sum));
  }
  }
  llvm_unreachable("a combiner");
}

/// The term of one entry of a row: `args` are the tensor operands' elements,
/// `row` and `key` the entry's indices in the trailing [M, N] dims, against
/// the causal diagonal `diagonal`.
Value rowTerm(OpBuilder &b, Location loc, Operation *op, ValueRange args,
              Value row, Value key, Value diagonal) {
  Type type = args[0].getType();
  return TypeSwitch<Operation *, Value>(op)
      .Case([&](SumSqOp) {
        return arith::MulFOp::create(b, loc, args[0], args[0]);
      })
      .Case([&](MaskedMaxOp) {
        return arith::AddFOp::create(b, loc, args[0], args[1]);
      })
      .Case([&](XentOp) -> Value {
        // -q log p, exactly 0 where q == 0 (even where p == 0).
        Value zero = floatConstant(b, loc, type, 0.0);
        Value qIsZero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                              args[1], zero);
        Value term = arith::NegFOp::create(
            b, loc,
            arith::MulFOp::create(b, loc, args[1],
                                  math::LogOp::create(b, loc, args[0])));
        return arith::SelectOp::create(b, loc, qIsZero, zero, term);
      })
      .Case([&](LogSumExpOp o) -> Value {
        Value x = args[0];
        if (o.getMask())
          x = arith::AddFOp::create(b, loc, x, args[1]);
        if (!o.getCausal())
          return x;
        Value hidden =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, key,
                                  arith::AddIOp::create(b, loc, row, diagonal));
        return arith::SelectOp::create(
            b, loc, hidden,
            floatConstant(b, loc, type,
                          -std::numeric_limits<double>::infinity()),
            x);
      });
}

/// The maps from `op`'s loops to its partial results (before their slot or
/// lane dimension): the result's for a row reduction; attention's online
/// state acc [.., M, Dv], max and sum [.., M] (attn.online_attention's).
SmallVector<AffineMap> partialMaps(Operation *op, const LoopNest &nest) {
  if (isa<XentLogitsOp>(op)) {
    // The rows' partial logsumexp and picked logit (the sum or mean of a
    // reduction is the merge's).
    AffineMap rows = nest.operandMaps[1];
    return {rows, rows};
  }
  AffineMap result = nest.resultMaps.front();
  if (!isa<AttentionOp>(op))
    return {result};
  AffineMap rows = result.dropResult(result.getNumResults() - 1);
  return {result, rows, rows};
}

/// The value each partial result starts from: the combiner's identity, or
/// attention's state before any key (acc 0, max -inf, sum 0).
SmallVector<double> partialIdentities(Operation *op) {
  const double negInf = -std::numeric_limits<double>::infinity();
  if (isa<AttentionOp>(op))
    return {0.0, negInf, 0.0};
  if (isa<XentLogitsOp>(op))
    return {negInf, 0.0};
  return {combinerOf(op) == Combiner::Add ? 0.0 : negInf};
}

/// Why `op` cannot be split along `reductionDims`, or empty if it can.
std::string partialRefusal(Operation *op, const LoopNest &nest,
                           const SetVector<unsigned> &reductionDims) {
  Type type = getElementTypeOrSelf(op->getResult(0).getType());
  if (!type.isF32() && !type.isF64())
    return "splits f32 and f64 reductions only (f16 and bf16 sums are "
           "formed in f32 by the op itself)";
  if (auto attention = dyn_cast<AttentionOp>(op)) {
    if (attention.getWithLse())
      return "cannot split an attention 'with_lse' (its parts would each "
             "leave a logsumexp to merge)";
    if (attention.getRng())
      return "cannot split an attention with dropout";
    if (!attention.getScoreMod().empty() || !attention.getMaskMod().empty() ||
        attention.getBlockMask())
      return "cannot split an attention with a score_mod or mask_mod region "
             "or a block mask";
    if (reductionDims.size() != 1 ||
        int64_t(reductionDims.front()) != nest.partialLoop)
      return "splits its key loop (" + std::to_string(nest.partialLoop) +
             ") only";
    if (nest.headLoop >= 0 && nest.groups == 0)
      return "cannot split while the head counts are dynamic";
    return "";
  }
  if (auto xent = dyn_cast<XentLogitsOp>(op);
      xent && (xent.getWeight() || xent.getSoftcap() ||
               isa<FloatType>(getElementTypeOrSelf(xent.getTarget())) ||
               !xent.getLabelSmoothing().isZero() || !xent.getZLoss().isZero()))
    return "cannot split a cross-entropy with class probabilities, class "
           "weights, label smoothing, z-loss or softcap";
  if (reductionDims.size() != 1 ||
      int64_t(reductionDims.front()) != nest.partialLoop)
    return "splits its last loop (the reduction) only";
  return "";
}

/// Every partial result of `op` at its starting value, over the loop sizes
/// `sizes`: its dims (partialMaps), then, with `perPart`, one slot or lane
/// per part.
SmallVector<Value> startingPartials(OpBuilder &b, Location loc, Operation *op,
                                    const LoopNest &nest,
                                    ArrayRef<OpFoldResult> sizes,
                                    bool perPart) {
  Type type = getElementTypeOrSelf(op->getResult(0).getType());
  SmallVector<Value> partials;
  for (auto [map, identity] :
       llvm::zip_equal(partialMaps(op, nest), partialIdentities(op))) {
    SmallVector<OpFoldResult> shape;
    for (AffineExpr expr : map.getResults())
      shape.push_back(sizes[cast<AffineDimExpr>(expr).getPosition()]);
    if (perPart)
      shape.push_back(sizes[nest.partialLoop]);
    partials.push_back(
        filled(b, loc, shape, floatConstant(b, loc, type, identity)));
  }
  return partials;
}

FailureOr<SmallVector<Value>>
initialPartials(OpBuilder &b, Location loc, Operation *op,
                ArrayRef<OpFoldResult> sizes,
                const SetVector<unsigned> &reductionDims) {
  LoopNest nest = buildLoopNest(op);
  if (std::string why = partialRefusal(op, nest, reductionDims); !why.empty())
    return op->emitOpError(why);
  // Each partial's dims, then one slot or lane per chunk or key of a chunk.
  return startingPartials(b, loc, op, nest, sizes, /*perPart=*/true);
}

/// Where a chunk's partial result goes: its slot (outer-parallel), or the
/// lanes of its keys (outer-reduction).
void partialPosition(Operation *op, unsigned partial,
                     ReductionTilingStrategy strategy,
                     ArrayRef<OpFoldResult> offsets,
                     ArrayRef<OpFoldResult> sizes,
                     ArrayRef<OpFoldResult> splitReductionIvs,
                     SmallVector<OpFoldResult> &resultOffsets,
                     SmallVector<OpFoldResult> &resultSizes) {
  LoopNest nest = buildLoopNest(op);
  for (AffineExpr expr : partialMaps(op, nest)[partial].getResults()) {
    unsigned loop = cast<AffineDimExpr>(expr).getPosition();
    resultOffsets.push_back(offsets[loop]);
    resultSizes.push_back(sizes[loop]);
  }
  OpBuilder b(op->getContext());
  if (strategy == ReductionTilingStrategy::PartialReductionOuterParallel) {
    resultOffsets.push_back(splitReductionIvs.front());
    resultSizes.push_back(b.getIndexAttr(1));
  } else {
    resultOffsets.push_back(b.getIndexAttr(0));
    resultSizes.push_back(sizes[nest.partialLoop]);
  }
}

/// The lanes of partial result `partial` (of the loop-carried `init`) that
/// the chunk [offsets, sizes) accumulates into (outer-reduction).
Value laneSlice(OpBuilder &b, Location loc, Operation *op, unsigned partial,
                ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes,
                Value init, TilingResult &result) {
  SmallVector<OpFoldResult> laneOffsets, laneSizes;
  partialPosition(op, partial,
                  ReductionTilingStrategy::PartialReductionOuterReduction,
                  offsets, sizes, {}, laneOffsets, laneSizes);
  SmallVector<OpFoldResult> strides(laneOffsets.size(), b.getIndexAttr(1));
  auto slice = tensor::ExtractSliceOp::create(b, loc, init, laneOffsets,
                                              laneSizes, strides);
  result.generatedSlices.push_back(slice);
  return slice;
}

//===----------------------------------------------------------------------===//
// Partial reductions of attention over its keys
//===----------------------------------------------------------------------===//
//
// The keys a query row has seen leave it an online state (attn.online_
// attention's): the running max m of its scores, the sum l of exp(s - m)
// and the output acc = sum exp(s - m) v not yet divided by l. A row split
// over its keys keeps one state per part:
// - outer-parallel (`tile_reduction_using_forall`): chunk c of the keys is
//   attn.online_attention from the empty state, into slot c;
// - outer-reduction (`tile_reduction_using_for`): lane t of a [.., T] state
//   folds in keys t, T + t, ... of a loop over chunks of T keys, one key per
//   lane and chunk (m' = max(m, s), l' = alpha l + p, acc' = alpha acc +
//   p v, alpha = exp(m - m'), p = exp(s - m'));
// and the merge rescales every part to the row's max M = max_c m_c:
//   L = sum_c exp(m_c - M) l_c,  out = sum_c exp(m_c - M) acc_c / L,
// with M taken as 0 while -inf (a part that saw no key weighs 0) and a row
// with L = 0 (no key seen) given `masked_rows`.

FailureOr<TilingResult>
tileAttentionToPartial(OpBuilder &b, Location loc, AttentionOp op,
                       const LoopNest &nest, ReductionTilingStrategy strategy,
                       ValueRange init, ArrayRef<OpFoldResult> offsets,
                       ArrayRef<OpFoldResult> sizes, ArrayRef<bool> whole) {
  TilingResult result;
  // The chunk's keys are keys [0, size) of its slices: its diagonal moves.
  SmallVector<bool> shifted(whole);
  shifted[nest.partialLoop] = false;
  Type type = op.getResult().getType().getElementType();
  if (strategy == ReductionTilingStrategy::PartialReductionOuterParallel) {
    // The chunk's online state from the empty one, into its slot.
    SmallVector<Value> operands = sliceOperands(b, op, nest, offsets, sizes,
                                                whole, result.generatedSlices);
    SmallVector<Value> state =
        startingPartials(b, loc, op, nest, sizes, /*perPart=*/false);
    unsigned next = 3;
    Value mask = op.getMask() ? operands[next++] : Value();
    Value slopes = op.getAlibiSlopes() ? operands[next++] : Value();
    auto chunk = OnlineAttentionOp::create(
        b, loc, operands[0], operands[1], operands[2], mask, slopes,
        op.getScaleAttr(), op.getCausal(), op.getWindowAttr(),
        op.getSoftcapAttr(), tileDiagonal(b, op, nest, offsets, shifted),
        /*dropout_p=*/FloatAttr(), /*rng=*/Value(),
        /*origin=*/ValueRange(), state[0], state[1], state[2]);
    result.tiledOps.push_back(chunk);
    llvm::append_range(result.tiledValues, chunk->getResults());
    return result;
  }

  // Lane t of the state takes key t of the chunk: the chunk's attention
  // operands at rank 4 (through a transient attention on its slices, which
  // also gives the scale and the moved diagonal).
  SmallVector<Value> lanes;
  for (unsigned partial = 0; partial < 3; ++partial)
    lanes.push_back(
        laneSlice(b, loc, op, partial, offsets, sizes, init[partial], result));
  auto chunk = cast<AttentionOp>(cloneOnTile(b, op, nest, offsets, sizes,
                                             shifted, result.generatedSlices));
  FailureOr<AttentionOperands> a = prepareAttention(b, chunk);
  chunk->erase();
  if (failed(a))
    return failure();
  Value zeroIndex = arith::ConstantIndexOp::create(b, loc, 0);
  // s [B, H, m, T]: lane t's score.
  Value scores = queryKeyProduct(b, loc, *a, a->q, a->k);
  scores = maskedScores(b, loc, *a, scores, a->mask, zeroIndex, zeroIndex,
                        a->diagonal, a->scale);
  Value acc = expandToRank(b, loc, lanes[0], 5); // [B, H, m, Dv, T]
  Value max = expandToRank(b, loc, lanes[1], 4); // [B, H, m, T]
  Value sum = expandToRank(b, loc, lanes[2], 4);

  MLIRContext *ctx = b.getContext();
  AffineMap id4 = AffineMap::getMultiDimIdentityMap(4, ctx);
  AffineMap id5 = AffineMap::getMultiDimIdentityMap(5, ctx);
  AffineMap laneOf5 = dimsMap(ctx, 5, {0, 1, 2, 4});
  SmallVector<IteratorType> parallel4(4, IteratorType::parallel);
  SmallVector<IteratorType> parallel5(5, IteratorType::parallel);
  auto emptyLike = [&](Value x) -> Value {
    return tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, x),
                                   type);
  };
  auto max4 = [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
    return arith::MaximumFOp::create(nb, l, args[0], args[1]);
  };
  // m' = max(m, s)
  Value newMax = buildGeneric(b, loc, {max, scores}, {id4, id4}, emptyLike(max),
                              id4, parallel4, max4);
  // l' = exp(m - m') l + exp(s - m')
  Value newSum = buildGeneric(
      b, loc, {sum, max, scores, newMax}, {id4, id4, id4, id4}, emptyLike(sum),
      id4, parallel4, [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value alpha = expShifted(nb, l, args[1], args[3]);
        Value p = expShifted(nb, l, args[2], args[3]);
        return arith::AddFOp::create(
            nb, l, arith::MulFOp::create(nb, l, alpha, args[0]), p);
      });
  // acc' = exp(m - m') acc + exp(s - m') v, v of key t read as
  // (b, h floordiv G, t, e) over (b, h, i, e, t).
  Value newAcc = buildGeneric(
      b, loc, {acc, max, scores, newMax, a->v},
      {id5, laneOf5, laneOf5, laneOf5, groupedMap(ctx, 5, a->groups, 4, 3)},
      emptyLike(acc), id5, parallel5,
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value alpha = expShifted(nb, l, args[1], args[3]);
        Value p = expShifted(nb, l, args[2], args[3]);
        return arith::AddFOp::create(
            nb, l, arith::MulFOp::create(nb, l, alpha, args[0]),
            arith::MulFOp::create(nb, l, p, args[4]));
      });
  int64_t rank = op.getQuery().getType().getRank();
  for (auto [value, laneRank] : {std::pair<Value, int64_t>{newAcc, rank + 1},
                                 {newMax, rank},
                                 {newSum, rank}}) {
    result.tiledOps.push_back(value.getDefiningOp());
    result.tiledValues.push_back(collapseToRank(b, loc, value, laneRank));
  }
  return result;
}

FailureOr<MergeResult> mergeAttentionPartials(OpBuilder &b, Location loc,
                                              AttentionOp op,
                                              ValueRange partials) {
  MLIRContext *ctx = b.getContext();
  Type type = op.getResult().getType().getElementType();
  Value acc = expandToRank(b, loc, partials[0], 5); // [B, H, M, Dv, C]
  Value max = expandToRank(b, loc, partials[1], 4); // [B, H, M, C]
  Value sum = expandToRank(b, loc, partials[2], 4);
  SmallVector<OpFoldResult> rows = tensor::getMixedSizes(b, loc, max);
  rows.pop_back();
  SmallVector<OpFoldResult> outputs = tensor::getMixedSizes(b, loc, acc);
  outputs.pop_back();
  AffineMap id4 = AffineMap::getMultiDimIdentityMap(4, ctx);
  AffineMap id5 = AffineMap::getMultiDimIdentityMap(5, ctx);
  AffineMap rowOf4 = dimsMap(ctx, 4, {0, 1, 2});
  AffineMap rowOf5 = dimsMap(ctx, 5, {0, 1, 2});
  AffineMap outputOf5 = dimsMap(ctx, 5, {0, 1, 2, 3});
  AffineMap laneOf5 = dimsMap(ctx, 5, {0, 1, 2, 4});
  SmallVector<IteratorType> overParts4(4, IteratorType::parallel);
  overParts4.back() = IteratorType::reduction;
  SmallVector<IteratorType> overParts5(5, IteratorType::parallel);
  overParts5.back() = IteratorType::reduction;
  MergeResult result;
  auto generic =
      [&](ValueRange inputs, ArrayRef<AffineMap> maps, Value init,
          AffineMap initMap, ArrayRef<IteratorType> iterators,
          function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
        Value value =
            buildGeneric(b, loc, inputs, maps, init, initMap, iterators, body);
        result.mergeOps.push_back(value.getDefiningOp());
        return value;
      };
  // M = max_c m_c
  Value rowMax = generic(
      {max}, {id4}, filled(b, loc, rows, negInfinity(b, loc, type)), rowOf4,
      overParts4, [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::MaximumFOp::create(nb, l, args[1], args[0]);
      });
  Value zero = floatConstant(b, loc, type, 0.0);
  // The body of out += exp(m_c - M) x_c on (x_c, m_c, M, out).
  auto rescaledSum = [](OpBuilder &nb, Location l, ValueRange args) -> Value {
    Value weight = expShifted(nb, l, args[1], args[2]);
    return arith::AddFOp::create(nb, l, args[3],
                                 arith::MulFOp::create(nb, l, weight, args[0]));
  };
  // L = sum_c exp(m_c - M) l_c
  Value rowSum =
      generic({sum, max, rowMax}, {id4, id4, rowOf4},
              filled(b, loc, rows, zero), rowOf4, overParts4, rescaledSum);
  // A = sum_c exp(m_c - M) acc_c
  Value output = generic({acc, max, rowMax}, {id5, laneOf5, rowOf5},
                         filled(b, loc, outputs, zero), outputOf5, overParts5,
                         rescaledSum);
  // out = A / L: 0 / 0 = NaN for a row that saw no key (masked_rows = nan),
  // or 0 (masked_rows = zero).
  bool zeroRows = op.getMaskedRows() == MaskedRows::Zero;
  SmallVector<IteratorType> parallel4(4, IteratorType::parallel);
  Value normalized =
      generic({output, rowSum}, {id4, rowOf4},
              tensor::EmptyOp::create(b, loc, outputs, type), id4, parallel4,
              [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                Value quotient = arith::DivFOp::create(nb, l, args[0], args[1]);
                if (!zeroRows)
                  return quotient;
                Value noKey = arith::CmpFOp::create(
                    nb, l, arith::CmpFPredicate::OEQ, args[1],
                    floatConstant(nb, l, type, 0.0));
                return arith::SelectOp::create(
                    nb, l, noKey, floatConstant(nb, l, type, 0.0), quotient);
              });
  result.replacements.push_back(
      collapseToRank(b, loc, normalized, op.getQuery().getType().getRank()));
  return result;
}

//===----------------------------------------------------------------------===//
// Partial reductions of xent_logits over its classes
//===----------------------------------------------------------------------===//
//
// loss = logsumexp_c z_c - z_t splits into two partials per row: a partial
// logsumexp of the part's logits and the logit of the target class if the
// part holds it (else 0). A part of classes [k, k + T) is one generic over
// the rows and its classes (slots: the classes reduced; lanes: class k + j
// into lane j), and the merge is a logsumexp of the partial logsumexps
// minus the sum of the picked logits, then the op's rules: ignore_index
// rows 0, a target outside [0, C) NaN, and the sum or mean.

FailureOr<TilingResult>
tileXentLogitsToPartial(OpBuilder &b, Location loc, XentLogitsOp op,
                        const LoopNest &nest, ReductionTilingStrategy strategy,
                        ValueRange init, ArrayRef<OpFoldResult> offsets,
                        ArrayRef<OpFoldResult> sizes, ArrayRef<bool> whole) {
  TilingResult result;
  MLIRContext *ctx = b.getContext();
  SmallVector<Value> operands =
      sliceOperands(b, op, nest, offsets, sizes, whole, result.generatedSlices);
  int64_t numLoops = nest.iterators.size(), classLoop = nest.partialLoop;
  Type type = op.getLogits().getType().getElementType();
  bool lanes =
      strategy == ReductionTilingStrategy::PartialReductionOuterReduction;
  // The lanes of the loop's partials, or the part's own from the start.
  SmallVector<Value> outs;
  if (lanes)
    for (unsigned partial = 0; partial < 2; ++partial)
      outs.push_back(laneSlice(b, loc, op, partial, offsets, sizes,
                               init[partial], result));
  else
    outs = startingPartials(b, loc, op, nest, sizes, /*perPart=*/false);
  AffineMap rowMap = partialMaps(op, nest).front();
  AffineMap outMap =
      lanes ? AffineMap::getMultiDimIdentityMap(numLoops, ctx) : rowMap;
  SmallVector<IteratorType> iterators(numLoops, IteratorType::parallel);
  if (!lanes)
    iterators[classLoop] = IteratorType::reduction;
  Value first = getValueOrCreateConstantIndexOp(b, loc, offsets[classLoop]);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{outs[0].getType(), outs[1].getType()}, operands, outs,
      {nest.operandMaps[0], nest.operandMaps[1], outMap, outMap}, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        // lse' = logaddexp(lse, z); picked' = picked + (class == t ? z : 0)
        Value z = args[0], target = args[1], lse = args[2], picked = args[3];
        Value cls = arith::AddIOp::create(
            nb, l, first, linalg::IndexOp::create(nb, l, classLoop));
        Value isTarget = arith::CmpIOp::create(
            nb, l, arith::CmpIPredicate::eq,
            arith::IndexCastOp::create(nb, l, nb.getIndexType(), target), cls);
        Value term = arith::SelectOp::create(nb, l, isTarget, z,
                                             floatConstant(nb, l, type, 0.0));
        linalg::YieldOp::create(
            nb, l,
            ValueRange{combine(nb, l, Combiner::LogAddExp, lse, z),
                       arith::AddFOp::create(nb, l, picked, term)});
      });
  result.tiledOps.push_back(generic);
  llvm::append_range(result.tiledValues, generic.getResults());
  return result;
}

FailureOr<MergeResult> mergeXentLogitsPartials(OpBuilder &b, Location loc,
                                               XentLogitsOp op,
                                               ValueRange partials) {
  MergeResult result;
  auto partialType = cast<RankedTensorType>(partials[1].getType());
  Type type = partialType.getElementType();
  int64_t rowRank = partialType.getRank() - 1;
  auto lse = LogSumExpOp::create(b, loc, partials[0], /*mask=*/Value(),
                                 /*causal=*/false, /*diagonal=*/Value());
  SmallVector<OpFoldResult> rows = tensor::getMixedSizes(b, loc, partials[1]);
  rows.pop_back();
  auto picked = linalg::ReduceOp::create(
      b, loc, ValueRange{partials[1]},
      ValueRange{filled(b, loc, rows, floatConstant(b, loc, type, 0.0))},
      {rowRank}, [](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(
            nb, l, arith::AddFOp::create(nb, l, args[0], args[1]).getResult());
      });
  // loss = ignored ? 0 : (0 <= t < C ? lse - z_t : NaN)
  Value numClasses = getValueOrCreateConstantIndexOp(
      b, loc, tensor::getMixedSize(b, loc, op.getLogits(), rowRank));
  int64_t ignoreIndex = op.getIgnoreIndex();
  Value losses =
      lossesFromLse(b, loc, op.getTarget(), lse.getResult(),
                    picked.getResult(0), ignoreIndex, numClasses, /*zLoss=*/0);
  result.mergeOps.append({lse, picked, losses.getDefiningOp()});
  Value reduced = reduceLosses(b, loc, losses, op.getTarget(), ignoreIndex,
                               op.getReduction(), type);
  if (reduced != losses)
    result.mergeOps.push_back(reduced.getDefiningOp());
  result.replacements.push_back(reduced);
  return result;
}

FailureOr<TilingResult>
tileToPartial(OpBuilder &b, Location loc, Operation *op,
              ReductionTilingStrategy strategy, ValueRange init,
              ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes,
              const SetVector<unsigned> &reductionDims) {
  LoopNest nest = buildLoopNest(op);
  if (std::string why = partialRefusal(op, nest, reductionDims); !why.empty())
    return op->emitOpError(why);
  SmallVector<bool> whole = wholeLoops(op, nest, offsets, sizes);
  if (auto attention = dyn_cast<AttentionOp>(op))
    return tileAttentionToPartial(b, loc, attention, nest, strategy, init,
                                  offsets, sizes, whole);
  if (auto xent = dyn_cast<XentLogitsOp>(op))
    return tileXentLogitsToPartial(b, loc, xent, nest, strategy, init, offsets,
                                   sizes, whole);
  TilingResult result;
  if (strategy == ReductionTilingStrategy::PartialReductionOuterParallel) {
    // The op on its chunk of keys, a slot of the partial results.
    Operation *chunk =
        cloneOnTile(b, op, nest, offsets, sizes, whole, result.generatedSlices);
    result.tiledOps.push_back(chunk);
    result.tiledValues.push_back(chunk->getResult(0));
    return result;
  }

  // Lanes [0, size) accumulate the chunk's keys.
  Value lanes = laneSlice(b, loc, op, 0, offsets, sizes, init.front(), result);
  SmallVector<Value> operands =
      sliceOperands(b, op, nest, offsets, sizes, whole, result.generatedSlices);
  Value diagonal;
  int64_t key = nest.iterators.size() - 1;
  if (nest.rowLoop >= 0) {
    // The first key of the chunk is key 0 of the lanes' indices.
    SmallVector<bool> shifted(whole);
    shifted[key] = false;
    diagonal = tileDiagonal(b, op, nest, offsets, shifted);
  }
  SmallVector<AffineMap> maps(nest.operandMaps);
  SmallVector<AffineExpr> laneExprs(nest.resultMaps.front().getResults());
  laneExprs.push_back(getAffineDimExpr(key, b.getContext()));
  maps.push_back(
      AffineMap::get(nest.iterators.size(), 0, laneExprs, b.getContext()));
  Combiner combiner = combinerOf(op);
  auto generic = linalg::GenericOp::create(
      b, loc, lanes.getType(), operands, ValueRange{lanes}, maps,
      SmallVector<IteratorType>(nest.iterators.size(), IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value row, col;
        if (diagonal) {
          row = linalg::IndexOp::create(nb, l, key - 1);
          col = linalg::IndexOp::create(nb, l, key);
        }
        Value term = rowTerm(nb, l, op, args.drop_back(), row, col, diagonal);
        linalg::YieldOp::create(nb, l,
                                combine(nb, l, combiner, args.back(), term));
      });
  result.tiledOps.push_back(generic);
  result.tiledValues.push_back(generic.getResult(0));
  return result;
}

FailureOr<MergeResult> mergePartials(OpBuilder &b, Location loc, Operation *op,
                                     ValueRange partials) {
  if (auto attention = dyn_cast<AttentionOp>(op))
    return mergeAttentionPartials(b, loc, attention, partials);
  if (auto xent = dyn_cast<XentLogitsOp>(op))
    return mergeXentLogitsPartials(b, loc, xent, partials);
  Value partial = partials.front();
  auto type = cast<RankedTensorType>(partial.getType());
  Combiner combiner = combinerOf(op);
  MergeResult result;
  if (combiner == Combiner::LogAddExp) {
    // logsumexp over the partial logsumexps: stable and exact.
    auto merge = LogSumExpOp::create(b, loc, partial, /*mask=*/Value(),
                                     /*causal=*/false, /*diagonal=*/Value());
    result.mergeOps.push_back(merge);
    result.replacements.push_back(merge.getResult());
    return result;
  }
  SmallVector<OpFoldResult> shape = tensor::getMixedSizes(b, loc, partial);
  shape.pop_back();
  Value init = linalg::FillOp::create(
                   b, loc, identityOf(b, loc, combiner, type.getElementType()),
                   tensor::EmptyOp::create(b, loc, shape, type.getElementType())
                       .getResult())
                   .getResult(0);
  auto merge = linalg::ReduceOp::create(
      b, loc, ValueRange{partial}, ValueRange{init}, {type.getRank() - 1},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l,
                                combine(nb, l, combiner, args[1], args[0]));
      });
  result.mergeOps.push_back(merge);
  result.replacements.push_back(merge.getResult(0));
  return result;
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
      OpBuilder &, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,      \
      ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,  \
      SmallVector<OpFoldResult> &resultSizes) {                                \
    return resultTilePosition(*this, resultNumber, offsets, sizes,             \
                              resultOffsets, resultSizes);                     \
  }                                                                            \
  LogicalResult OP::getIterationDomainTileFromResultTile(                      \
      OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,     \
      ArrayRef<OpFoldResult> sizes,                                            \
      SmallVectorImpl<OpFoldResult> &loopOffsets,                              \
      SmallVectorImpl<OpFoldResult> &loopSizes) {                              \
    return domainTileOfResultTile(b, *this, resultNumber, offsets, sizes,      \
                                  loopOffsets, loopSizes);                     \
  }                                                                            \
  FailureOr<TilingResult> OP::generateResultTileValue(                         \
      OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,     \
      ArrayRef<OpFoldResult> sizes) {                                          \
    return resultTileValue(b, *this, resultNumber, offsets, sizes);            \
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
ATTN_STRUCTURED_OP_METHODS(OnlineAttentionOp)
ATTN_STRUCTURED_OP_METHODS(SoftmaxBackwardOp)
ATTN_STRUCTURED_OP_METHODS(LogSoftmaxBackwardOp)
ATTN_STRUCTURED_OP_METHODS(LogSumExpBackwardOp)
ATTN_STRUCTURED_OP_METHODS(SumSqBackwardOp)
ATTN_STRUCTURED_OP_METHODS(MaskedMaxBackwardOp)
ATTN_STRUCTURED_OP_METHODS(XentBackwardOp)
ATTN_STRUCTURED_OP_METHODS(XentLogitsBackwardOp)

#undef ATTN_STRUCTURED_OP_METHODS

// The reductions over the last dimension split into partial reductions.
#define ATTN_PARTIAL_REDUCTION_METHODS(OP)                                     \
  FailureOr<SmallVector<Value>> OP::generateInitialTensorForPartialReduction(  \
      OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,                \
      const SetVector<unsigned> &reductionDims) {                              \
    return initialPartials(b, loc, *this, sizes, reductionDims);               \
  }                                                                            \
  FailureOr<TilingResult> OP::tileToPartialReduction(                          \
      OpBuilder &b, Location loc, ReductionTilingStrategy strategy,            \
      ValueRange init, ArrayRef<OpFoldResult> offsets,                         \
      ArrayRef<OpFoldResult> sizes, const SetVector<unsigned> &reductionDims,  \
      ArrayRef<OpFoldResult>) {                                                \
    return tileToPartial(b, loc, *this, strategy, init, offsets, sizes,        \
                         reductionDims);                                       \
  }                                                                            \
  FailureOr<MergeResult> OP::mergeReductions(OpBuilder &b, Location loc,       \
                                             ValueRange partials,              \
                                             const SetVector<unsigned> &) {    \
    return mergePartials(b, loc, *this, partials);                             \
  }                                                                            \
  LogicalResult OP::getPartialResultTilePosition(                              \
      OpBuilder &, unsigned partial, ReductionTilingStrategy strategy,         \
      ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes,            \
      const SetVector<unsigned> &, ArrayRef<OpFoldResult> splitReductionIvs,   \
      SmallVector<OpFoldResult> &resultOffsets,                                \
      SmallVector<OpFoldResult> &resultSizes) {                                \
    partialPosition(*this, partial, strategy, offsets, sizes,                  \
                    splitReductionIvs, resultOffsets, resultSizes);            \
    return success();                                                          \
  }

ATTN_PARTIAL_REDUCTION_METHODS(MaskedMaxOp)
ATTN_PARTIAL_REDUCTION_METHODS(SumSqOp)
ATTN_PARTIAL_REDUCTION_METHODS(XentOp)
ATTN_PARTIAL_REDUCTION_METHODS(LogSumExpOp)
ATTN_PARTIAL_REDUCTION_METHODS(AttentionOp)
ATTN_PARTIAL_REDUCTION_METHODS(XentLogitsOp)

#undef ATTN_PARTIAL_REDUCTION_METHODS
