//===- AggregatedOpInterfaceImpl.cpp - attn ops as linalg named ops -------===//
//
// AggregatedOpInterface::decomposeOperation of every attn op: the linalg
// named ops of its math (fill, broadcast, elementwise ops, reduce), shaped
// so that upstream generalization and elementwise fusion turn each reduction
// and each output into one linalg.generic: every elementwise producer has a
// single use (a prefix that two consumers need, such as `input + mask`, is
// emitted once for each), and reductions come last. Attention decomposes
// into its two contractions around an `attn.softmax` of the scores (one
// level, as IREE's attention does); attn.online_attention into one online
// step over its keys. `--convert-attn-to-linalg` is built on these
// decompositions (and on the flash lowering for attention).
//
// The softmax family shares one decomposition of its row statistics:
//   m  = max_j x                      (reduce, from -inf)
//   ms = m == -inf ? 0 : m            (a fully masked row shifts by 0)
//   s  = sum_j exp(x - ms)            (reduce, from 0)
// so a fully masked row has s == 0 and never computes -inf - -inf.
// --attn-fuse-online-softmax later merges the two reductions into one.
//
// f16 and bf16 ops are computed in f32 and rounded once: a sum of 4096 ones
// stops at 2048 in f16 (and at 256 in bf16).
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Dialect/Attn/AttnOps.h"
#include "AttnDialect/Dialect/Attn/AttnUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;

namespace {

SmallVector<int64_t> range(int64_t begin, int64_t end) {
  return llvm::to_vector(llvm::seq<int64_t>(begin, end));
}

/// Emits linalg named ops over tensors shaped like one input `[..., N]` and
/// its rows `[...]`.
class RowOpBuilder {
public:
  RowOpBuilder(OpBuilder &b, Location loc, Value input)
      : b(b), loc(loc), input(input),
        type(cast<RankedTensorType>(input.getType())),
        elementType(type.getElementType()),
        sizes(tensor::getMixedSizes(b, loc, input)) {}

  int64_t rank() const { return type.getRank(); }
  Type getElementType() const { return elementType; }
  ArrayRef<OpFoldResult> getSizes() const { return sizes; }

  /// An empty tensor of the input's shape.
  Value empty() { return tensor::EmptyOp::create(b, loc, sizes, elementType); }

  /// An empty tensor of the rows' shape.
  Value emptyRows(Type elemType = {}) {
    return tensor::EmptyOp::create(b, loc, ArrayRef(sizes).drop_back(),
                                   elemType ? elemType : elementType);
  }

  Value constant(double value) {
    return arith::ConstantOp::create(b, loc,
                                     b.getFloatAttr(elementType, value));
  }

  /// A tensor of the rows' shape filled with the identity of `kind`.
  Value rowsFilledWith(arith::AtomicRMWKind kind) {
    Value identity = arith::getIdentityValue(kind, elementType, b, loc);
    return linalg::FillOp::create(b, loc, ValueRange{identity},
                                  ValueRange{emptyRows()})
        .getResult(0);
  }

  /// reduce(combine) of `x` over its last dimension, from the identity of
  /// `kind`.
  template <typename CombineOp>
  Value reduceRows(Value x, arith::AtomicRMWKind kind) {
    Value init = rowsFilledWith(kind);
    return linalg::ReduceOp::create(
               b, loc, ValueRange{x}, ValueRange{init}, {rank() - 1},
               [](OpBuilder &nb, Location nloc, ValueRange args) {
                 Value combined = CombineOp::create(nb, nloc, args[0], args[1]);
                 linalg::YieldOp::create(nb, nloc, combined);
               })
        .getResult(0);
  }

  /// A named elementwise op of `operands`, all of the input's shape.
  template <typename NamedOp> Value elementwise(ValueRange operands) {
    return NamedOp::create(b, loc, operands, ValueRange{empty()}).getResult(0);
  }

  /// linalg.map of `operands` into `init` with the scalar body `body`.
  Value map(ValueRange operands, Value init,
            function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
    return linalg::MapOp::create(
               b, loc, operands, init,
               [&](OpBuilder &nb, Location nloc, ValueRange args) {
                 linalg::YieldOp::create(nb, nloc, body(nb, nloc, args));
               })
        .getResult()[0];
  }

  /// `rows` ([...]) replicated along the last dimension.
  Value broadcastRows(Value rows) {
    return linalg::BroadcastOp::create(b, loc, rows, empty(), {rank() - 1})
        .getResult()[0];
  }

  /// `x + mask`, the mask ([M, N] or the input's shape) broadcast over the
  /// leading dimensions.
  Value addMask(Value x, Value mask) {
    int64_t maskRank = cast<RankedTensorType>(mask.getType()).getRank();
    if (maskRank < rank()) {
      SmallVector<int64_t> batchDims =
          llvm::to_vector(llvm::seq<int64_t>(0, rank() - maskRank));
      // The mask's own sizes where it has them: a static size against a
      // dynamic one of the input (checked equal at run time) must stay
      // static for linalg.broadcast.
      SmallVector<OpFoldResult> maskSizes(
          ArrayRef(sizes).take_front(rank() - maskRank));
      llvm::append_range(maskSizes, tensor::getMixedSizes(b, loc, mask));
      Value init = tensor::EmptyOp::create(b, loc, maskSizes, elementType);
      mask = linalg::BroadcastOp::create(b, loc, mask, init, batchDims)
                 .getResult()[0];
    }
    return elementwise<linalg::AddOp>({x, mask});
  }

  /// `x` with entry (i, j) of the trailing [M, N] dims set to -inf where
  /// j > i + d: a causal mask computed from indices, its diagonal `d`
  /// aligned to the bottom-right corner (N - M) unless given.
  Value applyCausalMask(Value x, Value diagonal) {
    int64_t r = rank();
    Value offset = diagonal;
    if (!offset) {
      Value rows = getValueOrCreateConstantIndexOp(b, loc, sizes[r - 2]);
      Value cols = getValueOrCreateConstantIndexOp(b, loc, sizes[r - 1]);
      offset = arith::SubIOp::create(b, loc, cols, rows);
    }
    Value negInf = arith::getIdentityValue(arith::AtomicRMWKind::maximumf,
                                           elementType, b, loc);
    AffineMap id = b.getMultiDimIdentityMap(r);
    SmallVector<utils::IteratorType> iterators(r,
                                               utils::IteratorType::parallel);
    return linalg::GenericOp::create(
               b, loc, type, ValueRange{x}, ValueRange{empty()},
               ArrayRef<AffineMap>{id, id}, iterators,
               [&](OpBuilder &nb, Location nloc, ValueRange args) {
                 Value i = linalg::IndexOp::create(nb, nloc, r - 2);
                 Value j = linalg::IndexOp::create(nb, nloc, r - 1);
                 Value last = arith::AddIOp::create(nb, nloc, i, offset);
                 Value above = arith::CmpIOp::create(
                     nb, nloc, arith::CmpIPredicate::sgt, j, last);
                 Value masked =
                     arith::SelectOp::create(nb, nloc, above, negInf, args[0]);
                 linalg::YieldOp::create(nb, nloc, masked);
               })
        .getResult(0);
  }

  OpBuilder &b;
  Location loc;

private:
  Value input;
  RankedTensorType type;
  Type elementType;
  SmallVector<OpFoldResult> sizes;
};

//===----------------------------------------------------------------------===//
// The seed's reductions
//===----------------------------------------------------------------------===//

/// masked_max(s, m) -> reduce(maximumf, add(s, broadcast(m))) from -inf.
Value decomposeMaskedMax(OpBuilder &b, attn::MaskedMaxOp op) {
  RowOpBuilder rows(b, op.getLoc(), op.getScores());
  Value masked = rows.addMask(op.getScores(), op.getMask());
  return rows.reduceRows<arith::MaximumFOp>(masked,
                                            arith::AtomicRMWKind::maximumf);
}

/// sum_sq(x) -> reduce(addf, square(x)) from 0.
Value decomposeSumSq(OpBuilder &b, attn::SumSqOp op) {
  RowOpBuilder rows(b, op.getLoc(), op.getInput());
  Value squares = rows.elementwise<linalg::SquareOp>({op.getInput()});
  return rows.reduceRows<arith::AddFOp>(squares, arith::AtomicRMWKind::addf);
}

/// xent(p, q) -> reduce(addf, map(q == 0 ? 0 : -t, mul(q, log(p)))) from 0.
///
/// The 0 * log(0) = 0 rule and the negation sit in one elementwise linalg.map
/// before the reduction, so fusion pulls them into the reduction's body; a
/// negation after the reduction would be a consumer that fusion cannot take.
/// Negating each term is exact, so the sum equals the negated sum.
Value decomposeXent(OpBuilder &b, attn::XentOp op) {
  Value p = op.getP(), q = op.getQ();
  RowOpBuilder rows(b, op.getLoc(), p);
  Value logP = rows.elementwise<linalg::LogOp>({p});
  Value qLogP = rows.elementwise<linalg::MulOp>({q, logP});
  Type elementType = rows.getElementType();
  Value terms = rows.map(
      {q, qLogP}, rows.empty(),
      [elementType](OpBuilder &b, Location l, ValueRange args) -> Value {
        Value zero =
            arith::ConstantOp::create(b, l, b.getZeroAttr(elementType));
        Value qIsZero = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                              args[0], zero);
        Value negated = arith::NegFOp::create(b, l, args[1]);
        return arith::SelectOp::create(b, l, qIsZero, zero, negated);
      });
  return rows.reduceRows<arith::AddFOp>(terms, arith::AtomicRMWKind::addf);
}

//===----------------------------------------------------------------------===//
// The softmax family
//===----------------------------------------------------------------------===//

/// The masked scores of a softmax-family op, built anew for each consumer so
/// that each copy has one use and fuses into it.
struct MaskedScores {
  Value input, mask;
  bool causal;
  Value diagonal;

