//===- ShardingInterfaceImpl.cpp - attn ops across processes --------------===//
//
// The shard dialect's ShardingInterface for the attn ops with a loop nest
// (LoopNest.h), so that upstream's `sharding-propagation` and
// `shard-partition` place them on a grid of processes:
// - loops read the same way as TilingInterface's: a sharding of an operand
//   dimension is a sharding of the loop that reads it (grouped key/value
//   heads `h floordiv G` split like the query heads h; a broadcast dimension
//   of size 1 is never split);
// - parallel loops split: each process runs the op on its slices, a causal
//   (window, ALiBi) diagonal moved to its first row and key, as a tile's;
// - the reduced loop split (the last dimension, attention's keys, a loss's
//   classes): each process computes the op's partial result on its part and
//   the merge of the partial reductions (TilingInterfaceImpl.cpp) becomes
//   collectives, `shard.all_reduce` max and sum: masked_max by max, sum_sq
//   and xent by sum, logsumexp, softmax, log_softmax, xent_logits and
//   attention by a max of the partial logsumexps then a sum of the partial
//   sums rescaled to it (`exp(l_p - M)`), so that no process exchanges more
//   than one value per row (attention: one output row).
// Ops whose loops the interface cannot split say so when partitioned.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Dialect/Attn/AttnOps.h"
#include "AttnDialect/Dialect/Attn/AttnUtils.h"
#include "LoopNest.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Shard/Interfaces/ShardingInterface.h"
#include "mlir/Dialect/Shard/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::detail;
using shard::GridAxis;
using shard::ReductionKind;
using shard::Sharding;
using shard::ShardingArray;
using shard::ShardingOption;

