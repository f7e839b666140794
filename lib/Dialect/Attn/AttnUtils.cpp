//===- AttnUtils.cpp - IR building helpers shared by the attn libraries ---===//

#include "AttnDialect/Dialect/Attn/AttnUtils.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::attn;

Value attn::buildGeneric(
    OpBuilder &b, Location loc, ValueRange inputs,
    ArrayRef<AffineMap> inputMaps, Value init, AffineMap initMap,
    ArrayRef<utils::IteratorType> iterators,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(initMap);
  return linalg::GenericOp::create(
             b, loc, init.getType(), inputs, ValueRange{init}, maps, iterators,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(nb, nloc, body(nb, nloc, args));
             })
      .getResult(0);
}

AffineMap attn::dimsMap(MLIRContext *ctx, unsigned numDims,
                        ArrayRef<int64_t> dims) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d : dims)
    exprs.push_back(d < 0 ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(d, ctx));
  return AffineMap::get(numDims, 0, exprs, ctx);
}

AffineMap attn::groupedMap(MLIRContext *ctx, unsigned numDims, int64_t groups,
                           unsigned row, unsigned col) {
  AffineExpr head = getAffineDimExpr(1, ctx);
  if (groups != 1)
    head = head.floorDiv(groups);
  return AffineMap::get(numDims, 0,
                        {getAffineDimExpr(0, ctx), head,
                         getAffineDimExpr(row, ctx),
                         getAffineDimExpr(col, ctx)},
                        ctx);
}

Value attn::expandToRank(OpBuilder &b, Location loc, Value x,
                         int64_t targetRank) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank(), missing = targetRank - rank;
  if (missing == 0)
    return x;
  SmallVector<int64_t> shape(missing, 1);
  llvm::append_range(shape, type.getShape());
  SmallVector<OpFoldResult> sizes(missing, b.getIndexAttr(1));
  llvm::append_range(sizes, tensor::getMixedSizes(b, loc, x));
  // The new unit dims join the first dim of x.
  SmallVector<ReassociationIndices> reassociation(rank);
  for (int64_t i = 0; i <= missing; ++i)
    reassociation[0].push_back(i);
  for (int64_t i = 1; i < rank; ++i)
    reassociation[i].push_back(missing + i);
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), x,
      reassociation, sizes);
}

Value attn::expandToRank4(OpBuilder &b, Location loc, Value x) {
  return expandToRank(b, loc, x, 4);
}

Value attn::dropLeadingUnitDims(OpBuilder &b, Location loc, Value x,
                                int64_t drop) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  auto reduced = RankedTensorType::get(type.getShape().drop_front(drop),
                                       type.getElementType());
  return tensor::ExtractSliceOp::create(
      b, loc, reduced, x, SmallVector<OpFoldResult>(rank, b.getIndexAttr(0)),
      sizes, SmallVector<OpFoldResult>(rank, b.getIndexAttr(1)));
}

Value attn::collapseToRank(OpBuilder &b, Location loc, Value x, int64_t rank) {
  int64_t missing = cast<RankedTensorType>(x.getType()).getRank() - rank;
  if (missing == 0)
    return x;
  SmallVector<ReassociationIndices> reassociation(rank);
  for (int64_t i = 0; i <= missing; ++i)
    reassociation[0].push_back(i);
  for (int64_t i = 1; i < rank; ++i)
    reassociation[i].push_back(missing + i);
  return tensor::CollapseShapeOp::create(b, loc, x, reassociation);
}

Value attn::floatConstant(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

Value attn::negInfinity(OpBuilder &b, Location loc, Type type) {
  return arith::getIdentityValue(arith::AtomicRMWKind::maximumf, type, b, loc);
}

Value attn::isNegInfinity(OpBuilder &b, Location loc, Value v) {
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, v,
                               negInfinity(b, loc, v.getType()));
}

Value attn::filled(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                   Value value) {
  Value empty = tensor::EmptyOp::create(b, loc, sizes, value.getType());
  return linalg::FillOp::create(b, loc, ValueRange{value}, ValueRange{empty})
      .getResult(0);
}

AffineMap attn::broadcastMap(MLIRContext *ctx, Value mask) {
  auto type = cast<RankedTensorType>(mask.getType());
  SmallVector<int64_t> dims;
  for (int64_t i = 0, e = type.getRank(); i < e; ++i)
    dims.push_back(type.getDimSize(i) == 1 ? -1 : i);
  return dimsMap(ctx, type.getRank(), dims);
}

Value attn::maskedScores(OpBuilder &b, Location loc, const AttentionOperands &a,
                         Value scores, Value mask, Value rowOffset,
                         Value colOffset, Value causalOffset, Value scale,
                         bool keyMajor) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = cast<RankedTensorType>(scores.getType()).getRank();
  assert((!keyMajor || rank == 2) && "key-major scores are a 2-D block");
  AffineMap id = b.getMultiDimIdentityMap(rank);
  SmallVector<Value> inputs{scores};
  SmallVector<AffineMap> maps{id};
  if (mask) {
    inputs.push_back(mask);
    AffineMap map = broadcastMap(ctx, mask);
    if (keyMajor)
      map = map.compose(dimsMap(ctx, 2, {1, 0}));
    maps.push_back(map);
  }
  unsigned queryDim = keyMajor ? rank - 1 : rank - 2;
  unsigned keyDim = keyMajor ? rank - 2 : rank - 1;
  Value init = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, scores), a.elementType);
  return buildGeneric(
      b, loc, inputs, maps, init, id,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value s = args[0];
        if (scale)
          s = arith::MulFOp::create(nb, l, s, scale);
        if (mask)
          s = arith::AddFOp::create(nb, l, s, args[1]);
        if (!a.causal)
          return s;
        // Key j is hidden from query i when j > i + d.
        Value j = arith::AddIOp::create(nb, l, colOffset,
                                        linalg::IndexOp::create(nb, l, keyDim));
        Value i = arith::AddIOp::create(
            nb, l, rowOffset, linalg::IndexOp::create(nb, l, queryDim));
        Value last = arith::AddIOp::create(nb, l, i, causalOffset);
        Value hidden =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sgt, j, last);
        return arith::SelectOp::create(nb, l, hidden,
                                       negInfinity(nb, l, a.elementType), s);
      });
}