  Value build(RowOpBuilder &rows) const {
    Value x = input;
    if (mask)
      x = rows.addMask(x, mask);
    if (causal)
      x = rows.applyCausalMask(x, diagonal);
    return x;
  }
};

/// The masked scores of a softmax-family op.
template <typename OpT> MaskedScores maskedScoresOf(OpT op) {
  return {op.getInput(), op.getMask(), op.getCausal(), op.getDiagonal()};
}

/// `select(cond(v), 0, v)`-style scalar helpers for map bodies.
Value isEqualTo(OpBuilder &b, Location loc, Value v, Value c) {
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, v, c);
}

/// The row statistics of a stable softmax: the shift `ms` (the row max, or
/// 0 for a fully masked row) and `s = sum_j exp(x - ms)`.
struct RowStats {
  Value shift, sum;
};

/// exp of entries that are never positive (`x - ms`): a map, not linalg.exp,
/// to carry that fact to the cheaper exp of --attn-approximate-math.
Value nonPositiveExps(RowOpBuilder &rows, Value shifted) {
  return rows.map({shifted}, rows.empty(),
                  [](OpBuilder &b, Location l, ValueRange args) -> Value {
                    return attn::expNonPositive(b, l, args[0]);
                  });
}

RowStats buildRowStats(RowOpBuilder &rows, const MaskedScores &scores) {
  Type elementType = rows.getElementType();
  Value max = rows.reduceRows<arith::MaximumFOp>(
      scores.build(rows), arith::AtomicRMWKind::maximumf);
  // ms = m == -inf ? 0 : m
  Value shift = rows.map(
      {max}, rows.emptyRows(),
      [elementType](OpBuilder &b, Location l, ValueRange args) -> Value {
        Value negInf = arith::getIdentityValue(arith::AtomicRMWKind::maximumf,
                                               elementType, b, l);
        Value zero =
            arith::ConstantOp::create(b, l, b.getZeroAttr(elementType));
        return arith::SelectOp::create(b, l, isEqualTo(b, l, args[0], negInf),
                                       zero, args[0]);
      });
  // s = sum_j exp(x - ms)
  Value shifted = rows.elementwise<linalg::SubOp>(
      {scores.build(rows), rows.broadcastRows(shift)});
  Value exps = nonPositiveExps(rows, shifted);
  Value sum = rows.reduceRows<arith::AddFOp>(exps, arith::AtomicRMWKind::addf);
  return {shift, sum};
}

/// `exp(x - ms)` for the entries of each row, recomputed from the input.
Value shiftedExps(RowOpBuilder &rows, const MaskedScores &scores,
                  const RowStats &stats) {
  Value shifted = rows.elementwise<linalg::SubOp>(
      {scores.build(rows), rows.broadcastRows(stats.shift)});
  return nonPositiveExps(rows, shifted);
}

/// softmax(x) -> mul(exp(x - ms), broadcast(r)), r = 1/s (0 for a fully
/// masked row with masked_rows = zero).
Value decomposeSoftmax(OpBuilder &b, attn::SoftmaxOp op) {
  RowOpBuilder rows(b, op.getLoc(), op.getInput());
  MaskedScores scores = maskedScoresOf(op);
  RowStats stats = buildRowStats(rows, scores);

  // One reciprocal per row, then a multiply per entry. A fully masked row
  // has s == 0: r = 0 gives zeros, r = 1/0 = inf gives 0 * inf = NaN.
  Type elementType = rows.getElementType();
  bool zeroRows = op.getMaskedRows() == attn::MaskedRows::Zero;
  Value recip = rows.map(
      {stats.sum}, rows.emptyRows(),
      [&](OpBuilder &b, Location l, ValueRange args) -> Value {
        Value one = arith::ConstantOp::create(b, l, b.getOneAttr(elementType));
        Value r = arith::DivFOp::create(b, l, one, args[0]);
        if (!zeroRows)
          return r;
        Value zero =
            arith::ConstantOp::create(b, l, b.getZeroAttr(elementType));
        return arith::SelectOp::create(b, l, isEqualTo(b, l, args[0], zero),
                                       zero, r);
      });
  Value exps = shiftedExps(rows, scores, stats);
  return rows.elementwise<linalg::MulOp>({exps, rows.broadcastRows(recip)});
}

/// logsumexp(x) -> ms + log(s).
Value decomposeLogSumExp(OpBuilder &b, attn::LogSumExpOp op) {
  RowOpBuilder rows(b, op.getLoc(), op.getInput());
  RowStats stats = buildRowStats(rows, maskedScoresOf(op));
  // A fully masked row: 0 + log(0) = -inf.
  return rows.map({stats.shift, stats.sum}, rows.emptyRows(),
                  [](OpBuilder &b, Location l, ValueRange args) -> Value {
                    Value log = math::LogOp::create(b, l, args[1]);
                    return arith::AddFOp::create(b, l, args[0], log);
                  });
}

/// log_softmax(x) -> (x - ms) - log(s), log(s) taken as 0 for a fully masked
/// row so that its entries stay -inf. Subtracting the shift first keeps the
/// digits that x - logsumexp(x) would cancel away for large logits.
Value decomposeLogSoftmax(OpBuilder &b, attn::LogSoftmaxOp op) {
  RowOpBuilder rows(b, op.getLoc(), op.getInput());
  MaskedScores scores = maskedScoresOf(op);
  RowStats stats = buildRowStats(rows, scores);
  Type elementType = rows.getElementType();
  Value logSum = rows.map(
      {stats.sum}, rows.emptyRows(),
      [elementType](OpBuilder &b, Location l, ValueRange args) -> Value {
        Value zero =
            arith::ConstantOp::create(b, l, b.getZeroAttr(elementType));
        Value log = math::LogOp::create(b, l, args[0]);
        return arith::SelectOp::create(b, l, isEqualTo(b, l, args[0], zero),
                                       zero, log);
      });
  Value shifted = rows.elementwise<linalg::SubOp>(
      {scores.build(rows), rows.broadcastRows(stats.shift)});
  return rows.elementwise<linalg::SubOp>({shifted, rows.broadcastRows(logSum)});
}

/// The logits of a cross-entropy capped (`softcap`), or as they are.
Value cappedLogits(RowOpBuilder &rows, Value logits,
                   const attn::XentOptions &options) {
  if (!options.softcap)
    return logits;
  return rows.map({logits}, rows.empty(),
                  [&](OpBuilder &nb, Location l, ValueRange args) {
                    return attn::capLogit(nb, l, args[0], options);
                  });
}

/// Each row's logit of its target class, z[..., t] (class 0 where t is not
/// a class: the loss drops it).
Value targetLogits(RowOpBuilder &rows, OpBuilder &b, Location loc,
                   Value logits, Value target,
                   const attn::XentOptions &options, Value numClasses) {
  int64_t rowRank = rows.rank() - 1;
  AffineMap id = b.getMultiDimIdentityMap(rowRank);
  return attn::buildGeneric(
      b, loc, {target}, {id}, rows.emptyRows(), id,
      SmallVector<utils::IteratorType>(rowRank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        attn::TargetClass cls = attn::classifyTarget(
            nb, l, args[0], options.ignoreIndex, numClasses);
        SmallVector<Value> indices;
        for (int64_t d = 0; d < rowRank; ++d)
          indices.push_back(linalg::IndexOp::create(nb, l, d));
        indices.push_back(arith::SelectOp::create(nb, l, cls.inRange,
                                                  cls.index, cls.zeroIndex));
        return tensor::ExtractOp::create(nb, l, logits, indices);
      });
}

/// sum_c w[c] z[..., c] of each row (sum_c z[..., c] without weights).
Value weightedRowSums(RowOpBuilder &rows, OpBuilder &b, Location loc,
                      Value logits, Value weight) {
  if (!weight)
    return rows.reduceRows<arith::AddFOp>(logits, arith::AtomicRMWKind::addf);
  int64_t r = rows.rank();
  SmallVector<utils::IteratorType> iterators(r, utils::IteratorType::parallel);
  iterators.back() = utils::IteratorType::reduction;
  return attn::buildGeneric(
      b, loc, {logits, weight},
      {b.getMultiDimIdentityMap(r), attn::dimsMap(b.getContext(), r, {r - 1})},
      rows.rowsFilledWith(arith::AtomicRMWKind::addf),
      attn::dimsMap(b.getContext(), r, range(0, r - 1)), iterators,
      [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::AddFOp::create(
            nb, l, args[2], arith::MulFOp::create(nb, l, args[0], args[1]));
      });
}

/// Whether a cross-entropy's targets are class probabilities.
bool hasClassProbabilities(Value target) {
  return isa<FloatType>(getElementTypeOrSelf(target.getType()));
}

/// The class probabilities as weighed by the loss, u[..., c] = w[c] y'[c]
/// with y' = (1 - e) y + e / C, of one element (`weight` null: w = 1).
Value weighedProbability(OpBuilder &b, Location loc,
                         const attn::XentOptions &options, Value y,
                         Value weight, Value numClasses) {
  Type type = y.getType();
  if (double e = options.smoothing; e != 0.0) {
    Value classes = arith::UIToFPOp::create(
        b, loc, type,
        arith::IndexCastUIOp::create(b, loc, b.getI64Type(), numClasses));
    y = arith::AddFOp::create(
        b, loc,
        arith::MulFOp::create(b, loc, y, attn::floatConstant(b, loc, type, 1 - e)),
        arith::DivFOp::create(b, loc, attn::floatConstant(b, loc, type, e),
                              classes));
  }
  return weight ? arith::MulFOp::create(b, loc, y, weight).getResult() : y;
}