namespace {

/// For each operand (then each result), for each of its dimensions, the loop
/// that reads it, or -1 (a broadcast dimension); empty for a scalar.
SmallVector<SmallVector<int64_t>> dimensionLoops(Operation *op,
                                                 const LoopNest &nest) {
  SmallVector<SmallVector<int64_t>> loops;
  auto ofMap = [](AffineMap map) {
    SmallVector<int64_t> dims;
    for (AffineExpr expr : map.getResults()) {
      if (auto dim = dyn_cast<AffineDimExpr>(expr))
        dims.push_back(dim.getPosition());
      else if (auto binary = dyn_cast<AffineBinaryOpExpr>(expr))
        // Grouped heads: the key/value heads split as the query heads.
        dims.push_back(cast<AffineDimExpr>(binary.getLHS()).getPosition());
      else
        dims.push_back(-1);
    }
    return dims;
  };
  unsigned next = 0;
  for (Value operand : op->getOperands())
    loops.push_back(isa<RankedTensorType>(operand.getType())
                        ? ofMap(nest.operandMaps[next++])
                        : SmallVector<int64_t>());
  for (AffineMap map : nest.resultMaps)
    loops.push_back(ofMap(map));
  return loops;
}

/// The grid axes each loop is split over, as the given shardings of the
/// operands and results say; the grid in `grid`. Fails (with a diagnostic
/// when `diagnose`) on shardings that disagree or that no loop can carry.
FailureOr<ShardingArray> loopSharding(Operation *op, const LoopNest &nest,
                                      ArrayRef<Sharding> operandShardings,
                                      ArrayRef<Sharding> resultShardings,
                                      FlatSymbolRefAttr &grid, bool diagnose) {
  SmallVector<SmallVector<int64_t>> loops = dimensionLoops(op, nest);
  ShardingArray axes(nest.iterators.size());
  std::vector<Sharding> shardings(operandShardings.begin(),
                                  operandShardings.end());
  shardings.insert(shardings.end(), resultShardings.begin(),
                   resultShardings.end());
  auto refuse = [&](const Twine &why) -> FailureOr<ShardingArray> {
    if (diagnose)
      op->emitOpError(why);
    return failure();
  };
  for (auto [value, sharding] : llvm::enumerate(shardings)) {
    if (!sharding)
      continue;
    if (grid && grid != sharding.getGridAttr())
      return refuse("has operands and results on different grids");
    grid = sharding.getGridAttr();
    if (!sharding.getStaticHaloSizes().empty() ||
        !sharding.getDynamicHaloSizes().empty() ||
        !sharding.getStaticShardedDimsOffsets().empty() ||
        !sharding.getDynamicShardedDimsOffsets().empty())
      return refuse("supports even shards only (no halos or uneven offsets)");
    for (auto [dim, split] : llvm::enumerate(sharding.getSplitAxes())) {
      if (split.empty())
        continue;
      if (dim >= loops[value].size() || loops[value][dim] < 0) {
        // Propagation reads it as replicated (upstream's partition cannot
        // take an op it left unannotated); partition refuses it.
        if (!diagnose)
          continue;
        return refuse("cannot split a broadcast dimension of an operand");
      }
      SmallVector<GridAxis> &loopAxes = axes[loops[value][dim]];
      ArrayRef<GridAxis> wanted = split.asArrayRef();
      if (!loopAxes.empty() && ArrayRef<GridAxis>(loopAxes) != wanted)
        return refuse("has operands split differently along the same loop");
      loopAxes.assign(wanted.begin(), wanted.end());
    }
  }
  // A grid axis splits one loop.
  SmallVector<GridAxis> seen;
  for (ArrayRef<GridAxis> loopAxes : axes)
    for (GridAxis axis : loopAxes) {
      if (llvm::is_contained(seen, axis))
        return refuse("splits two loops over one grid axis");
      seen.push_back(axis);
    }
  return axes;
}

/// The shardings of `op`'s operands and results that split its loops by
/// `option` (null for scalars, replicated for rank 0).
std::vector<Sharding> annotationsOf(Operation *op, const LoopNest &nest,
                                    const ShardingOption &option) {
  std::vector<Sharding> result;
  MLIRContext *ctx = op->getContext();
  SmallVector<Type> types(op->getOperandTypes());
  llvm::append_range(types, op->getResultTypes());
  for (auto [type, dims] : llvm::zip_equal(types, dimensionLoops(op, nest))) {
    if (!isa<RankedTensorType>(type)) {
      result.push_back(Sharding());
      continue;
    }
    SmallVector<shard::GridAxesAttr> split;
    for (int64_t loop : dims) {
      ArrayRef<GridAxis> axes;
      if (loop >= 0 && size_t(loop) < option.shardingArray.size())
        axes = option.shardingArray[loop];
      split.push_back(shard::GridAxesAttr::get(ctx, axes));
    }
    while (!split.empty() && split.back().empty())
      split.pop_back();
    result.push_back(Sharding::get(option.grid, split));
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Partition
//===----------------------------------------------------------------------===//

/// What partition knows of the op and its grid.
struct Partition {
  Operation *op;
  LoopNest nest;
  ShardingArray axes;
  mutable shard::GridOp grid;
  /// The op's operands on this process.
  SmallVector<Value> operands;

  bool isSplit(int64_t loop) const { return loop >= 0 && !axes[loop].empty(); }
  int64_t processes(int64_t loop) const {
    return shard::collectiveProcessGroupSize(axes[loop], grid);
  }
  /// The axes of the split reduction loops, each once.
  SmallVector<GridAxis> reductionAxes() const {
    SmallVector<GridAxis> result;
    for (auto [iterator, loopAxes] : llvm::zip_equal(nest.iterators, axes))
      if (iterator == IteratorType::reduction)
        llvm::append_range(result, loopAxes);
    return result;
  }
  /// The local extent of `loop`: a dimension of the local operand reading it.
  Value localExtent(OpBuilder &b, Location loc, int64_t loop) const {
    auto [operand, dim] = nest.extents[loop];
    SmallVector<Value> tensors;
    for (Value v : operands)
      if (isa<RankedTensorType>(v.getType()))
        tensors.push_back(v);
    return getValueOrCreateConstantIndexOp(
        b, loc, tensor::getMixedSize(b, loc, tensors[operand], dim));
  }
  /// The first index of this process's part of `loop` (0 unless split).
  Value offset(ImplicitLocOpBuilder &b, int64_t loop) const {
    if (!isSplit(loop))
      return arith::ConstantIndexOp::create(b, 0);
    Value index =
        shard::createProcessLinearIndex(grid.getSymName(), axes[loop], b);
    return arith::MulIOp::create(b, index, localExtent(b, b.getLoc(), loop));
  }
};

/// The causal diagonal of this process's part: d' = d + o - k for its first
/// row o and key k, with d = N - M (the whole extents) unless given.
Value partDiagonal(ImplicitLocOpBuilder &b, const Partition &p, Value given) {
  const LoopNest &nest = p.nest;
  Value rowOffset = p.offset(b, nest.rowLoop);
  Value keyOffset = p.offset(b, nest.keyLoop);
  if (!given) {
    auto whole = [&](int64_t loop) -> Value {
      return arith::MulIOp::create(
          b, p.localExtent(b, b.getLoc(), loop),
          arith::ConstantIndexOp::create(b, p.processes(loop)));
    };
    given = arith::SubIOp::create(b, whole(nest.keyLoop), whole(nest.rowLoop));
  }
  return arith::SubIOp::create(b, arith::AddIOp::create(b, given, rowOffset),
                               keyOffset);
}

/// The op on this process's operands, its diagonal moved to its part, its
/// result types inferred from them.
Operation *localOp(ImplicitLocOpBuilder &b, const Partition &p) {
  Value diagonal;
  if (p.nest.rowLoop >= 0 &&
      (p.isSplit(p.nest.rowLoop) || p.isSplit(p.nest.keyLoop))) {
    Value given =
        TypeSwitch<Operation *, Value>(p.op)
            .Case<SoftmaxOp, LogSoftmaxOp, LogSumExpOp, LogSumExpBackwardOp,
                  AttentionOp, AttentionBackwardOp>(
                [](auto o) { return o.getDiagonal(); })
            .Default([](Operation *) { return Value(); });
    IRMapping scalars;
    scalars.map(p.op->getOperands(), p.operands);
    diagonal = partDiagonal(b, p, given ? scalars.lookup(given) : Value());
  }
  IRMapping mapping;
  mapping.map(p.op->getOperands(), p.operands);
  Operation *local = b.clone(*p.op, mapping);
  if (diagonal)
    TypeSwitch<Operation *>(local)
        .Case<SoftmaxOp, LogSoftmaxOp, LogSumExpOp, LogSumExpBackwardOp,
              AttentionOp, AttentionBackwardOp>(
            [&](auto o) { o.getDiagonalMutable().assign(diagonal); });
  for (auto [result, type] :
       llvm::zip_equal(local->getResults(), inferredResultTypes(local)))
    result.setType(type);
  return local;
}

/// `op` rebuilt with the results its (changed) properties infer: an optional
/// result added or dropped, a reduction's result rank changed.
Operation *withInferredResults(ImplicitLocOpBuilder &b, Operation *op) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  OperationState state(op->getLoc(), op->getName());
  state.addOperands(op->getOperands());
  state.propertiesAttr = op->getPropertiesAsAttribute();
  state.addAttributes(llvm::to_vector(op->getDiscardableAttrs()));
  state.addTypes(inferredResultTypes(op));
  for (Region &region : op->getRegions())
    state.addRegion()->takeBody(region);
  Operation *rebuilt = b.create(state);
  op->erase();
  return rebuilt;
}

/// An elementwise generic over `shape`'s dims; `maps` read the inputs.
Value elementwise(ImplicitLocOpBuilder &b, ValueRange inputs,
                  ArrayRef<AffineMap> maps, Value shape, Type elementType,
                  function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  auto type = cast<RankedTensorType>(shape.getType());
  Value init = tensor::EmptyOp::create(
      b, tensor::getMixedSizes(b, b.getLoc(), shape), elementType);
  return buildGeneric(
      b, b.getLoc(), inputs, maps, init,
      b.getMultiDimIdentityMap(type.getRank()),
      SmallVector<IteratorType>(type.getRank(), IteratorType::parallel), body);
}

/// `x` reduced by `kind` over the processes along `axes`.
Value allReduce(ImplicitLocOpBuilder &b, const Partition &p, Value x,
                ReductionKind kind, ArrayRef<GridAxis> axes) {
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getRank() > 0)
    return shard::AllReduceOp::create(b, x, p.grid.getSymName(), axes, kind);
  // A scalar as one element: MPI's lowering takes memrefs of rank >= 1.
  auto one = RankedTensorType::get({1}, type.getElementType());
  Value vector = tensor::ExpandShapeOp::create(
      b, one, x, ArrayRef<ReassociationIndices>{});
  Value reduced =
      shard::AllReduceOp::create(b, vector, p.grid.getSymName(), axes, kind);
  return tensor::CollapseShapeOp::create(b, type, reduced,
                                         ArrayRef<ReassociationIndices>{});
}

/// `x` reduced by `kind` over the processes of the split reduction loops.
Value allReduce(ImplicitLocOpBuilder &b, const Partition &p, Value x,
                ReductionKind kind) {
  return allReduce(b, p, x, kind, p.reductionAxes());
}

/// The logsumexp over the processes of their partial logsumexps `lse`:
/// M = max_p l_p, S = sum_p exp(l_p - M) (M taken as 0 while -inf), and
/// M + log S, which is -inf for a row no process saw and NaN for +inf.
/// Also gives this process's part of S, exp(l_p - M), which rescales its
/// partial sums to M, and S.
struct MergedLogSumExp {
  Value lse, weight, sum;
};
MergedLogSumExp mergedLogSumExp(ImplicitLocOpBuilder &b, const Partition &p,
                                Value lse, ArrayRef<GridAxis> axes) {
  auto type = cast<RankedTensorType>(lse.getType());
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  Value max = allReduce(b, p, lse, ReductionKind::Max, axes);
  Value weight =
      elementwise(b, {lse, max}, {id, id}, lse, type.getElementType(),
                  [](OpBuilder &nb, Location l, ValueRange args) {
                    return expShifted(nb, l, args[0], args[1]);
                  });
  Value sum = allReduce(b, p, weight, ReductionKind::Sum, axes);
  Value merged = elementwise(
      b, {max, sum}, {id, id}, lse, type.getElementType(),
      [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::AddFOp::create(nb, l, safeShift(nb, l, args[0]),
                                     math::LogOp::create(nb, l, args[1]));
      });
  return {merged, weight, sum};
}

/// The rows map (every dim but the last) of a rank-`rank` iteration.
AffineMap rowsOf(OpBuilder &b, int64_t rank) {
  return dimsMap(b.getContext(), rank,
                 llvm::to_vector(llvm::seq<int64_t>(0, rank - 1)));
}

/// A row-normalized op (softmax, log_softmax) with its rows split: the op
/// on the part, corrected from the part's logsumexp l to the row's G:
/// softmax * exp(l - G), log_softmax + (l - G); a row no process saw keeps
/// its rule (masked_rows; -inf).
template <typename OpTy>
Value mergeNormalized(ImplicitLocOpBuilder &b, const Partition &p, OpTy op) {
  auto local = cast<OpTy>(localOp(b, p));
  constexpr bool isSoftmax = std::is_same_v<OpTy, SoftmaxOp>;
  bool nanRows = false;
  if constexpr (isSoftmax) {
    nanRows = op.getMaskedRows() == MaskedRows::NaN;
    local.setMaskedRows(MaskedRows::Zero);
  }
  auto lse = LogSumExpOp::create(b, local.getInput(), local.getMask(),
                                 local.getCausal(), local.getDiagonal());
  Value whole = mergedLogSumExp(b, p, lse, p.reductionAxes()).lse;
  Value part = local.getResult();
  auto type = cast<RankedTensorType>(part.getType());
  int64_t rank = type.getRank();
  AffineMap id = b.getMultiDimIdentityMap(rank), rows = rowsOf(b, rank);
  Type element = type.getElementType();
  return elementwise(
      b, {part, lse.getResult(), whole}, {id, rows, rows}, part, element,
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value noRow = isNegInfinity(nb, l, args[2]);
        Value shift = arith::SubFOp::create(nb, l, args[1], args[2]);
        if (!isSoftmax)
          return arith::AddFOp::create(
              nb, l, args[0],
              arith::SelectOp::create(
                  nb, l, noRow, floatConstant(nb, l, element, 0.0), shift));
        Value scaled = arith::MulFOp::create(nb, l, args[0],
                                             math::ExpOp::create(nb, l, shift));
        return arith::SelectOp::create(
            nb, l, noRow,
            floatConstant(nb, l, element,
                          nanRows ? std::numeric_limits<double>::quiet_NaN()
                                  : 0.0),
            scaled);
      });
}