Value attn::accumulateProducts(OpBuilder &b, Location loc, Value lhs, Value rhs,
                               AffineMap rhsMap, Value init) {
  MLIRContext *ctx = b.getContext();
  return buildGeneric(
      b, loc, {lhs, rhs}, {dimsMap(ctx, 5, {0, 1, 2, 4}), rhsMap}, init,
      dimsMap(ctx, 5, {0, 1, 2, 3}),
      {utils::IteratorType::parallel, utils::IteratorType::parallel,
       utils::IteratorType::parallel, utils::IteratorType::parallel,
       utils::IteratorType::reduction},
      [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value product = arith::MulFOp::create(nb, l, args[0], args[1]);
        return arith::AddFOp::create(nb, l, args[2], product);
      });
}

Value attn::queryKeyProduct(OpBuilder &b, Location loc,
                            const AttentionOperands &a, Value q, Value k) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, q);
  sizes[3] = tensor::getMixedSize(b, loc, k, 2);
  Value init = filled(b, loc, sizes, floatConstant(b, loc, a.elementType, 0.0));
  return accumulateProducts(
      b, loc, q, k, groupedMap(b.getContext(), 5, a.groups, 3, 4), init);
}

Value attn::probabilityValueProduct(OpBuilder &b, Location loc,
                                    const AttentionOperands &a, Value p,
                                    Value v, Value init) {
  return accumulateProducts(
      b, loc, p, v, groupedMap(b.getContext(), 5, a.groups, 4, 3), init);
}

attn::EmptySizes attn::emptySizes(AttentionOp op) {
  return emptySizes(op.getQuery(), op.getKey(), op.getValue(), op.getMask());
}

attn::EmptySizes attn::emptySizes(Value q, Value k, Value v, Value m) {
  // Whether dim `fromEnd` (1: the last) of `t` is a static 0.
  auto isZero = [](Value t, int64_t fromEnd) {
    if (!t)
      return false;
    auto type = cast<RankedTensorType>(t.getType());
    return fromEnd <= type.getRank() &&
           type.getDimSize(type.getRank() - fromEnd) == 0;
  };
  // [B, H, M, D] / [B, H, N, D] / [B, H, N, Dv] / mask [B, H, M, N].
  bool batch = isZero(q, 4) || isZero(k, 4) || isZero(v, 4) || isZero(m, 4);
  bool queryHeads = isZero(q, 3) || isZero(m, 3);
  bool queries = isZero(q, 2) || isZero(m, 2);
  return {batch || queryHeads || queries || isZero(v, 1),
          isZero(k, 2) || isZero(v, 2) || isZero(m, 1),
          isZero(q, 1) || isZero(k, 1)};
}

Value attn::convertElements(OpBuilder &b, Location loc, Value x,
                            Type elementType) {
  auto type = cast<RankedTensorType>(x.getType());
  Value init = tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, x),
                                       elementType);
  bool extend = elementType.getIntOrFloatBitWidth() >
                type.getElementType().getIntOrFloatBitWidth();
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{x}, ValueRange{init},
             ArrayRef<AffineMap>{id, id},
             SmallVector<utils::IteratorType>(type.getRank(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value converted =
                   extend
                       ? arith::ExtFOp::create(nb, nloc, elementType, args[0])
                             .getResult()
                       : arith::TruncFOp::create(nb, nloc, elementType, args[0])
                             .getResult();
               linalg::YieldOp::create(nb, nloc, converted);
             })
      .getResult(0);
}

Value attn::emptyAttentionResult(OpBuilder &b, AttentionOp op) {
  // A size 0 in any operand (the others agree at run time): no batch,
  // query head, query row or value feature leaves nothing to compute (and
  // no head group to read through); no key leaves every row without one.
  EmptySizes empty = emptySizes(op);
  if (!empty.result && !empty.keys)
    return Value();
  Location loc = op.getLoc();
  Type elementType = op.getResult().getType().getElementType();
  SmallVector<OpFoldResult> sizes =
      tensor::getMixedSizes(b, loc, op.getQuery());
  sizes.back() = tensor::getMixedSizes(b, loc, op.getValue()).back();
  Value result = tensor::EmptyOp::create(b, loc, sizes, elementType);
  if (empty.result)
    return result;
  bool zeroRows = op.getMaskedRows() == MaskedRows::Zero;
  Value fill =
      floatConstant(b, loc, elementType,
                    zeroRows ? 0.0 : std::numeric_limits<double>::quiet_NaN());
  return linalg::FillOp::create(b, loc, fill, result).getResult(0);
}