/// xent_logits(z, y [, w]) with class probabilities y -> per row
/// sum_c u[c] (ms - z[c]) + (sum_c u[c]) log s + zl lse², u = w y'
/// (weighedProbability), then the sum or the mean over all rows.
Value decomposeSoftXentLogits(OpBuilder &b, attn::XentLogitsOp op) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  attn::XentOptions options = attn::xentOptions(op);
  Value target = op.getTarget(), weight = op.getWeight();
  RowOpBuilder rows(b, loc, op.getLogits());
  Value logits = cappedLogits(rows, op.getLogits(), options);
  RowStats stats = buildRowStats(rows, MaskedScores{logits, {}, false, {}});
  Type type = rows.getElementType();
  int64_t r = rows.rank();
  Value numClasses =
      getValueOrCreateConstantIndexOp(b, loc, rows.getSizes().back());
  AffineMap id = b.getMultiDimIdentityMap(r);
  AffineMap rowMap = attn::dimsMap(ctx, r, range(0, r - 1));
  SmallVector<Value> inputs{logits, target, stats.shift};
  SmallVector<AffineMap> maps{id, id, rowMap};
  if (weight) {
    inputs.push_back(weight);
    maps.push_back(attn::dimsMap(ctx, r, {r - 1}));
  }
  maps.append({rowMap, rowMap});
  SmallVector<utils::IteratorType> iterators(r, utils::IteratorType::parallel);
  iterators.back() = utils::IteratorType::reduction;
  Value zeros = rows.rowsFilledWith(arith::AtomicRMWKind::addf);
  // margin = sum_c u[c] (ms - z[c]),  mass = sum_c u[c]
  auto sums = linalg::GenericOp::create(
      b, loc, TypeRange{zeros.getType(), zeros.getType()}, inputs,
      ValueRange{zeros, zeros}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value u = weighedProbability(nb, l, options, args[1],
                                     weight ? args[3] : Value(), numClasses);
        ValueRange acc = args.take_back(2);
        Value term = arith::MulFOp::create(
            nb, l, u, arith::SubFOp::create(nb, l, args[2], args[0]));
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::AddFOp::create(nb, l, acc[0], term),
                       arith::AddFOp::create(nb, l, acc[1], u)});
      });
  Value losses = rows.map(
      {sums.getResult(0), sums.getResult(1), stats.shift, stats.sum},
      rows.emptyRows(), [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value logSum = math::LogOp::create(nb, l, args[3]);
        Value loss = arith::AddFOp::create(
            nb, l, args[0], arith::MulFOp::create(nb, l, args[1], logSum));
        if (options.zLoss == 0.0)
          return loss;
        Value lse = arith::AddFOp::create(nb, l, args[2], logSum);
        return arith::AddFOp::create(
            nb, l, loss,
            arith::MulFOp::create(
                nb, l, attn::floatConstant(nb, l, type, options.zLoss),
                arith::MulFOp::create(nb, l, lse, lse)));
      });
  return attn::reduceLosses(b, loc, losses, target, options.ignoreIndex,
                            options.reduction, type);
}

/// xent_logits(z, t [, w]) -> per row, from z capped (softcap), its row
/// statistics (shift ms, sum s), z[t] and, with label smoothing, sum_c w[c]
/// z[c]: the loss of xentLosses; then its sum or mean (over the kept rows'
/// w[t] with weights).
Value decomposeXentLogits(OpBuilder &b, attn::XentLogitsOp op) {
  if (hasClassProbabilities(op.getTarget()))
    return decomposeSoftXentLogits(b, op);
  Location loc = op.getLoc();
  attn::XentOptions options = attn::xentOptions(op);
  Value target = op.getTarget(), weight = op.getWeight();
  RowOpBuilder rows(b, loc, op.getLogits());
  Value logits = cappedLogits(rows, op.getLogits(), options);
  RowStats stats = buildRowStats(rows, MaskedScores{logits, {}, false, {}});
  Type elementType = rows.getElementType();
  Value numClasses =
      getValueOrCreateConstantIndexOp(b, loc, rows.getSizes().back());
  Value zt = targetLogits(rows, b, loc, logits, target, options, numClasses);
  Value wt, totalW, sumWZ;
  if (weight) {
    wt = attn::targetWeights(b, loc, options, weight, target, numClasses);
    totalW = attn::totalWeight(b, loc, weight);
  }
  if (options.smoothing != 0.0)
    sumWZ = weightedRowSums(rows, b, loc, logits, weight);
  Value losses =
      attn::xentLosses(b, loc, options, target, stats.shift, stats.sum, sumWZ,
                       zt, wt, totalW, numClasses, /*withLse=*/false)
          .first;
  return attn::reduceLosses(b, loc, losses, target, options.ignoreIndex,
                            options.reduction, elementType, wt);
}

/// The raw logits hidden classifierᵀ + bias [N, V] of a linear_xent (before
/// the cap): one contraction over the features, the bias added elementwise.
Value linearXentLogits(OpBuilder &b, Location loc, Value hidden,
                       Value classifier, Value bias) {
  MLIRContext *ctx = b.getContext();
  Type type = getElementTypeOrSelf(hidden.getType());
  using utils::IteratorType;
  SmallVector<OpFoldResult> sizes{tensor::getMixedSize(b, loc, hidden, 0),
                                  tensor::getMixedSize(b, loc, classifier, 0)};
  Value logits = attn::buildGeneric(
      b, loc, {hidden, classifier},
      {attn::dimsMap(ctx, 3, {0, 2}), attn::dimsMap(ctx, 3, {1, 2})},
      attn::filled(b, loc, sizes, attn::floatConstant(b, loc, type, 0.0)),
      attn::dimsMap(ctx, 3, {0, 1}),
      {IteratorType::parallel, IteratorType::parallel, IteratorType::reduction},
      [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::AddFOp::create(
            nb, l, args[2], arith::MulFOp::create(nb, l, args[0], args[1]));
      });
  if (!bias)
    return logits;
  AffineMap id = b.getMultiDimIdentityMap(2);
  return attn::buildGeneric(
      b, loc, {logits, bias}, {id, attn::dimsMap(ctx, 2, {1})},
      tensor::EmptyOp::create(b, loc, sizes, type), id,
      {IteratorType::parallel, IteratorType::parallel},
      [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::AddFOp::create(nb, l, args[0], args[1]);
      });
}

/// linear_xent(h, w, t) -> z = cap(h wᵀ + bias) [N, V]; per token the row
/// statistics of z (shift ms, sum s), the sum of z (label smoothing) and
/// z[t] (a dot product); then the losses and their reduction.
SmallVector<Value> decomposeLinearXent(OpBuilder &b, attn::LinearXentOp op) {
  Location loc = op.getLoc();
  attn::XentOptions options = attn::xentOptions(op);
  Value raw =
      linearXentLogits(b, loc, op.getHidden(), op.getClassifier(), op.getBias());
  RowOpBuilder rows(b, loc, raw);
  Value logits = cappedLogits(rows, raw, options);
  RowStats stats = buildRowStats(rows, MaskedScores{logits, {}, false, {}});
  Type type = rows.getElementType();
  Value numClasses =
      getValueOrCreateConstantIndexOp(b, loc, rows.getSizes().back());
  Value target = op.getTarget(), weight = op.getWeight();
  Value zt = attn::linearXentTargetLogits(b, loc, options, op.getHidden(),
                                          op.getClassifier(), op.getBias(),
                                          target);
  Value wt, totalW, sumWZ;
  if (weight) {
    wt = attn::targetWeights(b, loc, options, weight, target, numClasses);
    totalW = attn::totalWeight(b, loc, weight);
  }
  if (options.smoothing != 0.0)
    sumWZ = weightedRowSums(rows, b, loc, logits, weight);
  auto [losses, lse] =
      attn::xentLosses(b, loc, options, target, stats.shift, stats.sum, sumWZ,
                       zt, wt, totalW, numClasses, op.getWithLse());
  SmallVector<Value> results{attn::reduceLosses(b, loc, losses, target,
                                                options.ignoreIndex,
                                                options.reduction, type, wt)};
  if (op.getWithLse())
    results.push_back(lse);
  return results;
}