/// Attention with its keys split: each process's output O_p and logsumexp
/// l_p, merged as O = sum_p exp(l_p - M) O_p / sum_p exp(l_p - M).
SmallVector<Value> mergeAttention(ImplicitLocOpBuilder &b, const Partition &p,
                                  AttentionOp op) {
  auto local = cast<AttentionOp>(localOp(b, p));
  // The part's rows that see no key weigh 0 (their output must not be NaN).
  local.setMaskedRows(MaskedRows::Zero);
  if (!local.getWithLse()) {
    local.setWithLse(true);
    local = cast<AttentionOp>(withInferredResults(b, local));
  }
  MergedLogSumExp whole =
      mergedLogSumExp(b, p, local.getLse(), p.reductionAxes());
  Value weight = whole.weight;
  Value out = local.getResult();
  auto type = cast<RankedTensorType>(out.getType());
  int64_t rank = type.getRank();
  Type element = type.getElementType();
  AffineMap id = b.getMultiDimIdentityMap(rank), rows = rowsOf(b, rank);
  Value weighted =
      elementwise(b, {out, weight}, {id, rows}, out, element,
                  [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                    return arith::MulFOp::create(nb, l, args[0], args[1]);
                  });
  Value numerator = allReduce(b, p, weighted, ReductionKind::Sum);
  Value denominator = whole.sum;
  bool nanRows = op.getMaskedRows() == MaskedRows::NaN;
  Value merged = elementwise(
      b, {numerator, denominator}, {id, rows}, out, element,
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value quotient = arith::DivFOp::create(nb, l, args[0], args[1]);
        if (nanRows)
          return quotient;
        Value noKey =
            arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, args[1],
                                  floatConstant(nb, l, element, 0.0));
        return arith::SelectOp::create(
            nb, l, noKey, floatConstant(nb, l, element, 0.0), quotient);
      });
  SmallVector<Value> results{merged};
  if (op.getWithLse())
    results.push_back(whole.lse);
  return results;
}

/// Per-row losses of this process combined by `reduction` over every
/// process: as they are, or their sum (and for a mean the kept rows' count)
/// formed in f64, all-reduced, and rounded once to `element`.
Value reduceRows(ImplicitLocOpBuilder &b, const Partition &p, Value losses,
                 Value target, int64_t ignoreIndex, Reduction reduction,
                 Type element) {
  if (reduction == Reduction::None)
    return losses;
  Location loc = b.getLoc();
  Type f64 = b.getF64Type();
  Value total = reduceLosses(b, loc, convertElements(b, loc, losses, f64),
                             target, ignoreIndex, Reduction::Sum, f64);
  total = allReduce(b, p, total, ReductionKind::Sum);
  if (reduction == Reduction::Mean) {
    bool classTargets =
        isa<IntegerType>(getElementTypeOrSelf(target.getType()));
    // A distribution per row: every row counts.
    Value rows = classTargets ? target : losses;
    int64_t rank = cast<RankedTensorType>(rows.getType()).getRank();
    AffineMap rowId = b.getMultiDimIdentityMap(rank);
    Value kept = elementwise(
        b, {rows}, {rowId}, rows, f64,
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          Value one = floatConstant(nb, l, f64, 1.0);
          if (!classTargets)
            return one;
          Value ignored = arith::CmpIOp::create(
              nb, l, arith::CmpIPredicate::eq, args[0],
              arith::ConstantOp::create(
                  nb, l, nb.getIntegerAttr(args[0].getType(), ignoreIndex)));
          return arith::SelectOp::create(nb, l, ignored,
                                         floatConstant(nb, l, f64, 0.0), one);
        });
    Value count =
        reduceLosses(b, loc, kept, target, ignoreIndex, Reduction::Sum, f64);
    count = allReduce(b, p, count, ReductionKind::Sum);
    AffineMap scalar = b.getMultiDimIdentityMap(0);
    total =
        elementwise(b, {total, count}, {scalar, scalar}, total, f64,
                    [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                      return arith::DivFOp::create(nb, l, args[0], args[1]);
                    });
  }
  return element.isF64() ? total : convertElements(b, loc, total, element);
}

/// Whether this process's classes [first, first + count) hold the class
/// target `t` (an integer), and `t - first` (an index).
std::pair<Value, Value> heldClass(OpBuilder &b, Location loc, Value t,
                                  Value first, Value count) {
  Value shifted = arith::SubIOp::create(
      b, loc, arith::IndexCastOp::create(b, loc, b.getIndexType(), t), first);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value held = arith::AndIOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, shifted, zero),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, shifted, count));
  return {held, shifted};
}