Value attn::emptyAttentionLse(OpBuilder &b, AttentionOp op) {
  EmptySizes empty = emptySizes(op);
  auto lseType = cast<RankedTensorType>(op.getLse().getType());
  // Only rows that are none (not a value feature of 0) leave it empty.
  if (!empty.result || !llvm::is_contained(lseType.getShape(), 0))
    return Value();
  SmallVector<OpFoldResult> sizes =
      tensor::getMixedSizes(b, op.getLoc(), op.getQuery());
  sizes.pop_back();
  return tensor::EmptyOp::create(b, op.getLoc(), sizes,
                                 lseType.getElementType());
}

Value attn::attentionLse(OpBuilder &b, Location loc,
                         const AttentionOperands &a) {
  Value scores = queryKeyProduct(b, loc, a, a.q, a.k);
  Value zeroIndex = arith::ConstantIndexOp::create(b, loc, 0);
  scores = maskedScores(b, loc, a, scores, a.mask, zeroIndex, zeroIndex,
                        a.causal ? a.diagonal : zeroIndex, a.scale);
  Value lse = LogSumExpOp::create(b, loc, scores, /*mask=*/Value(),
                                  /*causal=*/false, /*diagonal=*/Value());
  // A row that sees no key: -inf (an empty sum) -> +inf.
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, lse);
  AffineMap id = b.getMultiDimIdentityMap(3);
  return buildGeneric(
      b, loc, {lse}, {id}, tensor::EmptyOp::create(b, loc, sizes, a.elementType),
      id, SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::SelectOp::create(
            nb, l, isNegInfinity(nb, l, args[0]),
            floatConstant(nb, l, a.elementType,
                          std::numeric_limits<double>::infinity()),
            args[0]);
      });
}

/// The operands of `op`, an attention or its online form, at rank 4.
template <typename OpT>
static FailureOr<AttentionOperands> prepareOperands(OpBuilder &b, OpT op) {
  Location loc = op.getLoc();
  int64_t rank = op.getQuery().getType().getRank();
  if (rank >= 3 && (op.getQuery().getType().isDynamicDim(rank - 3) ||
                    op.getKey().getType().isDynamicDim(rank - 3)))
    return failure(); // see checkAttentionLowerable
  AttentionOperands a;
  a.elementType = op.getQuery().getType().getElementType();
  a.q = expandToRank4(b, loc, op.getQuery());
  a.k = expandToRank4(b, loc, op.getKey());
  a.v = expandToRank4(b, loc, op.getValue());
  // Leading unit dims up to rank 4, e.g. a mask [M, N] -> [1, 1, M, N].
  if (Value mask = op.getMask())
    a.mask = expandToRank4(b, loc, mask);
  a.qSizes = tensor::getMixedSizes(b, loc, a.q);
  a.kSizes = tensor::getMixedSizes(b, loc, a.k);
  a.vSizes = tensor::getMixedSizes(b, loc, a.v);
  a.causal = op.getCausal();
  // d = N - M unless given: the diagonal aligned to the bottom-right.
  a.diagonal = op.getDiagonal();
  a.defaultDiagonal = !a.diagonal;
  if (a.causal && !a.diagonal)
    a.diagonal = b.createOrFold<arith::SubIOp>(
        loc, getValueOrCreateConstantIndexOp(b, loc, a.kSizes[2]),
        getValueOrCreateConstantIndexOp(b, loc, a.qSizes[2]));
  if constexpr (std::is_same_v<OpT, AttentionOp>)
    a.zeroRows = op.getMaskedRows() == MaskedRows::Zero;
  if (std::optional<APFloat> p = op.getDropoutP(); p && op.getRng()) {
    a.dropout.p = p->convertToDouble();
    a.dropout.key = dropoutKey(b, loc, op.getRng());
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    a.dropout.origin.assign(4, zero);
    if constexpr (std::is_same_v<OpT, OnlineAttentionOp>)
      a.dropout.origin.assign(op.getDropoutOrigin().begin(),
                              op.getDropoutOrigin().end());
  }

  auto q4 = cast<RankedTensorType>(a.q.getType());
  auto k4 = cast<RankedTensorType>(a.k.getType());
  a.groups = q4.getDimSize(1) / k4.getDimSize(1);

  // scale = 1 / sqrt(max(D, 1)) unless given: with D = 0 every score is an
  // empty dot product, 0, and stays 0 (not 0 * inf).
  if (std::optional<APFloat> scale = op.getScale()) {
    a.scale = floatConstant(b, loc, a.elementType, scale->convertToDouble());
  } else if (int64_t d = q4.getDimSize(3); !ShapedType::isDynamic(d)) {
    a.scale = floatConstant(
        b, loc, a.elementType,
        1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(d, 1))));
  } else {
    Value dim =
        arith::MaxUIOp::create(b, loc, tensor::DimOp::create(b, loc, a.q, 3),
                               arith::ConstantIndexOp::create(b, loc, 1));
    Value dimInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), dim);
    Value dimFloat = arith::SIToFPOp::create(b, loc, a.elementType, dimInt);
    a.scale =
        arith::DivFOp::create(b, loc, floatConstant(b, loc, a.elementType, 1.0),
                              math::SqrtOp::create(b, loc, dimFloat));
  }
  return a;
}

FailureOr<AttentionOperands> attn::prepareAttention(OpBuilder &b,
                                                    AttentionOp op) {
  return prepareOperands(b, op);
}