/// linear_xent_backward(g, h, w, t, lse) -> dz [N, V] from the recomputed
/// logits (xentLogitGradient), then dh = dz w, dw = dzᵀ h and
/// dbias = the column sums of dz.
SmallVector<Value> decomposeLinearXentBackward(OpBuilder &b,
                                               attn::LinearXentBackwardOp op) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  using utils::IteratorType;
  constexpr IteratorType kPar = IteratorType::parallel,
                         kRed = IteratorType::reduction;
  attn::XentOptions options = attn::xentOptions(op);
  Value hidden = op.getHidden(), classifier = op.getClassifier();
  Value target = op.getTarget(), lse = op.getLse(), weight = op.getWeight();
  Type type = getElementTypeOrSelf(hidden.getType());
  Value raw = linearXentLogits(b, loc, hidden, classifier, op.getBias());
  Value numClasses = getValueOrCreateConstantIndexOp(
      b, loc, tensor::getMixedSize(b, loc, classifier, 0));
  Value wt, totalW;
  if (weight) {
    wt = attn::targetWeights(b, loc, options, weight, target, numClasses);
    totalW = attn::totalWeight(b, loc, weight);
  }
  attn::XentRowGradients grads = attn::xentRowGradients(
      b, loc, options, op.getGrad(), target, lse, wt, totalW, numClasses);
  AffineMap id = b.getMultiDimIdentityMap(2);
  AffineMap row = attn::dimsMap(ctx, 2, {0});
  SmallVector<Value> inputs{raw,    lse, grads.g, grads.a, grads.targetShare,
                            target};
  SmallVector<AffineMap> maps{id, row, row, row, row, row};
  if (weight) {
    inputs.push_back(weight);
    maps.push_back(attn::dimsMap(ctx, 2, {1}));
  }
  Value dz = attn::buildGeneric(
      b, loc, inputs, maps,
      tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, raw), type),
      id, {kPar, kPar}, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value cls = arith::IndexCastOp::create(nb, l, args[5].getType(),
                                               linalg::IndexOp::create(nb, l, 1));
        Value isTarget = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                               cls, args[5]);
        Value classes = arith::UIToFPOp::create(
            nb, l, type,
            arith::IndexCastUIOp::create(nb, l, nb.getI64Type(), numClasses));
        return attn::xentLogitGradient(nb, l, options, args[0], args[1],
                                       /*inverseSum=*/Value(), args[2],
                                       args[3], args[4], isTarget,
                                       weight ? args[6] : Value(), classes);
      });
  Value zero = attn::floatConstant(b, loc, type, 0.0);
  auto multiplyAdd = [](OpBuilder &nb, Location l, ValueRange args) -> Value {
    return arith::AddFOp::create(nb, l, args[2],
                                 arith::MulFOp::create(nb, l, args[0], args[1]));
  };
  // dh[n, d] = sum_v dz[n, v] w[v, d]    over (n, d, v)
  Value dHidden = attn::buildGeneric(
      b, loc, {dz, classifier},
      {attn::dimsMap(ctx, 3, {0, 2}), attn::dimsMap(ctx, 3, {2, 1})},
      attn::filled(b, loc, tensor::getMixedSizes(b, loc, hidden), zero),
      attn::dimsMap(ctx, 3, {0, 1}), {kPar, kPar, kRed}, multiplyAdd);
  // dw[v, d] = sum_n dz[n, v] h[n, d]    over (v, d, n)
  Value dClassifier = attn::buildGeneric(
      b, loc, {dz, hidden},
      {attn::dimsMap(ctx, 3, {2, 0}), attn::dimsMap(ctx, 3, {2, 1})},
      attn::filled(b, loc, tensor::getMixedSizes(b, loc, classifier), zero),
      attn::dimsMap(ctx, 3, {0, 1}), {kPar, kPar, kRed}, multiplyAdd);
  SmallVector<Value> results{dHidden, dClassifier};
  if (Value bias = op.getBias())
    // dbias[v] = sum_n dz[n, v]    over (v, n)
    results.push_back(attn::buildGeneric(
        b, loc, {dz}, {attn::dimsMap(ctx, 2, {1, 0})},
        attn::filled(b, loc, tensor::getMixedSizes(b, loc, bias), zero),
        attn::dimsMap(ctx, 2, {0}), {kPar, kRed},
        [](OpBuilder &nb, Location l, ValueRange args) -> Value {
          return arith::AddFOp::create(nb, l, args[1], args[0]);
        }));
  return results;
}

/// `p` [B, H, M, N] (queries first) with `a`'s dropout: each entry times
/// 1 / (1 - p) or 0, drawn from its indices moved by the dropout's origin.
Value applyDropout(OpBuilder &b, Location loc, const attn::AttentionOperands &a,
                   Value p) {
  if (!a.dropout)
    return p;
  AffineMap id = b.getMultiDimIdentityMap(4);
  return attn::buildGeneric(
      b, loc, {p}, {id},
      tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, p),
                              a.elementType),
      id, SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        SmallVector<Value> at;
        for (int64_t d = 0; d < 4; ++d)
          at.push_back(arith::AddIOp::create(nb, l, a.dropout.origin[d],
                                             linalg::IndexOp::create(nb, l, d)));
        Value rowKey =
            attn::dropoutRowKey(nb, l, a.dropout.key, at[0], at[1], at[2]);
        Value factor = attn::dropoutFactor(nb, l, rowKey, at[3], a.dropout.p,
                                           a.elementType);
        return arith::MulFOp::create(nb, l, args[0], factor);
      });
}

/// attention(q, k, v) -> (softmax((q kᵀ) * scale + mask)) v, all scores.
Value decomposeAttentionOperands(OpBuilder &b, Location loc,
                                 const attn::AttentionOperands &a,
                                 attn::MaskedRows maskedRows) {
  Value zeroIndex = arith::ConstantIndexOp::create(b, loc, 0);
  Value scores = attn::queryKeyProduct(b, loc, a, a.q, a.k);
  // The causal mask is left to attn.softmax.
  attn::AttentionOperands unmasked = a;
  unmasked.causal = false;
  scores = attn::maskedScores(b, loc, unmasked, scores, a.mask, zeroIndex,
                              zeroIndex, a.diagonal, a.scale);
  Value probabilities = attn::SoftmaxOp::create(
      b, loc, scores, /*mask=*/Value(), a.causal, a.diagonal, maskedRows);
  probabilities = applyDropout(b, loc, a, probabilities);
  SmallVector<OpFoldResult> outSizes(a.qSizes);
  outSizes[3] = a.vSizes[3];
  // With no key at all (N == 0) the product sums nothing: its initial value
  // is the result of rows that see no key, NaN for masked_rows = nan.
  Value zero = attn::floatConstant(b, loc, a.elementType, 0.0);
  Value initValue = zero;
  if (!a.zeroRows) {
    Value noKey = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::eq,
        getValueOrCreateConstantIndexOp(b, loc, a.kSizes[2]), zeroIndex);
    initValue = arith::SelectOp::create(
        b, loc, noKey,
        attn::floatConstant(b, loc, a.elementType,
                            std::numeric_limits<double>::quiet_NaN()),
        zero);
  }
  Value init = attn::filled(b, loc, outSizes, initValue);
  return attn::probabilityValueProduct(b, loc, a, probabilities, a.v, init);
}

/// attention(q, k, v) -> its output and, `with_lse`, its rows' logsumexp.
FailureOr<SmallVector<Value>> decomposeAttention(OpBuilder &b,
                                                 attn::AttentionOp op) {
  Location loc = op.getLoc();
  int64_t rank = op.getQuery().getType().getRank();
  Value empty = attn::emptyAttentionResult(b, op);
  if (empty && !op.getWithLse())
    return SmallVector<Value>{empty};
  Value emptyLse = op.getWithLse() ? attn::emptyAttentionLse(b, op) : Value();
  if (empty && emptyLse)
    return SmallVector<Value>{empty, emptyLse};
  FailureOr<attn::AttentionOperands> a = attn::prepareAttention(b, op);
  if (failed(a))
    return failure();
  SmallVector<Value> results{
      empty ? empty
            : attn::collapseToRank(b, loc,
                                   decomposeAttentionOperands(
                                       b, loc, *a, op.getMaskedRows()),
                                   rank)};
  if (op.getWithLse())
    results.push_back(
        attn::collapseToRank(b, loc, attn::attentionLse(b, loc, *a), rank - 1));
  return results;
}

/// `part` (`dest` without its leading unit dims) written back into `dest`.
Value insertIntoUnitDims(OpBuilder &b, Location loc, Value part, Value dest) {
  int64_t rank = cast<RankedTensorType>(dest.getType()).getRank();
  return tensor::InsertSliceOp::create(
      b, loc, part, dest, SmallVector<OpFoldResult>(rank, b.getIndexAttr(0)),
      tensor::getMixedSizes(b, loc, dest),
      SmallVector<OpFoldResult>(rank, b.getIndexAttr(1)));
}

/// Whether the rank-4 operands `a` hold one head of one batch entry.
bool isSingleHead(const attn::AttentionOperands &a) {
  auto isUnit = [](Value x) {
    auto type = cast<RankedTensorType>(x.getType());
    return type.getDimSize(0) == 1 && type.getDimSize(1) == 1;
  };
  return isUnit(a.q) && isUnit(a.k) && isUnit(a.v) &&
         (!a.mask || isUnit(a.mask));
}