/// xent_logits with its classes or (for a sum or mean) its rows split: per
/// row, the part's logsumexp and the target's logit if the part holds it,
/// merged into the row's loss; then the sum (and the kept rows' count) over
/// every process, in f64.
Value mergeXentLogits(ImplicitLocOpBuilder &b, const Partition &p,
                      XentLogitsOp op) {
  int64_t classLoop = p.nest.partialLoop;
  Value logits = p.operands[0], target = p.operands[1];
  auto logitsType = cast<RankedTensorType>(logits.getType());
  Type element = logitsType.getElementType();
  int64_t rank = logitsType.getRank();
  Location loc = b.getLoc();
  // Per-row losses on this process.
  Value losses;
  if (!p.isSplit(classLoop)) {
    auto local = cast<XentLogitsOp>(localOp(b, p));
    local.setReduction(Reduction::None);
    losses = withInferredResults(b, local)->getResult(0);
  } else {
    // lse_p = logsumexp over the part's classes (the op itself: vectorized,
    // its sum in one pass); picked_p = z[t - first] if the part holds t,
    // else 0 (one read per row).
    Value first = p.offset(b, classLoop);
    Value count = p.localExtent(b, loc, classLoop);
    std::optional<double> cap;
    if (auto softcap = op.getSoftcap())
      cap = softcap->convertToDouble();
    auto capped = [&](OpBuilder &nb, Location l, Value z) -> Value {
      if (!cap)
        return z;
      // cap tanh(z / cap)
      Value c = floatConstant(nb, l, element, *cap);
      return arith::MulFOp::create(
          nb, l, c,
          math::TanhOp::create(nb, l, arith::DivFOp::create(nb, l, z, c)));
    };
    Value z = logits;
    if (cap) {
      AffineMap id = b.getMultiDimIdentityMap(rank);
      z = elementwise(b, {logits}, {id}, logits, element,
                      [&](OpBuilder &nb, Location l, ValueRange args) {
                        return capped(nb, l, args[0]);
                      });
    }
    Value partLse = LogSumExpOp::create(b, z, /*mask=*/Value(),
                                        /*causal=*/false, /*diagonal=*/Value());
    AffineMap rowId = b.getMultiDimIdentityMap(rank - 1);
    Value partPicked = elementwise(
        b, {target}, {rowId}, partLse, element,
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          auto [held, shifted] = heldClass(nb, l, args[0], first, count);
          Value zero = arith::ConstantIndexOp::create(nb, l, 0);
          // A clamped index keeps the read in bounds where t is not held.
          SmallVector<Value> at;
          for (int64_t d = 0; d < rank - 1; ++d)
            at.push_back(linalg::IndexOp::create(nb, l, d));
          at.push_back(arith::SelectOp::create(nb, l, held, shifted, zero));
          Value zt =
              capped(nb, l, tensor::ExtractOp::create(nb, l, logits, at));
          return arith::SelectOp::create(nb, l, held, zt,
                                         floatConstant(nb, l, element, 0.0));
        });
    // Merged over the processes sharing the rows (not those of other rows).
    ArrayRef<GridAxis> classAxes = p.axes[classLoop];
    Value rowLse = mergedLogSumExp(b, p, partLse, classAxes).lse;
    Value rowPicked =
        allReduce(b, p, partPicked, ReductionKind::Sum, classAxes);
    Value numClasses = arith::MulIOp::create(
        b, count, arith::ConstantIndexOp::create(b, p.processes(classLoop)));
    losses = lossesFromLse(b, b.getLoc(), target, rowLse, rowPicked,
                           op.getIgnoreIndex(), numClasses,
                           op.getZLoss().convertToDouble());
  }
  return reduceRows(b, p, losses, target, op.getIgnoreIndex(),
                    op.getReduction(), element);
}

/// The attention backward with its keys or queries split: dQ sums the key
/// parts' contributions, dK and dV the query parts' (D = rowsum(dO O) and
/// P = exp(S - lse) need only the rows' own output and logsumexp).
SmallVector<Value> mergeAttentionBackward(ImplicitLocOpBuilder &b,
                                          const Partition &p,
                                          AttentionBackwardOp op) {
  int64_t rows = op.getQuery().getType().getRank() - 2, keys = rows + 1;
  Operation *local = localOp(b, p);
  auto summed = [&](Value x, int64_t loop) {
    return p.isSplit(loop)
               ? allReduce(b, p, x, ReductionKind::Sum, p.axes[loop])
               : x;
  };
  return {summed(local->getResult(0), keys), summed(local->getResult(1), rows),
          summed(local->getResult(2), rows)};
}

/// The fused linear cross-entropy with its classifier split by classes:
/// each process's op on its classes (targets outside them ignored) gives a
/// partial logsumexp l_p and, for the rows whose target it holds, the
/// target's logit as l_p - loss_p (exact up to one rounding of l_p); the
/// merge is xent_logits'.
SmallVector<Value> mergeLinearXent(ImplicitLocOpBuilder &b, const Partition &p,
                                   LinearXentOp op) {
  const int64_t classLoop = 1;
  Location loc = b.getLoc();
  Value target = p.operands[2];
  Type element = op.getLoss().getType().getElementType();
  SmallVector<Value> results;
  if (!p.isSplit(classLoop)) {
    auto local = cast<LinearXentOp>(localOp(b, p));
    local.setReduction(Reduction::None);
    Operation *rows = withInferredResults(b, local);
    results.push_back(reduceRows(b, p, rows->getResult(0), target,
                                 op.getIgnoreIndex(), op.getReduction(),
                                 element));
    if (op.getWithLse())
      results.push_back(rows->getResult(1));
    return results;
  }
  // t' = t - first for the targets in [first, first + count), else -1
  // (ignored by the part).
  Value first = p.offset(b, classLoop);
  Value count = p.localExtent(b, loc, classLoop);
  auto targetType = cast<RankedTensorType>(target.getType());
  Type targetElement = targetType.getElementType();
  AffineMap rowId = b.getMultiDimIdentityMap(1);
  Value partTarget = elementwise(
      b, {target}, {rowId}, target, targetElement,
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        auto [held, shifted] = heldClass(nb, l, args[0], first, count);
        return arith::SelectOp::create(
            nb, l, held,
            arith::IndexCastOp::create(nb, l, targetElement, shifted),
            arith::ConstantOp::create(nb, l,
                                      nb.getIntegerAttr(targetElement, -1)));
      });
  auto local = cast<LinearXentOp>(localOp(b, p));
  local.getTargetMutable().assign(partTarget);
  local.setIgnoreIndex(-1);
  local.setReduction(Reduction::None);
  local.setZLoss(APFloat(0.0));
  local.setWithLse(true);
  Operation *part = withInferredResults(b, local);
  Value partLoss = part->getResult(0), partLse = part->getResult(1);
  Value picked = elementwise(
      b, {partTarget, partLse, partLoss}, {rowId, rowId, rowId}, partLse,
      element, [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value ignored = arith::CmpIOp::create(
            nb, l, arith::CmpIPredicate::slt, args[0],
            arith::ConstantOp::create(nb, l,
                                      nb.getIntegerAttr(targetElement, 0)));
        return arith::SelectOp::create(
            nb, l, ignored, floatConstant(nb, l, element, 0.0),
            arith::SubFOp::create(nb, l, args[1], args[2]));
      });
  ArrayRef<GridAxis> classAxes = p.axes[classLoop];
  Value lse = mergedLogSumExp(b, p, partLse, classAxes).lse;
  picked = allReduce(b, p, picked, ReductionKind::Sum, classAxes);
  Value numClasses = arith::MulIOp::create(
      b, count, arith::ConstantIndexOp::create(b, p.processes(classLoop)));
  Value losses =
      lossesFromLse(b, b.getLoc(), target, lse, picked, op.getIgnoreIndex(),
                    numClasses, op.getZLoss().convertToDouble());
  results.push_back(reduceRows(b, p, losses, target, op.getIgnoreIndex(),
                               op.getReduction(), element));
  if (op.getWithLse())
    results.push_back(lse);
  return results;
}