FailureOr<AttentionOperands> attn::prepareAttention(OpBuilder &b,
                                                    OnlineAttentionOp op) {
  return prepareOperands(b, op);
}

FailureOr<AttentionOperands> attn::prepareAttention(OpBuilder &b,
                                                    AttentionBackwardOp op) {
  return prepareOperands(b, op);
}

Value attn::reduceLosses(OpBuilder &b, Location loc, Value losses, Value target,
                         int64_t ignoreIndex, Reduction reduction,
                         Type elementType) {
  if (reduction == Reduction::None)
    return losses;
  int64_t rowRank = cast<RankedTensorType>(losses.getType()).getRank();
  Type targetType = getElementTypeOrSelf(target.getType());
  SmallVector<OpFoldResult> rowSizes = tensor::getMixedSizes(b, loc, losses);
  auto mapRows =
      [&](ValueRange operands, Value init,
          function_ref<Value(OpBuilder &, Location, ValueRange)> body)
      -> Value {
    return linalg::MapOp::create(
               b, loc, operands, init,
               [&](OpBuilder &nb, Location nloc, ValueRange args) {
                 linalg::YieldOp::create(nb, nloc, body(nb, nloc, args));
               })
        .getResult()[0];
  };

  // Sum (and count the kept rows) over every row dimension into rank 0,
  // in f64: losses of 1e38 have a mean f32 holds.
  Type sumType = b.getF64Type();
  if (!elementType.isF64())
    losses = convertElements(b, loc, losses, sumType);
  auto narrowed = [&](Value x) -> Value {
    return elementType.isF64() ? x : convertElements(b, loc, x, elementType);
  };
  auto scalarType = RankedTensorType::get({}, sumType);
  auto sumAll = [&](Value x) -> Value {
    if (rowRank == 0)
      return x;
    Value init = linalg::FillOp::create(b, loc,
                                        ValueRange{arith::ConstantOp::create(
                                            b, loc, b.getZeroAttr(sumType))},
                                        ValueRange{tensor::EmptyOp::create(
                                            b, loc, scalarType, ValueRange{})})
                     .getResult(0);
    return linalg::ReduceOp::create(
               b, loc, ValueRange{x}, ValueRange{init},
               llvm::to_vector(llvm::seq<int64_t>(0, rowRank)),
               [](OpBuilder &b, Location l, ValueRange args) {
                 Value sum = arith::AddFOp::create(b, l, args[0], args[1]);
                 linalg::YieldOp::create(b, l, sum);
               })
        .getResult(0);
  };
  Value total = sumAll(losses);
  if (reduction == Reduction::Sum) {
    return narrowed(total);
  }

  // mean = total / kept; no kept row gives 0 / 0 = NaN.
  Value kept = mapRows(
      {target}, tensor::EmptyOp::create(b, loc, rowSizes, sumType),
      [&](OpBuilder &b, Location l, ValueRange args) -> Value {
        Value ignored = arith::CmpIOp::create(
            b, l, arith::CmpIPredicate::eq, args[0],
            arith::ConstantOp::create(
                b, l, b.getIntegerAttr(targetType, ignoreIndex)));
        Value zero = arith::ConstantOp::create(b, l, b.getZeroAttr(sumType));
        Value one = arith::ConstantOp::create(b, l, b.getOneAttr(sumType));
        return arith::SelectOp::create(b, l, ignored, zero, one);
      });
  Value count = sumAll(kept);
  Value mean =
      linalg::DivOp::create(
          b, loc, ValueRange{total, count},
          ValueRange{tensor::EmptyOp::create(b, loc, scalarType, ValueRange{})})
          .getResult(0);
  return narrowed(mean);
}

attn::LinearXentOptions attn::linearXentOptions(LinearXentOp op) {
  std::optional<double> cap;
  if (std::optional<APFloat> c = op.getSoftcap())
    cap = c->convertToDouble();
  return {static_cast<int64_t>(op.getIgnoreIndex()), op.getReduction(),
          op.getLabelSmoothing().convertToDouble(),
          op.getZLoss().convertToDouble(), cap};
}

attn::LinearXentOptions attn::linearXentOptions(LinearXentBackwardOp op) {
  std::optional<double> cap;
  if (std::optional<APFloat> c = op.getSoftcap())
    cap = c->convertToDouble();
  return {static_cast<int64_t>(op.getIgnoreIndex()), op.getReduction(),
          op.getLabelSmoothing().convertToDouble(),
          op.getZLoss().convertToDouble(), cap};
}

Value attn::capLogit(OpBuilder &b, Location loc, Value z,
                     const LinearXentOptions &options) {
  if (!options.softcap)
    return z;
  Type type = z.getType();
  Value scaled = arith::MulFOp::create(
      b, loc, z, floatConstant(b, loc, type, 1.0 / *options.softcap));
  return arith::MulFOp::create(b, loc, math::TanhOp::create(b, loc, scaled),
                               floatConstant(b, loc, type, *options.softcap));
}