/// One online step of a single head (a flash-attention block), the state
/// updated in place, scores key-major:
///   S    = k (q * scale)ᵀ + maskᵀ, causal -inf                      [N, M]
///   m'   = max(m, colmax S),  a = m == -inf ? 0 : exp2((m - m') log2(e))
///   P    = exp2((S - shift(m')) log2(e)),  l' = l a + colsum P (one pass)
///   acc' = acc a + Pᵀ v
/// Key-major scores make a query's max and sum run down a column, vector
/// lanes side by side with no cross-lane reduction; every exponential is an
/// exp2 of a non-positive number (attn.nonpositive), the cheapest to
/// approximate. The differences are taken before the change of base: in
/// base 2 throughout, the state's max would go through log2(e) and back
/// each step, and at |max| ~ 1e38 (a mask of finfo.min) one rounding of it
/// is worth more than the scores' range. Both contractions have the
/// (i, j, r) matmul form that --attn-vectorize-contractions register-blocks,
/// and qᵀ depends on the query block alone (a key loop hoists it).
SmallVector<Value> decomposeOnlineBlock(OpBuilder &b,
                                        attn::OnlineAttentionOp op,
                                        const attn::AttentionOperands &a) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  using utils::IteratorType;
  constexpr IteratorType kPar = IteratorType::parallel;
  constexpr IteratorType kRed = IteratorType::reduction;
  Type type = a.elementType;
  // bf16 operands of an f32 state: qᵀ and P are bf16 too.
  Type operandType = getElementTypeOrSelf(a.q.getType());
  auto narrowed = [&](OpBuilder &nb, Location l, Value x) -> Value {
    return operandType == type
               ? x
               : arith::TruncFOp::create(nb, l, operandType, x).getResult();
  };
  auto widened = [&](OpBuilder &nb, Location l, Value x) -> Value {
    return x.getType() == type
               ? x
               : arith::ExtFOp::create(nb, l, type, x).getResult();
  };
  Value q = attn::dropLeadingUnitDims(b, loc, a.q, 2);
  Value k = attn::dropLeadingUnitDims(b, loc, a.k, 2);
  Value v = attn::dropLeadingUnitDims(b, loc, a.v, 2);
  Value mask = a.mask ? attn::dropLeadingUnitDims(b, loc, a.mask, 2) : Value();
  Value acc4 = attn::expandToRank4(b, loc, op.getAcc());
  Value max3 = attn::expandToRank(b, loc, op.getMax(), 3);
  Value sum3 = attn::expandToRank(b, loc, op.getSum(), 3);
  Value acc = attn::dropLeadingUnitDims(b, loc, acc4, 2);
  Value max = attn::dropLeadingUnitDims(b, loc, max3, 2);
  Value sum = attn::dropLeadingUnitDims(b, loc, sum3, 2);

  AffineMap id1 = b.getMultiDimIdentityMap(1);
  AffineMap id2 = b.getMultiDimIdentityMap(2);
  AffineMap row2 = attn::dimsMap(ctx, 2, {0});
  AffineMap col2 = attn::dimsMap(ctx, 2, {1});
  Value zero = attn::floatConstant(b, loc, type, 0.0);
  Value log2e = attn::floatConstant(b, loc, type, 1.4426950408889634);
  SmallVector<OpFoldResult> rows{tensor::getMixedSize(b, loc, q, 0)};
  SmallVector<OpFoldResult> scoreSizes{tensor::getMixedSize(b, loc, k, 0),
                                       rows[0]};
  // exp(x - y) = exp2((x - y) log2(e)), x <= y.
  auto expOfDifference = [&](OpBuilder &nb, Location l, Value x, Value y) {
    Value diff = arith::SubFOp::create(nb, l, x, y);
    return attn::exp2NonPositive(nb, l,
                                 arith::MulFOp::create(nb, l, diff, log2e));
  };
  // qᵀ * scale [D, M]: the right operand of k qᵀ, read by rows.
  Value qt = attn::buildGeneric(
      b, loc, {q}, {attn::dimsMap(ctx, 2, {1, 0})},
      tensor::EmptyOp::create(
          b, loc,
          ArrayRef<OpFoldResult>{tensor::getMixedSize(b, loc, q, 1), rows[0]},
          operandType),
      id2, {kPar, kPar},
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return narrowed(
            nb, l,
            arith::MulFOp::create(nb, l, widened(nb, l, args[0]), a.scale));
      });
  Value scores =
      attn::blockMatmul(b, loc, k, qt, attn::filled(b, loc, scoreSizes, zero));
  if (mask || a.positional() || a.softcap || a.hasRegions()) {
    Value zeroIndex = arith::ConstantIndexOp::create(b, loc, 0);
    scores = attn::maskedScores(b, loc, a, scores, mask, zeroIndex, zeroIndex,
                                a.diagonal, /*scale=*/Value(),
                                /*keyMajor=*/true);
  }
  // colmax S; NaN scores are ignored (maxnumf): they make P NaN anyway.
  Value colMax = attn::buildGeneric(
      b, loc, {scores}, {id2},
      attn::filled(b, loc, rows, attn::negInfinity(b, loc, type)), col2,
      {kRed, kPar}, [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::MaxNumFOp::create(nb, l, args[0], args[1]);
      });
  // a = m == -inf ? 0 : exp(m - max(m, colmax))
  Value rescale = attn::buildGeneric(
      b, loc, {max, colMax}, {id1, id1},
      tensor::EmptyOp::create(b, loc, rows, type), id1, {kPar},
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value newMax = arith::MaxNumFOp::create(nb, l, args[0], args[1]);
        return arith::SelectOp::create(
            nb, l, attn::isNegInfinity(nb, l, args[0]), zero,
            expOfDifference(nb, l, args[0], newMax));
      });
  // m' = max(m, colmax), written over m
  Value newMax = attn::buildGeneric(
      b, loc, {colMax}, {id1}, max, id1, {kPar},
      [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::MaxNumFOp::create(nb, l, args[1], args[0]);
      });
  auto times = [](OpBuilder &nb, Location l, ValueRange args) -> Value {
    return arith::MulFOp::create(nb, l, args[1], args[0]);
  };
  // l' = l a + colsum P, with P = exp(S - shift(m')) in the same pass:
  // each exponential is summed as it is written.
  Value scaledSum =
      attn::buildGeneric(b, loc, {rescale}, {id1}, sum, id1, {kPar}, times);
  // With bf16 operands P is rounded to bf16 for Pᵀ v as it is written;
  // the sum adds it unrounded.
  Value pInit = tensor::EmptyOp::create(b, loc, scoreSizes, operandType);
  auto expsAndSums = linalg::GenericOp::create(
      b, loc, TypeRange{pInit.getType(), scaledSum.getType()},
      ValueRange{scores, newMax}, ValueRange{pInit, scaledSum},
      ArrayRef<AffineMap>{id2, col2, id2, col2},
      ArrayRef<IteratorType>{kRed, kPar},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value p =
            expOfDifference(nb, l, args[0], attn::safeShift(nb, l, args[1]));
        Value total = arith::AddFOp::create(nb, l, args[3], p);
        linalg::YieldOp::create(nb, l, ValueRange{narrowed(nb, l, p), total});
      });
  // acc' = acc a + Pᵀ v
  Value scaledAcc = attn::buildGeneric(b, loc, {rescale}, {row2}, acc, id2,
                                       {kPar, kPar}, times);
  // Dropout weighs the values with P Z / (1 - p); the sum keeps P.
  Value weights = expsAndSums.getResult(0);
  if (a.dropout) {
    // One key per query row (the block's columns), then one hash per score.
    Value rowKeys = attn::buildGeneric(
        b, loc, {}, {},
        tensor::EmptyOp::create(b, loc, rows, b.getI32Type()), id1, {kPar},
        [&](OpBuilder &nb, Location l, ValueRange) -> Value {
          Value row = arith::AddIOp::create(nb, l, a.dropout.origin[2],
                                            linalg::IndexOp::create(nb, l, 0));
          return attn::dropoutRowKey(nb, l, a.dropout.key, a.dropout.origin[0],
                                     a.dropout.origin[1], row);
        });
    weights = attn::buildGeneric(
        b, loc, {weights, rowKeys}, {id2, col2},
        tensor::EmptyOp::create(b, loc, scoreSizes, operandType), id2,
        {kPar, kPar},
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          Value key = arith::AddIOp::create(nb, l, a.dropout.origin[3],
                                            linalg::IndexOp::create(nb, l, 0));
          return narrowed(
              nb, l,
              arith::MulFOp::create(
                  nb, l, widened(nb, l, args[0]),
                  attn::dropoutFactor(nb, l, args[1], key, a.dropout.p, type)));
        });
  }
  Value newAcc = attn::blockMatmul(b, loc, weights, v,
                                   scaledAcc, /*lhsTransposed=*/true);

  int64_t rank = op.getQuery().getType().getRank();
  return {attn::collapseToRank(b, loc, insertIntoUnitDims(b, loc, newAcc, acc4),
                               rank),
          attn::collapseToRank(b, loc, insertIntoUnitDims(b, loc, newMax, max3),
                               rank - 1),
          attn::collapseToRank(
              b, loc,
              insertIntoUnitDims(b, loc, expsAndSums.getResult(1), sum3),
              rank - 1)};
}

/// One online step over a block of keys, the op's description in linalg:
///   m' = max(m, rowmax s),  shift = m' (0 where m' = -inf),
///   alpha = exp(m - shift),  p = exp(s - shift),
///   l' = alpha l + rowsum p,  acc' = alpha acc + p v.
FailureOr<SmallVector<Value>>
decomposeOnlineAttention(OpBuilder &b, attn::OnlineAttentionOp op) {
  Location loc = op.getLoc();
  SmallVector<Value> state{op.getAcc(), op.getMax(), op.getSum()};
  // No key, or no row to update: the state as it is.
  attn::EmptySizes empty =
      attn::emptySizes(op.getQuery(), op.getKey(), op.getValue(), op.getMask());
  if (empty.result || empty.keys)
    return state;
  FailureOr<attn::AttentionOperands> a = attn::prepareAttention(b, op);
  if (failed(a))
    return failure();
  if (isSingleHead(*a))
    return decomposeOnlineBlock(b, op, *a);
  // bf16 operands of an f32 state, several heads: in f32, p rounded to
  // bf16 as a single head's block rounds it.
  Type operandType = getElementTypeOrSelf(a->q.getType());
  bool mixed = operandType != a->elementType;
  if (mixed)
    for (Value *operand : {&a->q, &a->k, &a->v})
      *operand = attn::convertElements(b, loc, *operand, a->elementType);
  MLIRContext *ctx = b.getContext();
  Value zeroIndex = arith::ConstantIndexOp::create(b, loc, 0);
  Value scores = attn::queryKeyProduct(b, loc, *a, a->q, a->k);
  scores = attn::maskedScores(b, loc, *a, scores, a->mask, zeroIndex, zeroIndex,
                              a->diagonal, a->scale);
  Value acc = attn::expandToRank4(b, loc, op.getAcc());
  Value max = attn::expandToRank(b, loc, op.getMax(), 3);
  Value sum = attn::expandToRank(b, loc, op.getSum(), 3);

  using utils::IteratorType;
  AffineMap id4 = AffineMap::getMultiDimIdentityMap(4, ctx);
  AffineMap id3 = AffineMap::getMultiDimIdentityMap(3, ctx);
  AffineMap rowOf4 = attn::dimsMap(ctx, 4, {0, 1, 2});
  SmallVector<IteratorType> parallel4(4, IteratorType::parallel);
  SmallVector<IteratorType> parallel3(3, IteratorType::parallel);
  SmallVector<IteratorType> overKeys(parallel4);
  overKeys.back() = IteratorType::reduction;
  auto emptyLike = [&](Value x) -> Value {
    return tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, x),
                                   a->elementType);
  };
  // m' = max(m, rowmax s)
  Value newMax = attn::buildGeneric(
      b, loc, {scores}, {id4}, max, rowOf4, overKeys,
      [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::MaxNumFOp::create(nb, l, args[1], args[0]);
      });
  // alpha = exp(m - shift)
  Value alpha = attn::buildGeneric(
      b, loc, {max, newMax}, {id3, id3}, emptyLike(max), id3, parallel3,
      [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return attn::expShifted(nb, l, args[0], args[1]);
      });
  // p = exp(s - shift)
  Value p = attn::buildGeneric(
      b, loc, {scores, newMax}, {id4, rowOf4}, emptyLike(scores), id4,
      parallel4, [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return attn::expShifted(nb, l, args[0], args[1]);
      });
  auto times = [](OpBuilder &nb, Location l, ValueRange args) -> Value {
    return arith::MulFOp::create(nb, l, args[0], args[1]);
  };
  // l' = alpha l + rowsum p
  Value scaledSum = attn::buildGeneric(b, loc, {sum, alpha}, {id3, id3},
                                       emptyLike(sum), id3, parallel3, times);
  Value newSum = attn::buildGeneric(
      b, loc, {p}, {id4}, scaledSum, rowOf4, overKeys,
      [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::AddFOp::create(nb, l, args[1], args[0]);
      });
  // acc' = alpha acc + p v
  Value scaledAcc = attn::buildGeneric(b, loc, {acc, alpha}, {id4, rowOf4},
                                       emptyLike(acc), id4, parallel4, times);
  Value weights = applyDropout(b, loc, *a, p);
  if (mixed)
    weights = attn::convertElements(
        b, loc, attn::convertElements(b, loc, weights, operandType),
        a->elementType);
  Value newAcc =
      attn::probabilityValueProduct(b, loc, *a, weights, a->v, scaledAcc);

  int64_t rank = op.getQuery().getType().getRank();
  return SmallVector<Value>{attn::collapseToRank(b, loc, newAcc, rank),
                            attn::collapseToRank(b, loc, newMax, rank - 1),
                            attn::collapseToRank(b, loc, newSum, rank - 1)};
}