/// The cross-entropy's gradient with its classes split: the row's max
/// logit and sum of exp(z - max) all-reduced (so that p = exp(z - max) / sum
/// keeps every digit, as the op's own lowering does), then each part's
/// logits' gradients (xentLogitGradient) with the target's share where the
/// part holds the target.
Value mergeXentLogitsBackward(ImplicitLocOpBuilder &b, const Partition &p,
                              XentLogitsBackwardOp op) {
  Location loc = b.getLoc();
  MLIRContext *ctx = b.getContext();
  XentOptions options = xentOptions(op);
  Value grad = p.operands[0], logits = p.operands[1], target = p.operands[2];
  auto type = cast<RankedTensorType>(logits.getType());
  Type element = type.getElementType();
  int64_t rank = type.getRank(), classLoop = rank - 1;
  ArrayRef<GridAxis> classAxes = p.axes[classLoop];
  SmallVector<OpFoldResult> rows = tensor::getMixedSizes(b, loc, target);
  AffineMap id = b.getMultiDimIdentityMap(rank);
  AffineMap rowMap = dimsMap(ctx, rank, llvm::to_vector(llvm::seq<int64_t>(0, rank - 1)));
  AffineMap rowId = b.getMultiDimIdentityMap(rank - 1);
  SmallVector<IteratorType> overRow(rank, IteratorType::parallel);
  overRow.back() = IteratorType::reduction;
  // max = max_c cap(z), all-reduced; sum = sum_c exp(cap(z) - max), too.
  Value partMax = buildGeneric(
      b, loc, {logits}, {id}, filled(b, loc, rows, negInfinity(b, loc, element)),
      rowMap, overRow, [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::MaximumFOp::create(
            nb, l, args[1], capLogit(nb, l, args[0], options));
      });
  Value max = allReduce(b, p, partMax, ReductionKind::Max, classAxes);
  Value partSum = buildGeneric(
      b, loc, {logits, max}, {id, rowMap},
      filled(b, loc, rows, floatConstant(b, loc, element, 0.0)), rowMap,
      overRow, [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::AddFOp::create(
            nb, l, args[2],
            expShifted(nb, l, capLogit(nb, l, args[0], options), args[1]));
      });
  Value sum = allReduce(b, p, partSum, ReductionKind::Sum, classAxes);
  Value shift = elementwise(
      b, {max}, {rowId}, max, element,
      [](OpBuilder &nb, Location l, ValueRange args) {
        return safeShift(nb, l, args[0]);
      });
  Value inverseSum = elementwise(
      b, {sum}, {rowId}, sum, element,
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::DivFOp::create(nb, l, floatConstant(nb, l, element, 1.0),
                                     args[0]);
      });
  Value lse = elementwise(
      b, {shift, sum}, {rowId, rowId}, sum, element,
      [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::AddFOp::create(nb, l, args[0],
                                     math::LogOp::create(nb, l, args[1]));
      });
  Value count = p.localExtent(b, loc, classLoop);
  Value numClasses = arith::MulIOp::create(
      b, count, arith::ConstantIndexOp::create(b, p.processes(classLoop)));
  XentRowGradients grads =
      xentRowGradients(b, loc, options, grad, target, lse, /*wt=*/Value(),
                       /*totalW=*/Value(), numClasses);
  Value first = p.offset(b, classLoop);
  return buildGeneric(
      b, loc,
      {logits, shift, inverseSum, grads.g, grads.a, grads.targetShare, target},
      {id, rowMap, rowMap, rowMap, rowMap, rowMap, rowMap},
      tensor::EmptyOp::create(b, tensor::getMixedSizes(b, loc, logits),
                              element),
      id, SmallVector<IteratorType>(rank, IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value cls = arith::AddIOp::create(
            nb, l, first, linalg::IndexOp::create(nb, l, classLoop));
        Value isTarget = arith::CmpIOp::create(
            nb, l, arith::CmpIPredicate::eq, cls,
            arith::IndexCastOp::create(nb, l, nb.getIndexType(), args[6]));
        Value classes = arith::UIToFPOp::create(
            nb, l, element,
            arith::IndexCastUIOp::create(nb, l, nb.getI64Type(), numClasses));
        return xentLogitGradient(nb, l, options, args[0], args[1], args[2],
                                 args[3], args[4], args[5], isTarget,
                                 /*classWeight=*/Value(), classes);
      });
}