std::pair<Value, Value> attn::linearXentTokenLoss(
    OpBuilder &b, Location loc, const LinearXentOptions &options, Value target,
    Value ms, Value s, Value sumZ, Value zt, Value numClasses) {
  Type type = ms.getType();
  Value logSum = math::LogOp::create(b, loc, s);
  Value lse = arith::AddFOp::create(b, loc, ms, logSum);
  // The margin first: lse - zt would cancel the digits of a small loss
  // next to large logits.
  double e = options.smoothing;
  Value picked = e == 0.0 ? zt
                          : arith::MulFOp::create(
                                b, loc, zt, floatConstant(b, loc, type, 1.0 - e));
  Value margin = arith::SubFOp::create(b, loc, ms, picked);
  if (e != 0.0) {
    Value classes = arith::UIToFPOp::create(
        b, loc, type,
        arith::IndexCastUIOp::create(b, loc, b.getI64Type(), numClasses));
    Value mean = arith::DivFOp::create(b, loc, sumZ, classes);
    margin = arith::SubFOp::create(
        b, loc, margin,
        arith::MulFOp::create(b, loc, mean, floatConstant(b, loc, type, e)));
  }
  Value loss = arith::AddFOp::create(b, loc, margin, logSum);
  if (options.zLoss != 0.0)
    loss = arith::AddFOp::create(
        b, loc, loss,
        arith::MulFOp::create(b, loc, floatConstant(b, loc, type, options.zLoss),
                              arith::MulFOp::create(b, loc, lse, lse)));
  TargetClass cls =
      classifyTarget(b, loc, target, options.ignoreIndex, numClasses);
  Value nan = floatConstant(b, loc, type, std::nan(""));
  Value checked = arith::SelectOp::create(b, loc, cls.inRange, loss, nan);
  loss = arith::SelectOp::create(b, loc, cls.ignored,
                                 floatConstant(b, loc, type, 0.0), checked);
  return {lse, loss};
}

Value attn::linearXentTargetLogits(OpBuilder &b, Location loc,
                                   const LinearXentOptions &options,
                                   Value hidden, Value classifier, Value bias,
                                   Value target) {
  MLIRContext *ctx = b.getContext();
  Type type = getElementTypeOrSelf(hidden.getType());
  Value numClasses = tensor::DimOp::create(b, loc, classifier, 0);
  SmallVector<OpFoldResult> tokens = tensor::getMixedSizes(b, loc, target);
  // The class of each token's target, 0 where it is not a class.
  auto safeClass = [&](OpBuilder &nb, Location l, Value t) -> Value {
    TargetClass cls =
        classifyTarget(nb, l, t, options.ignoreIndex, numClasses);
    return arith::SelectOp::create(nb, l, cls.inRange, cls.index,
                                   cls.zeroIndex);
  };
  // zt[n] = sum_d h[n, d] w[t[n], d]    over (n, d)
  Value dots = buildGeneric(
      b, loc, {target, hidden}, {dimsMap(ctx, 2, {0}), dimsMap(ctx, 2, {0, 1})},
      filled(b, loc, tokens, floatConstant(b, loc, type, 0.0)),
      dimsMap(ctx, 2, {0}),
      {utils::IteratorType::parallel, utils::IteratorType::reduction},
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value w = tensor::ExtractOp::create(
            nb, l, classifier,
            ValueRange{safeClass(nb, l, args[0]),
                       linalg::IndexOp::create(nb, l, 1)});
        return arith::AddFOp::create(nb, l, args[2],
                                     arith::MulFOp::create(nb, l, args[1], w));
      });
  AffineMap id = b.getMultiDimIdentityMap(1);
  return buildGeneric(
      b, loc, {target, dots}, {id, id},
      tensor::EmptyOp::create(b, loc, tokens, type), id,
      {utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value z = args[1];
        if (bias)
          z = arith::AddFOp::create(
              nb, l, z,
              tensor::ExtractOp::create(nb, l, bias,
                                        ValueRange{safeClass(nb, l, args[0])}));
        return capLogit(nb, l, z, options);
      });
}

std::pair<Value, Value>
attn::linearXentLosses(OpBuilder &b, Location loc,
                       const LinearXentOptions &options, Value target, Value ms,
                       Value s, Value sumZ, Value zt, Value numClasses) {
  Type type = getElementTypeOrSelf(ms.getType());
  SmallVector<OpFoldResult> tokens = tensor::getMixedSizes(b, loc, target);
  SmallVector<Value> inputs{target, ms, s, zt};
  if (sumZ)
    inputs.push_back(sumZ);
  AffineMap id = b.getMultiDimIdentityMap(1);
  auto empty = [&]() -> Value {
    return tensor::EmptyOp::create(b, loc, tokens, type);
  };
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{empty().getType(), empty().getType()}, inputs,
      ValueRange{empty(), empty()},
      SmallVector<AffineMap>(inputs.size() + 2, id),
      {utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        auto [lse, loss] = linearXentTokenLoss(
            nb, l, options, args[0], args[1], args[2],
            sumZ ? args[4] : Value(), args[3], numClasses);
        linalg::YieldOp::create(nb, l, ValueRange{loss, lse});
      });
  return {generic.getResult(0), generic.getResult(1)};
}