//===----------------------------------------------------------------------===//
// Gradients
//===----------------------------------------------------------------------===//
//
// Each backward op is its vector-Jacobian product in the same linalg named
// ops (and, where an index is read, generics), shaped as the forward ops'
// are: one reduction per row statistic, elementwise producers of one use.

/// softmax_backward(dy, y) -> y * (dy - rowsum(dy * y)).
Value decomposeSoftmaxBackward(OpBuilder &b, attn::SoftmaxBackwardOp op) {
  Value dy = op.getGrad(), y = op.getOutput();
  RowOpBuilder rows(b, op.getLoc(), y);
  Value products = rows.elementwise<linalg::MulOp>({dy, y});
  Value dot =
      rows.reduceRows<arith::AddFOp>(products, arith::AtomicRMWKind::addf);
  Value centered =
      rows.elementwise<linalg::SubOp>({dy, rows.broadcastRows(dot)});
  return rows.elementwise<linalg::MulOp>({y, centered});
}

/// `x`, or 0 where `v` is -inf (a masked entry, or a row that saw none).
Value zeroWhereNegInf(OpBuilder &b, Location loc, Value v, Value x) {
  return arith::SelectOp::create(b, loc, attn::isNegInfinity(b, loc, v),
                                 attn::floatConstant(b, loc, x.getType(), 0.0),
                                 x);
}

/// `dy` where `y` is not -inf, 0 where it is (an entry `y` does not depend on).
Value dropMasked(RowOpBuilder &rows, Value dy, Value y) {
  return rows.map({dy, y}, rows.empty(),
                  [](OpBuilder &b, Location l, ValueRange args) -> Value {
                    return zeroWhereNegInf(b, l, args[1], args[0]);
                  });
}

/// log_softmax_backward(dy, y) -> y == -inf ? 0 : dy - exp(y) t, with
/// t = rowsum(y == -inf ? 0 : dy): a masked entry's y is constant, so its
/// dy reaches no input.
Value decomposeLogSoftmaxBackward(OpBuilder &b,
                                  attn::LogSoftmaxBackwardOp op) {
  Value dy = op.getGrad(), y = op.getOutput();
  RowOpBuilder rows(b, op.getLoc(), y);
  Value total = rows.reduceRows<arith::AddFOp>(dropMasked(rows, dy, y),
                                               arith::AtomicRMWKind::addf);
  return rows.map({dy, y, rows.broadcastRows(total)}, rows.empty(),
                  [](OpBuilder &b, Location l, ValueRange args) -> Value {
                    Value exp = math::ExpOp::create(b, l, args[1]);
                    Value share = arith::MulFOp::create(b, l, exp, args[2]);
                    Value grad = arith::SubFOp::create(b, l, args[0], share);
                    return zeroWhereNegInf(b, l, args[1], grad);
                  });
}

/// logsumexp_backward(g, x, lse) -> lse == -inf ? 0 : g exp(x + mask - lse).
Value decomposeLogSumExpBackward(OpBuilder &b, attn::LogSumExpBackwardOp op) {
  RowOpBuilder rows(b, op.getLoc(), op.getInput());
  MaskedScores scores{op.getInput(), op.getMask(), op.getCausal(),
                      op.getDiagonal()};
  return rows.map({scores.build(rows), rows.broadcastRows(op.getOutput()),
                   rows.broadcastRows(op.getGrad())},
                  rows.empty(),
                  [](OpBuilder &b, Location l, ValueRange args) -> Value {
                    Value shifted =
                        arith::SubFOp::create(b, l, args[0], args[1]);
                    Value exp = math::ExpOp::create(b, l, shifted);
                    Value grad = arith::MulFOp::create(b, l, args[2], exp);
                    return zeroWhereNegInf(b, l, args[1], grad);
                  });
}

/// sum_sq_backward(g, x) -> (x + x) g.
Value decomposeSumSqBackward(OpBuilder &b, attn::SumSqBackwardOp op) {
  RowOpBuilder rows(b, op.getLoc(), op.getInput());
  return rows.map({op.getInput(), rows.broadcastRows(op.getGrad())},
                  rows.empty(),
                  [](OpBuilder &b, Location l, ValueRange args) -> Value {
                    Value twice = arith::AddFOp::create(b, l, args[0], args[0]);
                    return arith::MulFOp::create(b, l, twice, args[1]);
                  });
}

/// masked_max_backward(g, s, mask, m) -> g at the row's first j with
/// s + mask == m (none where m == -inf), 0 elsewhere:
///   first = min_j (s + mask == m ? j : N),
///   ds[..., j] = j == first && m != -inf ? g : 0.
Value decomposeMaskedMaxBackward(OpBuilder &b, attn::MaskedMaxBackwardOp op) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  RowOpBuilder rows(b, loc, op.getScores());
  int64_t r = rows.rank();
  AffineMap id = b.getMultiDimIdentityMap(r);
  AffineMap rowMap = attn::dimsMap(
      ctx, r, llvm::to_vector(llvm::seq<int64_t>(0, r - 1)));
  SmallVector<utils::IteratorType> overRow(r, utils::IteratorType::parallel);
  SmallVector<utils::IteratorType> parallel(overRow);
  overRow.back() = utils::IteratorType::reduction;
  Value n = getValueOrCreateConstantIndexOp(b, loc, rows.getSizes().back());
  Value none = linalg::FillOp::create(b, loc, ValueRange{n},
                                      ValueRange{rows.emptyRows(
                                          b.getIndexType())})
                   .getResult(0);
  Value masked = rows.addMask(op.getScores(), op.getMask());
  Value first = attn::buildGeneric(
      b, loc, {masked, op.getOutput()}, {id, rowMap}, none, rowMap, overRow,
      [&](OpBuilder &b, Location l, ValueRange args) -> Value {
        Value j = linalg::IndexOp::create(b, l, r - 1);
        Value isMax = isEqualTo(b, l, args[0], args[1]);
        Value candidate = arith::SelectOp::create(b, l, isMax, j, n);
        return arith::MinUIOp::create(b, l, candidate, args[2]);
      });
  return attn::buildGeneric(
      b, loc, {first, op.getOutput(), op.getGrad()}, {rowMap, rowMap, rowMap},
      rows.empty(), id, parallel,
      [&](OpBuilder &b, Location l, ValueRange args) -> Value {
        Value j = linalg::IndexOp::create(b, l, r - 1);
        Value isFirst =
            arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, j, args[0]);
        Value seen = arith::XOrIOp::create(
            b, l, attn::isNegInfinity(b, l, args[1]),
            arith::ConstantIntOp::create(b, l, 1, 1));
        Value takes = arith::AndIOp::create(b, l, isFirst, seen);
        return arith::SelectOp::create(
            b, l, takes, args[2],
            attn::floatConstant(b, l, args[2].getType(), 0.0));
      });
}

/// xent_backward(g, p, q) -> (q == 0 ? 0 : -(g q) / p, -(g log p)).
SmallVector<Value> decomposeXentBackward(OpBuilder &b,
                                         attn::XentBackwardOp op) {
  RowOpBuilder rows(b, op.getLoc(), op.getP());
  Value gradP = rows.map(
      {op.getP(), op.getQ(), rows.broadcastRows(op.getGrad())}, rows.empty(),
      [](OpBuilder &b, Location l, ValueRange args) -> Value {
        Value zero = attn::floatConstant(b, l, args[0].getType(), 0.0);
        Value weighted = arith::MulFOp::create(b, l, args[2], args[1]);
        Value ratio = arith::DivFOp::create(b, l, weighted, args[0]);
        Value negated = arith::NegFOp::create(b, l, ratio);
        return arith::SelectOp::create(b, l, isEqualTo(b, l, args[1], zero),
                                       zero, negated);
      });
  Value gradQ = rows.map(
      {op.getP(), rows.broadcastRows(op.getGrad())}, rows.empty(),
      [](OpBuilder &b, Location l, ValueRange args) -> Value {
        Value log = math::LogOp::create(b, l, args[0]);
        Value weighted = arith::MulFOp::create(b, l, args[1], log);
        return arith::NegFOp::create(b, l, weighted);
      });
  return {gradP, gradQ};
}