/// The fused loss's gradients split by tokens (dclassifier and dbias summed
/// over the parts) or by classes (dhidden summed). A part's op sees the
/// tokens whose target it does not hold as targeting its class 0 (not
/// ignored: their probabilities' gradients count), and the target's share
/// it then subtracted at class 0, c_n = g_n cap'(z_n0), is added back:
/// dhidden[n] += c_n classifier[0], dclassifier[0] += sum_n c_n hidden[n],
/// dbias[0] += sum_n c_n.
SmallVector<Value> mergeLinearXentBackward(ImplicitLocOpBuilder &b,
                                           const Partition &p,
                                           LinearXentBackwardOp op) {
  Location loc = b.getLoc();
  MLIRContext *ctx = b.getContext();
  const int64_t rowLoop = 0, classLoop = 1;
  SmallVector<Value> results;
  if (!p.isSplit(classLoop)) {
    Operation *local = localOp(b, p);
    results.append(local->getResults().begin(), local->getResults().end());
  } else {
    Value grad = p.operands[0], hidden = p.operands[1],
          classifier = p.operands[2], target = p.operands[3],
          lse = p.operands[4];
    Value bias = op.getBias() ? p.operands[5] : Value();
    XentOptions options = xentOptions(op);
    Type element = cast<RankedTensorType>(hidden.getType()).getElementType();
    Type targetElement = getElementTypeOrSelf(target.getType());
    Value first = p.offset(b, classLoop);
    Value count = p.localExtent(b, loc, classLoop);
    Value numClasses = arith::MulIOp::create(
        b, count, arith::ConstantIndexOp::create(b, p.processes(classLoop)));
    AffineMap rowId = b.getMultiDimIdentityMap(1);
    // Held targets moved to the part's classes, the others at class 0;
    // ignored and out-of-range targets kept.
    auto held = [&](OpBuilder &nb, Location l, Value t) {
      return heldClass(nb, l, t, first, count);
    };
    auto inRange = [&](OpBuilder &nb, Location l, Value t) {
      return classifyTarget(nb, l, t, op.getIgnoreIndex(), numClasses);
    };
    Value partTarget = elementwise(
        b, {target}, {rowId}, target, targetElement,
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          auto [in, shifted] = held(nb, l, args[0]);
          TargetClass t = inRange(nb, l, args[0]);
          Value elsewhere = arith::ConstantOp::create(
              nb, l, nb.getIntegerAttr(targetElement, 0));
          Value moved = arith::SelectOp::create(
              nb, l, in,
              arith::IndexCastOp::create(nb, l, targetElement, shifted),
              elsewhere);
          // An ignored or out-of-range target stays as it is.
          Value kept = arith::AndIOp::create(
              nb, l, t.inRange,
              arith::XOrIOp::create(
                  nb, l, t.ignored,
                  arith::ConstantIntOp::create(nb, l, nb.getI1Type(), 1)));
          return arith::SelectOp::create(nb, l, kept, moved, args[0]);
        });
    auto local = cast<LinearXentBackwardOp>(localOp(b, p));
    local.getTargetMutable().assign(partTarget);
    results.assign(local->getResults().begin(), local->getResults().end());
    // c_n = g_n cap'(z_n0) for the tokens whose target the part lacks.
    XentRowGradients grads =
        xentRowGradients(b, loc, options, grad, target, lse, /*wt=*/Value(),
                         /*totalW=*/Value(), numClasses);
    SmallVector<OpFoldResult> tokens = tensor::getMixedSizes(b, loc, target);
    Value z0 = buildGeneric(
        b, loc, {hidden, classifier},
        {dimsMap(ctx, 2, {0, 1}), dimsMap(ctx, 2, {-1, 1})},
        filled(b, loc, tokens, floatConstant(b, loc, element, 0.0)),
        dimsMap(ctx, 2, {0}), {IteratorType::parallel, IteratorType::reduction},
        [](OpBuilder &nb, Location l, ValueRange args) -> Value {
          return arith::AddFOp::create(
              nb, l, args[2], arith::MulFOp::create(nb, l, args[0], args[1]));
        });
    SmallVector<Value> cInputs{target, grads.g, z0};
    SmallVector<AffineMap> cMaps{rowId, rowId, rowId};
    if (bias) {
      cInputs.push_back(bias);
      cMaps.push_back(AffineMap::get(1, 0, {b.getAffineConstantExpr(0)}, ctx));
    }
    Value c = elementwise(
        b, cInputs, cMaps, z0, element,
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          auto [in, shifted] = held(nb, l, args[0]);
          TargetClass t = inRange(nb, l, args[0]);
          Value z = args[2];
          if (bias)
            z = arith::AddFOp::create(nb, l, z, args[3]);
          Value share = args[1];
          if (std::optional<double> cap = options.softcap) {
            // 1 - tanh²(z / cap)
            Value th = math::TanhOp::create(
                nb, l,
                arith::DivFOp::create(nb, l, z,
                                      floatConstant(nb, l, element, *cap)));
            share = arith::MulFOp::create(
                nb, l, share,
                arith::SubFOp::create(nb, l, floatConstant(nb, l, element, 1.0),
                                      arith::MulFOp::create(nb, l, th, th)));
          }
          Value lacks = arith::AndIOp::create(
              nb, l, t.inRange,
              arith::XOrIOp::create(
                  nb, l, in,
                  arith::ConstantIntOp::create(nb, l, nb.getI1Type(), 1)));
          lacks = arith::AndIOp::create(
              nb, l, lacks,
              arith::XOrIOp::create(
                  nb, l, t.ignored,
                  arith::ConstantIntOp::create(nb, l, nb.getI1Type(), 1)));
          return arith::SelectOp::create(nb, l, lacks, share,
                                         floatConstant(nb, l, element, 0.0));
        });
    // dhidden[n, d] += c_n classifier[0, d]
    AffineMap nd = dimsMap(ctx, 2, {0, 1});
    results[0] = elementwise(
        b, {results[0], c, classifier},
        {nd, dimsMap(ctx, 2, {0}), dimsMap(ctx, 2, {-1, 1})}, results[0],
        element, [](OpBuilder &nb, Location l, ValueRange args) -> Value {
          return arith::AddFOp::create(
              nb, l, args[0], arith::MulFOp::create(nb, l, args[1], args[2]));
        });
    // dclassifier[0, d] += sum_n c_n hidden[n, d]
    SmallVector<OpFoldResult> features = {
        tensor::getMixedSize(b, loc, hidden, 1)};
    Value row0 = buildGeneric(
        b, loc, {c, hidden}, {dimsMap(ctx, 2, {1}), dimsMap(ctx, 2, {1, 0})},
        filled(b, loc, features, floatConstant(b, loc, element, 0.0)),
        dimsMap(ctx, 2, {0}), {IteratorType::parallel, IteratorType::reduction},
        [](OpBuilder &nb, Location l, ValueRange args) -> Value {
          return arith::AddFOp::create(
              nb, l, args[2], arith::MulFOp::create(nb, l, args[0], args[1]));
        });
    auto addAtClass0 = [&](Value x, Value add, AffineMap addMap) {
      int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
      return elementwise(
          b, {x, add}, {b.getMultiDimIdentityMap(rank), addMap}, x, element,
          [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
            Value isZero =
                arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                      linalg::IndexOp::create(nb, l, 0),
                                      arith::ConstantIndexOp::create(nb, l, 0));
            return arith::AddFOp::create(
                nb, l, args[0],
                arith::SelectOp::create(nb, l, isZero, args[1],
                                        floatConstant(nb, l, element, 0.0)));
          });
    };
    results[1] = addAtClass0(results[1], row0, dimsMap(ctx, 2, {1}));
    if (results.size() > 2) {
      // dbias[0] += sum_n c_n
      Value total =
          buildGeneric(b, loc, {c}, {dimsMap(ctx, 1, {0})},
                       filled(b, loc, {}, floatConstant(b, loc, element, 0.0)),
                       AffineMap::get(1, 0, {}, ctx), {IteratorType::reduction},
                       [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                         return arith::AddFOp::create(nb, l, args[0], args[1]);
                       });
      results[2] =
          addAtClass0(results[2], total, AffineMap::get(1, 0, {}, ctx));
    }
    results[0] =
        allReduce(b, p, results[0], ReductionKind::Sum, p.axes[classLoop]);
  }
  if (p.isSplit(rowLoop))
    for (unsigned r = 1; r < results.size(); ++r)
      results[r] =
          allReduce(b, p, results[r], ReductionKind::Sum, p.axes[rowLoop]);
  return results;
}

/// softmax_backward and log_softmax_backward with their last dimension split:
/// the row's sum (of dy y; of dy where y is not -inf) all-reduced, then each
/// part's gradient as the op's decomposition forms it:
///   softmax:     dx = y (dy - sum_j dy_j y_j)
///   log_softmax: dx = y == -inf ? 0 : dy - exp(y) sum_j [y_j != -inf] dy_j
Value mergeRowBackward(ImplicitLocOpBuilder &b, const Partition &p,
                       bool isSoftmax) {
  Location loc = b.getLoc();
  Value dy = p.operands[0], y = p.operands[1];
  auto type = cast<RankedTensorType>(y.getType());
  Type element = type.getElementType();
  int64_t rank = type.getRank();
  AffineMap id = b.getMultiDimIdentityMap(rank), rows = rowsOf(b, rank);
  SmallVector<OpFoldResult> rowSizes = tensor::getMixedSizes(b, loc, y);
  rowSizes.pop_back();
  SmallVector<IteratorType> overRow(rank, IteratorType::parallel);
  overRow.back() = IteratorType::reduction;
  Value zero = floatConstant(b, loc, element, 0.0);
  Value partSum = buildGeneric(
      b, loc, {dy, y}, {id, id}, filled(b, loc, rowSizes, zero), rows, overRow,
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value term =
            isSoftmax
                ? arith::MulFOp::create(nb, l, args[0], args[1]).getResult()
                : arith::SelectOp::create(nb, l, isNegInfinity(nb, l, args[1]),
                                          floatConstant(nb, l, element, 0.0),
                                          args[0])
                      .getResult();
        return arith::AddFOp::create(nb, l, args[2], term);
      });
  Value sum = allReduce(b, p, partSum, ReductionKind::Sum);
  return elementwise(b, {dy, y, sum}, {id, id, rows}, y, element,
                     [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                       if (isSoftmax)
                         return arith::MulFOp::create(
                             nb, l, args[1],
                             arith::SubFOp::create(nb, l, args[0], args[2]));
                       Value share = arith::MulFOp::create(
                           nb, l, math::ExpOp::create(nb, l, args[1]), args[2]);
                       return arith::SelectOp::create(
                           nb, l, isNegInfinity(nb, l, args[1]),
                           floatConstant(nb, l, element, 0.0),
                           arith::SubFOp::create(nb, l, args[0], share));
                     });
}