std::pair<Value, Value> attn::linearXentTokenGradients(
    OpBuilder &b, Location loc, const LinearXentOptions &options, Value grad,
    Value target, Value lse, Value numClasses) {
  MLIRContext *ctx = b.getContext();
  Type type = getElementTypeOrSelf(lse.getType());
  SmallVector<OpFoldResult> tokens = tensor::getMixedSizes(b, loc, target);
  AffineMap id = b.getMultiDimIdentityMap(1);
  AffineMap scalar = AffineMap::get(1, 0, {}, ctx);
  Value g = grad;
  if (getElementTypeOrSelf(grad.getType()) != type)
    g = convertElements(b, loc, grad, type);
  SmallVector<Value> inputs{target, g};
  SmallVector<AffineMap> maps{
      id, options.reduction == Reduction::None ? id : scalar};
  if (options.reduction == Reduction::Mean) {
    // kept = the tokens whose target is not ignore_index, counted in f64.
    Type f64 = b.getF64Type();
    Value kept = buildGeneric(
        b, loc, {target}, {id},
        filled(b, loc, {}, floatConstant(b, loc, f64, 0.0)), scalar,
        {utils::IteratorType::reduction},
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          TargetClass cls =
              classifyTarget(nb, l, args[0], options.ignoreIndex, numClasses);
          Value one = arith::SelectOp::create(
              nb, l, cls.ignored, floatConstant(nb, l, f64, 0.0),
              floatConstant(nb, l, f64, 1.0));
          return arith::AddFOp::create(nb, l, args[1], one);
        });
    inputs.push_back(kept);
    maps.push_back(scalar);
  }
  Value gradients = buildGeneric(
      b, loc, inputs, maps, tensor::EmptyOp::create(b, loc, tokens, type), id,
      {utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        TargetClass cls =
            classifyTarget(nb, l, args[0], options.ignoreIndex, numClasses);
        Value gi = args[1];
        if (options.reduction == Reduction::Mean) {
          Value kept = args[2];
          if (!type.isF64())
            kept = arith::TruncFOp::create(nb, l, type, kept);
          gi = arith::DivFOp::create(nb, l, gi, kept);
        }
        Value nan = floatConstant(nb, l, type, std::nan(""));
        Value checked = arith::SelectOp::create(nb, l, cls.inRange, gi, nan);
        return arith::SelectOp::create(nb, l, cls.ignored,
                                       floatConstant(nb, l, type, 0.0),
                                       checked);
      });
  Value coefficients = gradients;
  if (options.zLoss != 0.0)
    coefficients = buildGeneric(
        b, loc, {gradients, lse}, {id, id},
        tensor::EmptyOp::create(b, loc, tokens, type), id,
        {utils::IteratorType::parallel},
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          // a = g (1 + 2 zl lse)
          Value factor = arith::AddFOp::create(
              nb, l, floatConstant(nb, l, type, 1.0),
              arith::MulFOp::create(
                  nb, l, floatConstant(nb, l, type, 2.0 * options.zLoss),
                  args[1]));
          return arith::MulFOp::create(nb, l, args[0], factor);
        });
  return {gradients, coefficients};
}

Value attn::linearXentLogitGradient(OpBuilder &b, Location loc,
                                    const LinearXentOptions &options, Value z,
                                    Value lse, Value g, Value a, Value isTarget,
                                    Value numClasses) {
  Type type = z.getType();
  Value capped = z, tanh;
  if (options.softcap) {
    tanh = math::TanhOp::create(
        b, loc,
        arith::MulFOp::create(
            b, loc, z, floatConstant(b, loc, type, 1.0 / *options.softcap)));
    capped = arith::MulFOp::create(
        b, loc, tanh, floatConstant(b, loc, type, *options.softcap));
  }
  Value p = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, capped, lse));
  Value dz = arith::MulFOp::create(b, loc, a, p);
  double e = options.smoothing;
  // The target's share: g (1 - e) at the target's class.
  Value targetShare = arith::SelectOp::create(
      b, loc, isTarget,
      e == 0.0 ? g
               : arith::MulFOp::create(b, loc, g,
                                       floatConstant(b, loc, type, 1.0 - e)),
      floatConstant(b, loc, type, 0.0));
  dz = arith::SubFOp::create(b, loc, dz, targetShare);
  if (e != 0.0)
    dz = arith::SubFOp::create(
        b, loc, dz,
        arith::MulFOp::create(
            b, loc, g,
            arith::DivFOp::create(b, loc, floatConstant(b, loc, type, e),
                                  numClasses)));
  if (options.softcap) {
    // d cap(z) / dz = 1 - tanh²(z / cap)
    Value slope = arith::SubFOp::create(
        b, loc, floatConstant(b, loc, type, 1.0),
        arith::MulFOp::create(b, loc, tanh, tanh));
    dz = arith::MulFOp::create(b, loc, dz, slope);
  }
  return dz;
}

attn::TargetClass attn::classifyTarget(OpBuilder &b, Location loc, Value target,
                                       int64_t ignoreIndex, Value numClasses) {
  TargetClass c;
  c.ignored = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::eq, target,
      arith::ConstantOp::create(
          b, loc, b.getIntegerAttr(target.getType(), ignoreIndex)));
  c.index = arith::IndexCastOp::create(b, loc, b.getIndexType(), target);
  c.zeroIndex = arith::ConstantIndexOp::create(b, loc, 0);
  c.inRange = arith::AndIOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, c.index,
                            c.zeroIndex),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, c.index,
                            numClasses));
  return c;
}

/// The 32-bit integer hash "lowbias32": x ^= x >> 16; x *= 0x7feb352d;
/// x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16 (bijective, every input bit
/// moves about half of the output bits).
static Value hash32(OpBuilder &b, Location loc, Value x) {
  auto constant = [&](uint32_t c) -> Value {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(int32_t(c)));
  };
  auto xorShift = [&](Value v, uint32_t shift) -> Value {
    return arith::XOrIOp::create(
        b, loc, v, arith::ShRUIOp::create(b, loc, v, constant(shift)));
  };
  x = xorShift(x, 16);
  x = arith::MulIOp::create(b, loc, x, constant(0x7feb352d));
  x = xorShift(x, 15);
  x = arith::MulIOp::create(b, loc, x, constant(0x846ca68b));
  return xorShift(x, 16);
}