/// xent_logits_backward(g, z, y [, w]) with class probabilities y -> per
/// logit g ((sum_k u[k] + 2 zl lse) p[c] - u[c]) (u = w y', p = exp(z -
/// lse), times the cap's slope), g the row's share of the gradient (the
/// mean's over all rows).
Value decomposeSoftXentLogitsBackward(OpBuilder &b,
                                      attn::XentLogitsBackwardOp op) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  attn::XentOptions options = attn::xentOptions(op);
  Value raw = op.getLogits(), target = op.getTarget(), weight = op.getWeight();
  RowOpBuilder rows(b, loc, raw);
  Value logits = cappedLogits(rows, raw, options);
  RowStats stats = buildRowStats(rows, MaskedScores{logits, {}, false, {}});
  Type type = rows.getElementType();
  int64_t r = rows.rank(), rowRank = r - 1;
  Value numClasses =
      getValueOrCreateConstantIndexOp(b, loc, rows.getSizes().back());
  AffineMap id = b.getMultiDimIdentityMap(r);
  AffineMap rowMap = attn::dimsMap(ctx, r, range(0, rowRank));
  AffineMap classMap = attn::dimsMap(ctx, r, {r - 1});
  Value lse = rows.map({stats.shift, stats.sum}, rows.emptyRows(),
                       [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                         return arith::AddFOp::create(
                             nb, l, args[0], math::LogOp::create(nb, l, args[1]));
                       });
  // mass = sum_c u[c]
  SmallVector<Value> inputs{target};
  SmallVector<AffineMap> maps{id};
  if (weight) {
    inputs.push_back(weight);
    maps.push_back(classMap);
  }
  SmallVector<utils::IteratorType> iterators(r, utils::IteratorType::parallel);
  iterators.back() = utils::IteratorType::reduction;
  Value mass = attn::buildGeneric(
      b, loc, inputs, maps, rows.rowsFilledWith(arith::AtomicRMWKind::addf),
      rowMap, iterators, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value u = weighedProbability(nb, l, options, args[0],
                                     weight ? args[1] : Value(), numClasses);
        return arith::AddFOp::create(nb, l, args.back(), u).getResult();
      });
  // g: grad[...], grad, or grad / (number of rows) for a mean.
  Value count;
  if (options.reduction == attn::Reduction::Mean) {
    Value n = arith::ConstantIndexOp::create(b, loc, 1);
    for (OpFoldResult size : rows.getSizes().drop_back())
      n = arith::MulIOp::create(b, loc, n,
                                getValueOrCreateConstantIndexOp(b, loc, size));
    count = arith::UIToFPOp::create(
        b, loc, type, arith::IndexCastUIOp::create(b, loc, b.getI64Type(), n));
  }
  inputs = {raw, target, lse, mass, op.getGrad(), stats.shift, stats.sum};
  maps = {id, id, rowMap, rowMap,
          options.reduction == attn::Reduction::None
              ? rowMap
              : AffineMap::get(r, 0, {}, ctx),
          rowMap, rowMap};
  if (weight) {
    inputs.push_back(weight);
    maps.push_back(classMap);
  }
  return attn::buildGeneric(
      b, loc, inputs, maps, rows.empty(), id,
      SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value z = args[0], rowLse = args[2], g = args[4];
        if (count)
          g = arith::DivFOp::create(nb, l, g, count);
        Value u = weighedProbability(nb, l, options, args[1],
                                     weight ? args[7] : Value(), numClasses);
        Value capped = attn::capLogit(nb, l, z, options);
        // p = exp(z - ms) / s (every digit of p, see the hard targets').
        Value p = arith::DivFOp::create(
            nb, l,
            math::ExpOp::create(nb, l,
                                arith::SubFOp::create(nb, l, capped, args[5])),
            args[6]);
        Value factor = args[3];
        if (options.zLoss != 0.0)
          factor = arith::AddFOp::create(
              nb, l, factor,
              arith::MulFOp::create(
                  nb, l, attn::floatConstant(nb, l, type, 2 * options.zLoss),
                  rowLse));
        Value dz = arith::MulFOp::create(
            nb, l, g,
            arith::SubFOp::create(nb, l, arith::MulFOp::create(nb, l, factor, p),
                                  u));
        if (options.softcap) {
          // d cap(z) / dz = 1 - (cap(z) / cap)²
          Value t = arith::MulFOp::create(
              nb, l, capped,
              attn::floatConstant(nb, l, type, 1.0 / *options.softcap));
          dz = arith::MulFOp::create(
              nb, l, dz,
              arith::SubFOp::create(nb, l, attn::floatConstant(nb, l, type, 1.0),
                                    arith::MulFOp::create(nb, l, t, t)));
        }
        return dz;
      });
}

/// xent_logits_backward(g, z, t [, w]) -> per logit xentLogitGradient,
/// from the row's lse = ms + log s of the capped logits and its gradients
/// (xentRowGradients: g, a, and the target's share).
Value decomposeXentLogitsBackward(OpBuilder &b,
                                  attn::XentLogitsBackwardOp op) {
  if (hasClassProbabilities(op.getTarget()))
    return decomposeSoftXentLogitsBackward(b, op);
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  attn::XentOptions options = attn::xentOptions(op);
  Value raw = op.getLogits(), target = op.getTarget(), weight = op.getWeight();
  RowOpBuilder rows(b, loc, raw);
  Value logits = cappedLogits(rows, raw, options);
  RowStats stats = buildRowStats(rows, MaskedScores{logits, {}, false, {}});
  Type elementType = rows.getElementType();
  int64_t r = rows.rank(), rowRank = r - 1;
  Value numClasses =
      getValueOrCreateConstantIndexOp(b, loc, rows.getSizes().back());
  Value lse = rows.map({stats.shift, stats.sum}, rows.emptyRows(),
                       [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                         return arith::AddFOp::create(
                             nb, l, args[0], math::LogOp::create(nb, l, args[1]));
                       });
  Value wt, totalW;
  if (weight) {
    wt = attn::targetWeights(b, loc, options, weight, target, numClasses);
    totalW = attn::totalWeight(b, loc, weight);
  }
  attn::XentRowGradients grads = attn::xentRowGradients(
      b, loc, options, op.getGrad(), target, lse, wt, totalW, numClasses);
  AffineMap id = b.getMultiDimIdentityMap(r);
  AffineMap rowMap = attn::dimsMap(ctx, r, range(0, rowRank));
  // p = exp(z - ms) / s: every digit of p, where exp(z - lse) would lose
  // those of lse (1e-3 relative at logits of 1e4 in f32).
  Value inverseSum =
      rows.map({stats.sum}, rows.emptyRows(),
               [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                 return arith::DivFOp::create(
                     nb, l, attn::floatConstant(nb, l, elementType, 1.0),
                     args[0]);
               });
  SmallVector<Value> inputs{raw,     stats.shift, inverseSum,
                            grads.g, grads.a,     grads.targetShare,
                            target};
  SmallVector<AffineMap> maps{id,     rowMap, rowMap, rowMap,
                              rowMap, rowMap, rowMap};
  if (weight) {
    inputs.push_back(weight);
    maps.push_back(attn::dimsMap(ctx, r, {r - 1}));
  }
  return attn::buildGeneric(
      b, loc, inputs, maps, rows.empty(), id,
      SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value cls = arith::IndexCastOp::create(
            nb, l, args[6].getType(), linalg::IndexOp::create(nb, l, rowRank));
        Value isTarget = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                               cls, args[6]);
        Value classes = arith::UIToFPOp::create(
            nb, l, elementType,
            arith::IndexCastUIOp::create(nb, l, nb.getI64Type(), numClasses));
        return attn::xentLogitGradient(nb, l, options, args[0], args[1],
                                       args[2], args[3], args[4], args[5],
                                       isTarget, weight ? args[7] : Value(),
                                       classes);
      });
}