/// masked_max_backward with its last dimension split: the row's first
/// maximizing entry over every process, as an all-reduce min of each part's
/// first (global) index with scores + mask == output, then the row's grad
/// at that entry (none where output is -inf, NaN or matches nothing).
Value mergeMaskedMaxBackward(ImplicitLocOpBuilder &b, const Partition &p) {
  Location loc = b.getLoc();
  Value grad = p.operands[0], scores = p.operands[1], output = p.operands[3];
  auto type = cast<RankedTensorType>(scores.getType());
  Type element = type.getElementType();
  int64_t rank = type.getRank(), classLoop = rank - 1;
  Type i64 = b.getI64Type();
  AffineMap rows = rowsOf(b, rank);
  SmallVector<OpFoldResult> rowSizes = tensor::getMixedSizes(b, loc, output);
  SmallVector<IteratorType> overRow(rank, IteratorType::parallel);
  overRow.back() = IteratorType::reduction;
  Value first = arith::IndexCastOp::create(b, i64, p.offset(b, classLoop));
  Value none = arith::ConstantOp::create(
      b, b.getI64IntegerAttr(std::numeric_limits<int64_t>::max()));
  // first_p = min_j (s + mask == m ? first + j : none)
  Value partFirst = buildGeneric(
      b, loc, {scores, p.operands[2], output},
      {p.nest.operandMaps[1], p.nest.operandMaps[2], p.nest.operandMaps[3]},
      filled(b, loc, rowSizes, none), rows, overRow,
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value j = arith::AddIOp::create(
            nb, l, first,
            arith::IndexCastOp::create(
                nb, l, i64, linalg::IndexOp::create(nb, l, classLoop)));
        Value isMax = arith::CmpFOp::create(
            nb, l, arith::CmpFPredicate::OEQ,
            arith::AddFOp::create(nb, l, args[0], args[1]), args[2]);
        return arith::MinSIOp::create(
            nb, l, args[3], arith::SelectOp::create(nb, l, isMax, j, none));
      });
  Value winner = allReduce(b, p, partFirst, ReductionKind::Min);
  AffineMap id = b.getMultiDimIdentityMap(rank);
  return buildGeneric(
      b, loc, {grad, output, winner}, {rows, rows, rows},
      tensor::EmptyOp::create(b, tensor::getMixedSizes(b, loc, scores),
                              element),
      id, SmallVector<IteratorType>(rank, IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value j = arith::AddIOp::create(
            nb, l, first,
            arith::IndexCastOp::create(
                nb, l, i64, linalg::IndexOp::create(nb, l, classLoop)));
        Value isFirst =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, j, args[2]);
        Value seen = arith::XOrIOp::create(
            nb, l, isNegInfinity(nb, l, args[1]),
            arith::ConstantIntOp::create(nb, l, nb.getI1Type(), 1));
        return arith::SelectOp::create(
            nb, l, arith::AndIOp::create(nb, l, isFirst, seen), args[0],
            floatConstant(nb, l, element, 0.0));
      });
}

/// Why `op` cannot be partitioned with the split `p.axes`, or "".
std::string refusal(const Partition &p) {
  Operation *op = p.op;
  bool anySplit = llvm::any_of(p.axes, [](auto &a) { return !a.empty(); });
  if (!anySplit)
    return "";
  // Dropout, the user's regions and a block mask index the whole
  // attention's scores; attention's features are contracted (its value
  // features too in the backward).
  std::string why =
      TypeSwitch<Operation *, std::string>(op)
          .Case<AttentionOp, AttentionBackwardOp>([&](auto o) -> std::string {
            if (o.getRng() || !o.getScoreMod().empty() ||
                !o.getMaskMod().empty() || o.getBlockMask())
              return "cannot split an attention with dropout, a score_mod "
                     "or mask_mod region or a block mask (their indices are "
                     "the whole attention's)";
            int64_t lead = o.getQuery().getType().getRank() - 2;
            bool backward = std::is_same_v<decltype(o), AttentionBackwardOp>;
            if (p.isSplit(lead + 2) || (backward && p.isSplit(lead + 3)))
              return "cannot split the features of the query and key (and "
                     "of the value in the backward)";
            return "";
          })
          .Default([](Operation *) { return ""; });
  if (!why.empty())
    return why;
  if (auto backward = dyn_cast<XentLogitsBackwardOp>(op)) {
    int64_t classLoop = p.nest.iterators.size() - 1;
    bool classTargets =
        isa<IntegerType>(getElementTypeOrSelf(backward.getTarget().getType()));
    if (p.isSplit(classLoop) &&
        (!classTargets || backward.getWeight() ||
         !backward.getLabelSmoothing().isZero()))
      return "splits its classes for class index targets without weight or "
             "label smoothing only";
    if (backward.getReduction() == Reduction::Mean &&
        llvm::any_of(llvm::seq<int64_t>(0, classLoop),
                     [&](int64_t loop) { return p.isSplit(loop); }))
      return "cannot split the rows of a mean's gradient (it divides by the "
             "kept rows of every process)";
  }
  if (auto backward = dyn_cast<LinearXentBackwardOp>(op)) {
    if (p.isSplit(2))
      return "cannot split the features of the hidden states and classifier";
    if (p.isSplit(1) &&
        (backward.getWeight() || !backward.getLabelSmoothing().isZero() ||
         static_cast<int64_t>(backward.getIgnoreIndex()) >= 0))
      return "splits its classes without weight or label smoothing, and "
             "with a negative ignore_index, only";
    if (p.isSplit(0) && backward.getReduction() == Reduction::Mean)
      return "cannot split the rows of a mean's gradient (it divides by the "
             "kept rows of every process)";
  }
  if (auto linear = dyn_cast<LinearXentOp>(op)) {
    if (p.isSplit(2))
      return "cannot split the features of the hidden states and classifier";
    if (p.isSplit(1) &&
        (linear.getWeight() || !linear.getLabelSmoothing().isZero()))
      return "splits its classes without weight or label smoothing only";
    if (linear.getWeight() && linear.getReduction() == Reduction::Mean &&
        p.isSplit(0))
      return "cannot split the rows of a weighted mean";
  }
  if (p.nest.headLoop >= 0 && p.isSplit(p.nest.headLoop) && p.nest.groups == 0)
    return "cannot split query heads whose count per key/value head is "
           "dynamic";
  SmallVector<GridAxis> reduced = p.reductionAxes();
  if (reduced.empty())
    return "";
  bool merges =
      isa<MaskedMaxOp, SumSqOp, XentOp, LogSumExpOp, SoftmaxOp, LogSoftmaxOp,
          AttentionOp, XentLogitsOp, AttentionBackwardOp, LinearXentOp,
          XentLogitsBackwardOp, LinearXentBackwardOp, SoftmaxBackwardOp,
          LogSoftmaxBackwardOp, MaskedMaxBackwardOp>(op);
  if (!merges)
    return "cannot split its reduced dimension (only its parallel ones)";
  Type element = getElementTypeOrSelf(op->getResult(0).getType());
  if (!element.isF32() && !element.isF64())
    return "splits its reduced dimension for f32 and f64 only (the "
           "collectives' types)";
  if (auto xent = dyn_cast<XentLogitsOp>(op)) {
    bool classTargets =
        isa<IntegerType>(getElementTypeOrSelf(xent.getTarget().getType()));
    if (p.isSplit(p.nest.partialLoop) && (!classTargets || xent.getWeight() ||
                                          !xent.getLabelSmoothing().isZero()))
      return "splits its classes for class index targets without weight or "
             "label smoothing only";
    if (xent.getWeight() && xent.getReduction() == Reduction::Mean)
      return "cannot split the rows of a weighted mean";
  }
  return "";
}

