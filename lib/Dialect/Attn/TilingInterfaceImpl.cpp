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
#include "AttnDialect/Dialect/Attn/AttnUtils.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
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
    nest.resultMap = dimsMap(ctx, r, range(0, keepsLastDim ? r : r - 1));
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
        nest.operandMaps.push_back(dimsMap(ctx, r, range(0, r - 1)));
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
          nest.operandMaps.push_back(dimsMap(ctx, numLoops, loops));
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

/// Slices of `op`'s tensor operands read by the loops [offsets, sizes)
/// (`whole` says which loops the tile covers whole).
SmallVector<Value> sliceOperands(OpBuilder &b, Operation *op,
                                 const LoopNest &nest,
                                 ArrayRef<OpFoldResult> offsets,
                                 ArrayRef<OpFoldResult> sizes,
                                 ArrayRef<bool> whole,
                                 SmallVectorImpl<Operation *> &slices) {
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
  Value given = TypeSwitch<Operation *, Value>(op)
                    .Case<SoftmaxOp, LogSoftmaxOp, LogSumExpOp, AttentionOp>(
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
  if (diagonal)
    TypeSwitch<Operation *>(tiled)
        .Case<SoftmaxOp, LogSoftmaxOp, LogSumExpOp, AttentionOp>(
            [&](auto o) { o.getDiagonalMutable().assign(diagonal); });
  // The tile's result type follows from its operands.
  SmallVector<Type> types;
  if (failed(cast<InferTypeOpInterface>(tiled).inferReturnTypes(
          op->getContext(), op->getLoc(), tiled->getOperands(),
          tiled->getRawDictionaryAttrs(), tiled->getPropertiesStorage(),
          tiled->getRegions(), types)))
    llvm_unreachable("the verified op's slices infer a type");
  tiled->getResult(0).setType(types.front());
  return tiled;
}

/// The tile [offsets, sizes) of `op`'s parallel loops.
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
  TilingResult result;
  Operation *tiled =
      cloneOnTile(b, op, nest, offsets, sizes, whole, result.generatedSlices);
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
    Value shift = arith::SelectOp::create(b, loc, isNegInf,
                                          floatConstant(b, loc, type, 0.0), max);
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
        Value qIsZero = arith::CmpFOp::create(
            b, loc, arith::CmpFPredicate::OEQ, args[1], zero);
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
        Value hidden = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::sgt, key,
            arith::AddIOp::create(b, loc, row, diagonal));
        return arith::SelectOp::create(
            b, loc, hidden,
            floatConstant(b, loc, type,
                          -std::numeric_limits<double>::infinity()),
            x);
      });
}

/// Why `op` cannot be split along `reductionDims`, or empty if it can.
std::string partialRefusal(Operation *op, const LoopNest &nest,
                           const SetVector<unsigned> &reductionDims) {
  Type type = getElementTypeOrSelf(op->getResult(0).getType());
  if (!type.isF32() && !type.isF64())
    return "splits f32 and f64 reductions only (f16 and bf16 sums are "
           "formed in f32 by the op itself)";
  if (reductionDims.size() != 1 ||
      reductionDims.front() != nest.iterators.size() - 1)
    return "splits its last loop (the reduction) only";
  return "";
}

FailureOr<SmallVector<Value>>
initialPartials(OpBuilder &b, Location loc, Operation *op,
                ArrayRef<OpFoldResult> sizes,
                const SetVector<unsigned> &reductionDims) {
  LoopNest nest = buildLoopNest(op);
  if (std::string why = partialRefusal(op, nest, reductionDims);
      !why.empty())
    return op->emitOpError(why);
  // The result's dims, then one slot or lane per chunk or key of a chunk.
  SmallVector<OpFoldResult> shape;
  for (AffineExpr expr : nest.resultMap.getResults())
    shape.push_back(sizes[cast<AffineDimExpr>(expr).getPosition()]);
  shape.push_back(sizes[reductionDims.front()]);
  Type type = getElementTypeOrSelf(op->getResult(0).getType());
  Value empty = tensor::EmptyOp::create(b, loc, shape, type);
  Value identity = identityOf(b, loc, combinerOf(op), type);
  return SmallVector<Value>{
      linalg::FillOp::create(b, loc, identity, empty).getResult(0)};
}