/// attention_backward over all the [M, N] scores, at rank 4 (G query heads
/// per key/value head):
///   S  = q kᵀ scale + mask (causal -inf),  P = exp(S - lse)
///   D  = lse == +inf ? 0 : rowsum(dO * O)
///   dP = dO vᵀ,  dS = P (dP - D) scale
///   dQ = dS k,  dK = sum over the group of dSᵀ q,  dV = sum of Pᵀ dO
FailureOr<SmallVector<Value>>
decomposeAttentionBackward(OpBuilder &b, attn::AttentionBackwardOp op) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  FailureOr<attn::AttentionOperands> prepared = attn::prepareAttention(b, op);
  if (failed(prepared))
    return failure();
  const attn::AttentionOperands &a = *prepared;
  using utils::IteratorType;
  constexpr IteratorType kPar = IteratorType::parallel;
  constexpr IteratorType kRed = IteratorType::reduction;
  Type type = a.elementType;
  Value dO = attn::expandToRank4(b, loc, op.getGrad());
  Value out = attn::expandToRank4(b, loc, op.getOutput());
  Value lse = attn::expandToRank(b, loc, op.getLse(), 3);
  Value zeroIndex = arith::ConstantIndexOp::create(b, loc, 0);
  Value zero = attn::floatConstant(b, loc, type, 0.0);
  AffineMap id4 = AffineMap::getMultiDimIdentityMap(4, ctx);
  AffineMap id3 = AffineMap::getMultiDimIdentityMap(3, ctx);
  AffineMap rowOf4 = attn::dimsMap(ctx, 4, {0, 1, 2});
  auto emptyLike = [&](Value x) -> Value {
    return tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, x),
                                   type);
  };

  // P = exp(S - lse): 0 where hidden (exp(-inf)) and in rows with lse = +inf.
  Value raw = attn::queryKeyProduct(b, loc, a, a.q, a.k);
  Value slope; // d s / d u through the softcap and score_mod, or null
  Value scores = attn::maskedScoresAndDerivative(
      b, loc, a, raw, a.mask, zeroIndex, zeroIndex, a.diagonal, a.scale,
      &slope);
  Value p = attn::buildGeneric(
      b, loc, {scores, lse}, {id4, rowOf4}, emptyLike(scores), id4,
      {kPar, kPar, kPar, kPar},
      [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return math::ExpOp::create(
            nb, l, arith::SubFOp::create(nb, l, args[0], args[1]));
      });
  // D = lse == +inf ? 0 : rowsum(dO * O)
  Value dot = attn::buildGeneric(
      b, loc, {dO, out}, {id4, id4},
      attn::filled(b, loc, tensor::getMixedSizes(b, loc, lse), zero), rowOf4,
      {kPar, kPar, kPar, kRed},
      [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::AddFOp::create(
            nb, l, args[2], arith::MulFOp::create(nb, l, args[0], args[1]));
      });
  Value d = attn::buildGeneric(
      b, loc, {dot, lse}, {id3, id3}, emptyLike(lse), id3, {kPar, kPar, kPar},
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value inf = attn::floatConstant(
            nb, l, type, std::numeric_limits<double>::infinity());
        Value unseen = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ,
                                             args[1], inf);
        return arith::SelectOp::create(nb, l, unseen, zero, args[0]);
      });
  // dS = P (dO vᵀ Z / (1 - p) - D) scale (Z: dropout's keep bits), times
  // d s / d u through the softcap and score_mod.
  Value dP = applyDropout(b, loc, a, attn::queryKeyProduct(b, loc, a, dO, a.v));
  SmallVector<Value> dSInputs{p, dP, d};
  SmallVector<AffineMap> dSMaps{id4, id4, rowOf4};
  if (slope) {
    dSInputs.push_back(slope);
    dSMaps.push_back(id4);
  }
  Value dS = attn::buildGeneric(
      b, loc, dSInputs, dSMaps, emptyLike(scores), id4,
      {kPar, kPar, kPar, kPar},
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value centered = arith::SubFOp::create(nb, l, args[1], args[2]);
        Value ds = arith::MulFOp::create(nb, l, args[0], centered);
        if (slope)
          ds = arith::MulFOp::create(nb, l, ds, args[3]);
        return arith::MulFOp::create(nb, l, ds, a.scale);
      });
  // dQ = dS k
  SmallVector<OpFoldResult> qSizes = a.qSizes;
  Value dQ = attn::probabilityValueProduct(b, loc, a, dS, a.k,
                                           attn::filled(b, loc, qSizes, zero));
  // Per query head: x[b, h, n, f] = sum_m lhs[b, h, m, n] rhs[b, h, m, f]
  // over (b, h, n, f, m); then the heads of each group summed.
  auto transposedProduct = [&](Value lhs, Value rhs, Value like) -> Value {
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, like);
    sizes[1] = a.qSizes[1];
    return attn::buildGeneric(
        b, loc, {lhs, rhs},
        {attn::dimsMap(ctx, 5, {0, 1, 4, 2}), attn::dimsMap(ctx, 5, {0, 1, 4, 3})},
        attn::filled(b, loc, sizes, zero), attn::dimsMap(ctx, 5, {0, 1, 2, 3}),
        {kPar, kPar, kPar, kPar, kRed},
        [](OpBuilder &nb, Location l, ValueRange args) -> Value {
          return arith::AddFOp::create(
              nb, l, args[2], arith::MulFOp::create(nb, l, args[0], args[1]));
        });
  };
  auto sumGroups = [&](Value perHead, Value like) -> Value {
    if (a.groups == 1)
      return perHead;
    // [B, Hq, x, y] -> [B, Hkv, G, x, y] (head hkv G + g), summed over g.
    auto type = cast<RankedTensorType>(perHead.getType());
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, perHead);
    SmallVector<int64_t> shape(type.getShape());
    int64_t kvHeads = shape[1] / a.groups;
    sizes[1] = b.getIndexAttr(kvHeads);
    sizes.insert(sizes.begin() + 2, b.getIndexAttr(a.groups));
    shape[1] = kvHeads;
    shape.insert(shape.begin() + 2, a.groups);
    Value grouped = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(shape, type.getElementType()), perHead,
        SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}}, sizes);
    return linalg::ReduceOp::create(
               b, loc, ValueRange{grouped},
               ValueRange{attn::filled(
                   b, loc, tensor::getMixedSizes(b, loc, like), zero)},
               {2},
               [](OpBuilder &nb, Location l, ValueRange args) {
                 linalg::YieldOp::create(
                     nb, l, arith::AddFOp::create(nb, l, args[0], args[1])
                                .getResult());
               })
        .getResult(0);
  };
  Value dK = sumGroups(transposedProduct(dS, a.q, a.k), a.k);
  Value dV = sumGroups(transposedProduct(applyDropout(b, loc, a, p), dO, a.v),
                       a.v);
  int64_t rank = op.getQuery().getType().getRank();
  return SmallVector<Value>{attn::collapseToRank(b, loc, dQ, rank),
                            attn::collapseToRank(b, loc, dK, rank),
                            attn::collapseToRank(b, loc, dV, rank)};
}

/// The decomposition of `op` by `decompose`; an f16 or bf16 op is
/// decomposed as its f32 twin on extended operands, its result truncated
/// once.
template <typename OpT, typename Decompose>
FailureOr<SmallVector<Value>> decomposeInWideType(OpBuilder &b, OpT op,
                                                  Decompose decompose) {
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  Type elementType = resultType.getElementType();
  if (!isa<Float16Type, BFloat16Type>(elementType))
    return decompose(b, op);
  Location loc = op.getLoc();
  Type f32 = b.getF32Type();
  IRMapping widened;
  for (Value operand : op->getOperands())
    if (auto type = dyn_cast<RankedTensorType>(operand.getType());
        type && type.getElementType() == elementType)
      widened.map(operand, attn::convertElements(b, loc, operand, f32));
  auto wide = cast<OpT>(b.clone(*op, widened));
  for (Value result : wide->getResults())
    result.setType(cast<RankedTensorType>(result.getType()).clone(f32));
  FailureOr<SmallVector<Value>> results = decompose(b, wide);
  wide->erase();
  if (failed(results))
    return failure();
  // Results of the operands' type are narrowed back (an f32 attention lse
  // stays).
  for (auto [result, type] : llvm::zip_equal(*results, op->getResultTypes()))
    if (getElementTypeOrSelf(type) == elementType)
      result = attn::convertElements(b, loc, result, elementType);
  return results;
}

} // namespace

#define ATTN_DECOMPOSITION(OP, FN)                                             \
  FailureOr<SmallVector<Value>> attn::OP::decomposeOperation(OpBuilder &b) {   \
    return decomposeInWideType(b, *this, [](OpBuilder &b, OP op) {             \
      FailureOr<Value> result = FN(b, op);                                     \
      if (failed(result))                                                      \
        return FailureOr<SmallVector<Value>>(failure());                       \
      return FailureOr<SmallVector<Value>>(SmallVector<Value>{*result});       \
    });                                                                        \
  }

ATTN_DECOMPOSITION(MaskedMaxOp, decomposeMaskedMax)
ATTN_DECOMPOSITION(SumSqOp, decomposeSumSq)
ATTN_DECOMPOSITION(XentOp, decomposeXent)
ATTN_DECOMPOSITION(SoftmaxOp, decomposeSoftmax)
ATTN_DECOMPOSITION(LogSumExpOp, decomposeLogSumExp)
ATTN_DECOMPOSITION(LogSoftmaxOp, decomposeLogSoftmax)
ATTN_DECOMPOSITION(XentLogitsOp, decomposeXentLogits)
ATTN_DECOMPOSITION(SoftmaxBackwardOp, decomposeSoftmaxBackward)
ATTN_DECOMPOSITION(LogSoftmaxBackwardOp, decomposeLogSoftmaxBackward)
ATTN_DECOMPOSITION(LogSumExpBackwardOp, decomposeLogSumExpBackward)
ATTN_DECOMPOSITION(SumSqBackwardOp, decomposeSumSqBackward)
ATTN_DECOMPOSITION(MaskedMaxBackwardOp, decomposeMaskedMaxBackward)
ATTN_DECOMPOSITION(XentLogitsBackwardOp, decomposeXentLogitsBackward)

#undef ATTN_DECOMPOSITION

FailureOr<SmallVector<Value>>
attn::AttentionOp::decomposeOperation(OpBuilder &b) {
  return decomposeInWideType(b, *this, decomposeAttention);
}

FailureOr<SmallVector<Value>>
attn::AttentionBackwardOp::decomposeOperation(OpBuilder &b) {
  return decomposeInWideType(b, *this, decomposeAttentionBackward);
}

FailureOr<SmallVector<Value>>
attn::XentBackwardOp::decomposeOperation(OpBuilder &b) {
  return decomposeInWideType(b, *this, [](OpBuilder &b, XentBackwardOp op) {
    return FailureOr<SmallVector<Value>>(decomposeXentBackward(b, op));
  });
}

FailureOr<SmallVector<Value>>
attn::LinearXentOp::decomposeOperation(OpBuilder &b) {
  return decomposeInWideType(b, *this, [](OpBuilder &b, LinearXentOp op) {
    return FailureOr<SmallVector<Value>>(decomposeLinearXent(b, op));
  });
}

FailureOr<SmallVector<Value>>
attn::LinearXentBackwardOp::decomposeOperation(OpBuilder &b) {
  return decomposeInWideType(
      b, *this, [](OpBuilder &b, LinearXentBackwardOp op) {
        return FailureOr<SmallVector<Value>>(
            decomposeLinearXentBackward(b, op));
      });
}

FailureOr<SmallVector<Value>>
attn::OnlineAttentionOp::decomposeOperation(OpBuilder &b) {
  return decomposeOnlineAttention(b, *this);
}