LogicalResult partitionOp(Operation *op, ArrayRef<Value> partitionedOperands,
                          ArrayRef<Sharding> operandShardings,
                          ArrayRef<Sharding> resultShardings,
                          IRMapping &partitionMap,
                          SymbolTableCollection &symbolTable,
                          OpBuilder &builder) {
  Partition p{
      op, buildLoopNest(op), {}, {}, llvm::to_vector(partitionedOperands)};
  FlatSymbolRefAttr gridName;
  FailureOr<ShardingArray> axes =
      loopSharding(op, p.nest, operandShardings, resultShardings, gridName,
                   /*diagnose=*/true);
  if (failed(axes))
    return failure();
  p.axes = std::move(*axes);
  if (!gridName) {
    shard::partitionFullyReplicatedOperation(
        *op, partitionedOperands, operandShardings, resultShardings,
        partitionMap, symbolTable, builder);
    return success();
  }
  p.grid = shard::getGrid(op, gridName, symbolTable);
  if (std::string why = refusal(p); !why.empty())
    return op->emitOpError(why);
  ImplicitLocOpBuilder b(op->getLoc(), builder);
  SmallVector<Value> results;
  if (p.reductionAxes().empty()) {
    llvm::append_range(results, localOp(b, p)->getResults());
  } else {
    results =
        TypeSwitch<Operation *, SmallVector<Value>>(op)
            .Case([&](MaskedMaxOp) -> SmallVector<Value> {
              return {allReduce(b, p, localOp(b, p)->getResult(0),
                                ReductionKind::Max)};
            })
            .Case<SumSqOp, XentOp>([&](auto) -> SmallVector<Value> {
              return {allReduce(b, p, localOp(b, p)->getResult(0),
                                ReductionKind::Sum)};
            })
            .Case([&](LogSumExpOp) -> SmallVector<Value> {
              return {mergedLogSumExp(b, p, localOp(b, p)->getResult(0),
                                      p.reductionAxes())
                          .lse};
            })
            .Case([&](SoftmaxOp o) -> SmallVector<Value> {
              return {mergeNormalized(b, p, o)};
            })
            .Case([&](LogSoftmaxOp o) -> SmallVector<Value> {
              return {mergeNormalized(b, p, o)};
            })
            .Case([&](AttentionOp o) { return mergeAttention(b, p, o); })
            .Case([&](XentLogitsOp o) -> SmallVector<Value> {
              return {mergeXentLogits(b, p, o)};
            })
            .Case([&](AttentionBackwardOp o) {
              return mergeAttentionBackward(b, p, o);
            })
            .Case([&](LinearXentOp o) { return mergeLinearXent(b, p, o); })
            .Case([&](XentLogitsBackwardOp o) -> SmallVector<Value> {
              return {mergeXentLogitsBackward(b, p, o)};
            })
            .Case([&](LinearXentBackwardOp o) {
              return mergeLinearXentBackward(b, p, o);
            })
            .Case([&](SoftmaxBackwardOp) -> SmallVector<Value> {
              return {mergeRowBackward(b, p, /*isSoftmax=*/true)};
            })
            .Case([&](LogSoftmaxBackwardOp) -> SmallVector<Value> {
              return {mergeRowBackward(b, p, /*isSoftmax=*/false)};
            })
            .Case([&](MaskedMaxBackwardOp) -> SmallVector<Value> {
              return {mergeMaskedMaxBackward(b, p)};
            });
  }
  partitionMap.map(op->getResults(), results);
  return success();
}

/// ShardingInterface of an attn op through its loop nest.
template <typename OpTy>
struct LoopNestShardingModel : public shard::ShardingInterface::ExternalModel<
                                   LoopNestShardingModel<OpTy>, OpTy> {
  SmallVector<IteratorType> getLoopIteratorTypes(Operation *op) const {
    return buildLoopNest(op).iterators;
  }

  SmallVector<ReductionKind>
  getReductionLoopIteratorKinds(Operation *op) const {
    LoopNest nest = buildLoopNest(op);
    ReductionKind kind =
        TypeSwitch<Operation *, ReductionKind>(op)
            .Case([](MaskedMaxOp) { return ReductionKind::Max; })
            .template Case<SumSqOp, XentOp>(
                [](auto) { return ReductionKind::Sum; })
            .Default([](Operation *) { return ReductionKind::Generic; });
    return SmallVector<ReductionKind>(
        llvm::count(nest.iterators, IteratorType::reduction), kind);
  }

  SmallVector<AffineMap> getIndexingMaps(Operation *op) const {
    LoopNest nest = buildLoopNest(op);
    SmallVector<AffineMap> maps;
    unsigned next = 0;
    for (Value operand : op->getOperands())
      maps.push_back(
          isa<RankedTensorType>(operand.getType())
              ? nest.operandMaps[next++]
              : AffineMap::get(nest.iterators.size(), 0, op->getContext()));
    llvm::append_range(maps, nest.resultMaps);
    return maps;
  }

  FailureOr<ShardingOption>
  getShardingOption(Operation *op, ArrayRef<Sharding> operandShardings,
                    ArrayRef<Sharding> resultShardings) const {
    FlatSymbolRefAttr grid;
    FailureOr<ShardingArray> axes =
        loopSharding(op, buildLoopNest(op), operandShardings, resultShardings,
                     grid, /*diagnose=*/false);
    if (failed(axes))
      return op->emitOpError("has operands split differently along the "
                             "same loop, or two loops over one grid axis");
    if (!grid)
      return ShardingOption::makeEmpty();
    shard::removeTrailingEmptySubArray(*axes);
    return ShardingOption(std::move(*axes), grid);
  }

  FailureOr<std::vector<Sharding>>
  getShardingAnnotations(Operation *op, const ShardingOption &option) const {
    return annotationsOf(op, buildLoopNest(op), option);
  }

  LogicalResult addShardingAnnotations(Operation *op, OpBuilder &b,
                                       const ShardingOption &option) const {
    std::vector<Sharding> shardings =
        annotationsOf(op, buildLoopNest(op), option);
    unsigned numOperands = op->getNumOperands();
    for (OpResult result : op->getResults())
      shard::maybeInsertTargetShardingAnnotation(
          shardings[numOperands + result.getResultNumber()], result, b);
    for (OpOperand &operand : op->getOpOperands()) {
      if (!shardings[operand.getOperandNumber()])
        continue;
      OpBuilder::InsertionGuard guard(b);
      shard::maybeInsertSourceShardingAnnotation(
          shardings[operand.getOperandNumber()], operand, b);
    }
    return success();
  }

  LogicalResult partition(Operation *op, ArrayRef<Value> partitionedOperands,
                          ArrayRef<Sharding> operandShardings,
                          ArrayRef<Sharding> resultShardings,
                          IRMapping &partitionMap,
                          SymbolTableCollection &symbolTable,
                          OpBuilder &builder) const {
    return partitionOp(op, partitionedOperands, operandShardings,
                       resultShardings, partitionMap, symbolTable, builder);
  }
};

template <typename... OpTys> void attachAll(MLIRContext *ctx) {
  (OpTys::template attachInterface<LoopNestShardingModel<OpTys>>(*ctx), ...);
}

} // namespace

void attn::attachShardingInterfaces(MLIRContext *ctx) {
  attachAll<MaskedMaxOp, SumSqOp, XentOp, SoftmaxOp, LogSumExpOp, LogSoftmaxOp,
            XentLogitsOp, AttentionOp, SoftmaxBackwardOp, LogSoftmaxBackwardOp,
            LogSumExpBackwardOp, SumSqBackwardOp, MaskedMaxBackwardOp,
            XentBackwardOp, XentLogitsBackwardOp, AttentionBackwardOp,
            LinearXentOp, LinearXentBackwardOp>(ctx);
}