/// The low 32 bits of the integer or index `v`.
static Value low32(OpBuilder &b, Location loc, Value v) {
  if (v.getType().isIndex())
    return arith::IndexCastUIOp::create(b, loc, b.getI32Type(), v);
  return arith::TruncIOp::create(b, loc, b.getI32Type(), v);
}

Value attn::dropoutKey(OpBuilder &b, Location loc, Value rng) {
  Value words[2];
  for (int64_t i = 0; i < 2; ++i)
    words[i] = tensor::ExtractOp::create(
        b, loc, rng, ValueRange{arith::ConstantIndexOp::create(b, loc, i)});
  Value thirtyTwo =
      arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(32));
  // hash(seed.lo ^ hash(seed.hi ^ hash(offset.lo ^ hash(offset.hi))))
  Value key = hash32(b, loc,
                     low32(b, loc,
                           arith::ShRUIOp::create(b, loc, words[1], thirtyTwo)));
  key = hash32(b, loc,
               arith::XOrIOp::create(b, loc, low32(b, loc, words[1]), key));
  key = hash32(
      b, loc,
      arith::XOrIOp::create(
          b, loc,
          low32(b, loc, arith::ShRUIOp::create(b, loc, words[0], thirtyTwo)),
          key));
  return hash32(b, loc,
                arith::XOrIOp::create(b, loc, low32(b, loc, words[0]), key));
}

Value attn::dropoutRowKey(OpBuilder &b, Location loc, Value key, Value batch,
                          Value head, Value row) {
  // hash(hash(hash(key ^ b) ^ h) ^ i)
  for (Value index : {batch, head, row})
    key = hash32(b, loc,
                 arith::XOrIOp::create(b, loc, key, low32(b, loc, index)));
  return key;
}

Value attn::dropoutFactor(OpBuilder &b, Location loc, Value rowKey, Value col,
                          double p, Type type) {
  // x = hash(rowKey ^ j 0x9e3779b9); kept when its top 24 bits >= p 2^24.
  Value spread = arith::MulIOp::create(
      b, loc, low32(b, loc, col),
      arith::ConstantOp::create(b, loc,
                                b.getI32IntegerAttr(int32_t(0x9e3779b9u))));
  Value x = hash32(b, loc, arith::XOrIOp::create(b, loc, rowKey, spread));
  Value top = arith::ShRUIOp::create(
      b, loc, x, arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(8)));
  auto threshold = uint32_t(std::llround(p * double(1 << 24)));
  Value kept = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::uge, top,
      arith::ConstantOp::create(b, loc,
                                b.getI32IntegerAttr(int32_t(threshold))));
  return arith::SelectOp::create(b, loc, kept,
                                 floatConstant(b, loc, type, 1.0 / (1.0 - p)),
                                 floatConstant(b, loc, type, 0.0));
}

Value attn::safeShift(OpBuilder &b, Location loc, Value x) {
  return arith::SelectOp::create(b, loc, isNegInfinity(b, loc, x),
                                 floatConstant(b, loc, x.getType(), 0.0), x);
}

Value attn::expShifted(OpBuilder &b, Location loc, Value x, Value max) {
  return math::ExpOp::create(
      b, loc, arith::SubFOp::create(b, loc, x, safeShift(b, loc, max)));
}

Value attn::exp2NonPositive(OpBuilder &b, Location loc, Value x) {
  auto exp2 = math::Exp2Op::create(b, loc, x);
  exp2->setAttr(kNonPositiveAttrName, b.getUnitAttr());
  return exp2;
}

Value attn::blockMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                        Value init, bool lhsTransposed) {
  MLIRContext *ctx = b.getContext();
  return buildGeneric(
      b, loc, {lhs, rhs},
      {lhsTransposed ? dimsMap(ctx, 3, {2, 0}) : dimsMap(ctx, 3, {0, 2}),
       dimsMap(ctx, 3, {2, 1})},
      init, dimsMap(ctx, 3, {0, 1}),
      {utils::IteratorType::parallel, utils::IteratorType::parallel,
       utils::IteratorType::reduction},
      [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value product = arith::MulFOp::create(nb, l, args[0], args[1]);
        return arith::AddFOp::create(nb, l, args[2], product);
      });
}

/// `size` rounded up to a multiple of `block`.
OpFoldResult attn::roundUp(OpBuilder &b, Location loc, OpFoldResult size,
                     int64_t block) {
  AffineExpr s0 = getAffineSymbolExpr(0, b.getContext());
  return affine::makeComposedFoldedAffineApply(
      b, loc, s0.ceilDiv(block) * block, {size});
}

/// `x` grown to `sizes`, the elements past it along dim d set to
/// `padding[d]` (where several dims are past, the first one's); `x` if it
/// has the sizes already.
/// `x` grown to `sizes` (see padTo), always copied.
static Value padCopy(OpBuilder &b, Location loc, Value x,
                     ArrayRef<OpFoldResult> current,
                     ArrayRef<OpFoldResult> sizes, ArrayRef<Value> padding);