/// Where a chunk's partial result goes: its slot (outer-parallel), or the
/// lanes of its keys (outer-reduction).
void partialPosition(Operation *op, ReductionTilingStrategy strategy,
                     ArrayRef<OpFoldResult> offsets,
                     ArrayRef<OpFoldResult> sizes,
                     ArrayRef<OpFoldResult> splitReductionIvs,
                     SmallVector<OpFoldResult> &resultOffsets,
                     SmallVector<OpFoldResult> &resultSizes) {
  LoopNest nest = buildLoopNest(op);
  for (AffineExpr expr : nest.resultMap.getResults()) {
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
    resultSizes.push_back(sizes.back());
  }
}

FailureOr<TilingResult>
tileToPartial(OpBuilder &b, Location loc, Operation *op,
              ReductionTilingStrategy strategy, ValueRange init,
              ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes,
              const SetVector<unsigned> &reductionDims) {
  LoopNest nest = buildLoopNest(op);
  if (std::string why = partialRefusal(op, nest, reductionDims);
      !why.empty())
    return op->emitOpError(why);
  SmallVector<bool> whole = wholeLoops(op, nest, offsets, sizes);
  TilingResult result;
  if (strategy == ReductionTilingStrategy::PartialReductionOuterParallel) {
    // The op on its chunk of keys, a slot of the partial results.
    Operation *chunk = cloneOnTile(b, op, nest, offsets, sizes, whole,
                                   result.generatedSlices);
    result.tiledOps.push_back(chunk);
    result.tiledValues.push_back(chunk->getResult(0));
    return result;
  }

  // Lanes [0, size) accumulate the chunk's keys.
  SmallVector<OpFoldResult> laneOffsets, laneSizes;
  partialPosition(op, strategy, offsets, sizes, {}, laneOffsets, laneSizes);
  SmallVector<OpFoldResult> strides(laneOffsets.size(), b.getIndexAttr(1));
  auto lanes = tensor::ExtractSliceOp::create(b, loc, init.front(),
                                              laneOffsets, laneSizes, strides);
  SmallVector<Value> operands = sliceOperands(b, op, nest, offsets, sizes,
                                              whole, result.generatedSlices);
  Value diagonal;
  int64_t key = nest.iterators.size() - 1;
  if (nest.rowLoop >= 0) {
    // The first key of the chunk is key 0 of the lanes' indices.
    SmallVector<bool> shifted(whole);
    shifted[key] = false;
    diagonal = tileDiagonal(b, op, nest, offsets, shifted);
  }
  SmallVector<AffineMap> maps(nest.operandMaps);
  SmallVector<AffineExpr> laneExprs(nest.resultMap.getResults());
  laneExprs.push_back(getAffineDimExpr(key, b.getContext()));
  maps.push_back(AffineMap::get(nest.iterators.size(), 0, laneExprs,
                                b.getContext()));
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
        Value term =
            rowTerm(nb, l, op, args.drop_back(), row, col, diagonal);
        linalg::YieldOp::create(
            nb, l, combine(nb, l, combiner, args.back(), term));
      });
  result.generatedSlices.push_back(lanes);
  result.tiledOps.push_back(generic);
  result.tiledValues.push_back(generic.getResult(0));
  return result;
}

FailureOr<MergeResult> mergePartials(OpBuilder &b, Location loc, Operation *op,
                                     ValueRange partials) {
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
                   tensor::EmptyOp::create(b, loc, shape,
                                           type.getElementType())
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
  FailureOr<MergeResult> OP::mergeReductions(                                  \
      OpBuilder &b, Location loc, ValueRange partials,                         \
      const SetVector<unsigned> &) {                                           \
    return mergePartials(b, loc, *this, partials);                             \
  }                                                                            \
  LogicalResult OP::getPartialResultTilePosition(                              \
      OpBuilder &, unsigned, ReductionTilingStrategy strategy,                 \
      ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes,            \
      const SetVector<unsigned> &, ArrayRef<OpFoldResult> splitReductionIvs,   \
      SmallVector<OpFoldResult> &resultOffsets,                                \
      SmallVector<OpFoldResult> &resultSizes) {                                \
    partialPosition(*this, strategy, offsets, sizes, splitReductionIvs,        \
                    resultOffsets, resultSizes);                               \
    return success();                                                          \
  }

ATTN_PARTIAL_REDUCTION_METHODS(MaskedMaxOp)
ATTN_PARTIAL_REDUCTION_METHODS(SumSqOp)
ATTN_PARTIAL_REDUCTION_METHODS(XentOp)
ATTN_PARTIAL_REDUCTION_METHODS(LogSumExpOp)

#undef ATTN_PARTIAL_REDUCTION_METHODS