Value attn::padTo(OpBuilder &b, Location loc, Value x,
                  ArrayRef<OpFoldResult> sizes, ArrayRef<Value> padding) {
  SmallVector<OpFoldResult> current = tensor::getMixedSizes(b, loc, x);
  Value whole;
  for (auto [now, want] : llvm::zip_equal(current, sizes)) {
    if (isEqualConstantIntOrValue(now, want))
      continue;
    if (getConstantIntValue(now) && getConstantIntValue(want))
      return padCopy(b, loc, x, current, sizes, padding);
    Value equal = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::eq,
        getValueOrCreateConstantIndexOp(b, loc, now),
        getValueOrCreateConstantIndexOp(b, loc, want));
    whole = whole ? arith::AndIOp::create(b, loc, whole, equal) : equal;
  }
  if (!whole)
    return x;
  // Dynamic sizes that turn out whole at run time read `x` itself.
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape;
  for (OpFoldResult size : sizes)
    shape.push_back(getConstantIntValue(size).value_or(ShapedType::kDynamic));
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  auto choice = scf::IfOp::create(
      b, loc, whole,
      [&](OpBuilder &nb, Location l) {
        Value same = x;
        if (same.getType() != resultType)
          same = tensor::CastOp::create(nb, l, resultType, x);
        scf::YieldOp::create(nb, l, same);
      },
      [&](OpBuilder &nb, Location l) {
        Value padded = padCopy(nb, l, x, current, sizes, padding);
        if (padded.getType() != resultType)
          padded = tensor::CastOp::create(nb, l, resultType, padded);
        scf::YieldOp::create(nb, l, padded);
      });
  return choice.getResult(0);
}

static Value padCopy(OpBuilder &b, Location loc, Value x,
                     ArrayRef<OpFoldResult> current,
                     ArrayRef<OpFoldResult> sizes, ArrayRef<Value> padding) {
  Type elementType = cast<RankedTensorType>(x.getType()).getElementType();
  int64_t rank = sizes.size();
  SmallVector<OpFoldResult> zeroOffsets(rank, b.getIndexAttr(0)),
      unitStrides(rank, b.getIndexAttr(1));
  Value padded = tensor::InsertSliceOp::create(
      b, loc, x, tensor::EmptyOp::create(b, loc, sizes, elementType),
      zeroOffsets, current, unitStrides);
  // Only the padding is filled, not the whole tensor first: for each padded
  // dim d, the elements past x along d and within x along the padded dims
  // before it.
  for (int64_t d = 0; d < rank; ++d) {
    if (isEqualConstantIntOrValue(current[d], sizes[d]))
      continue;
    SmallVector<OpFoldResult> offsets(zeroOffsets), tail(sizes);
    offsets[d] = current[d];
    std::optional<int64_t> size = getConstantIntValue(sizes[d]),
                           start = getConstantIntValue(current[d]);
    tail[d] =
        size && start
            ? OpFoldResult(b.getIndexAttr(*size - *start))
            : OpFoldResult(arith::SubIOp::create(
                  b, loc, getValueOrCreateConstantIndexOp(b, loc, sizes[d]),
                  getValueOrCreateConstantIndexOp(b, loc, current[d])));
    for (int64_t e = 0; e < d; ++e)
      tail[e] = current[e];
    padded =
        tensor::InsertSliceOp::create(b, loc, filled(b, loc, tail, padding[d]),
                                      padded, offsets, tail, unitStrides);
  }
  return padded;
}

SmallVector<Value> attn::loopWritingSlices(OpBuilder &b, Location loc, Value count,
                                     ValueRange outs, ValueRange carried,
                                     bool parallel, SliceWriter body) {
  assert((!parallel || carried.empty()) && "a forall carries nothing");
  OpBuilder::InsertionGuard guard(b);
  SmallVector<Value> parts;
  SmallVector<SmallVector<OpFoldResult>> offsets, sizes;
  auto strides = [&](size_t rank) {
    return SmallVector<OpFoldResult>(rank, b.getIndexAttr(1));
  };
  if (parallel) {
    auto forall = scf::ForallOp::create(
        b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{count}, ArrayRef<OpFoldResult>{b.getIndexAttr(1)},
        outs, std::nullopt);
    b.setInsertionPointToStart(forall.getBody());
    SmallVector<Value> none;
    body(forall.getInductionVars()[0], none, parts, offsets, sizes);
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    for (auto [i, part] : llvm::enumerate(parts))
      tensor::ParallelInsertSliceOp::create(b, loc, part,
                                            forall.getRegionIterArgs()[i],
                                            offsets[i], sizes[i],
                                            strides(offsets[i].size()));
    return SmallVector<Value>(forall.getResults().begin(), forall.getResults().end());
  }
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  SmallVector<Value> inits(outs);
  llvm::append_range(inits, carried);
  auto loop = scf::ForOp::create(b, loc, zero, count, one, inits);
  b.setInsertionPointToStart(loop.getBody());
  SmallVector<Value> state(loop.getRegionIterArgs().drop_front(outs.size()));
  body(loop.getInductionVar(), state, parts, offsets, sizes);
  SmallVector<Value> updated;
  for (auto [i, part] : llvm::enumerate(parts))
    updated.push_back(tensor::InsertSliceOp::create(
        b, loc, part, loop.getRegionIterArgs()[i], offsets[i], sizes[i],
        strides(offsets[i].size())));
  llvm::append_range(updated, state);
  scf::YieldOp::create(b, loc, updated);
  return SmallVector<Value>(loop.getResults().begin(), loop.getResults().end());
}
