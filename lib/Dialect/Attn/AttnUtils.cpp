//===- AttnUtils.cpp - IR building helpers shared by the attn libraries ---===//

#include "AttnDialect/Dialect/Attn/AttnUtils.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

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
                         bool keyMajor, Value batch, Value head) {
  return maskedScoresAndDerivative(b, loc, a, scores, mask, rowOffset,
                                   colOffset, causalOffset, scale,
                                   /*derivative=*/nullptr, keyMajor, batch,
                                   head);
}

Value attn::maskedScoresAndDerivative(
    OpBuilder &b, Location loc, const AttentionOperands &a, Value scores,
    Value mask, Value rowOffset, Value colOffset, Value causalOffset,
    Value scale, Value *derivative, bool keyMajor, Value batch, Value head) {
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
  // The slope of each score's head: read by head from [H] at rank 4, one
  // scalar for a 2-D block of one head.
  Value slope;
  if (a.slopes) {
    if (rank == 4) {
      inputs.push_back(a.slopes);
      maps.push_back(dimsMap(ctx, 4, {1}));
    } else {
      if (!head)
        head = arith::ConstantIndexOp::create(b, loc, 0);
      slope = tensor::ExtractOp::create(b, loc, a.slopes, head);
    }
  }
  unsigned queryDim = keyMajor ? rank - 1 : rank - 2;
  unsigned keyDim = keyMajor ? rank - 2 : rank - 1;
  bool boolMask =
      mask && getElementTypeOrSelf(mask.getType()).isInteger(1);
  Value init = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, scores), a.elementType);
  // With `derivative`, a second result: d s / d u of each final score s
  // with respect to its scaled product u (through the softcap and
  // score_mod; 0 where hidden).
  bool withDerivative = derivative && (a.softcap || a.scoreMod);
  SmallVector<Value> inits{init};
  if (withDerivative)
    inits.push_back(tensor::EmptyOp::create(
        b, loc, tensor::getMixedSizes(b, loc, scores), a.elementType));
  SmallVector<AffineMap> allMaps(maps);
  allMaps.append(inits.size(), id);
  // A 2-D block is of one batch entry and head: what the regions compute
  // from those alone (and values defined above, such as a captured
  // per-head slope) is computed once, before the block's generic.
  IRMapping hoisted;
  if (rank == 2 && a.hasRegions()) {
    auto fixed = [&](Value given, int64_t d) -> Value {
      if (given)
        return given;
      return a.origin.empty()
                 ? arith::ConstantIndexOp::create(b, loc, 0).getResult()
                 : a.origin[d];
    };
    Value blockBatch = fixed(batch, 0), blockHead = fixed(head, 1);
    for (auto [region, first] :
         {std::pair<Region *, unsigned>{a.scoreMod, 1}, {a.maskMod, 0}}) {
      if (!region)
        continue;
      Block &body = region->front();
      hoisted.map(body.getArgument(first), blockBatch);
      hoisted.map(body.getArgument(first + 1), blockHead);
      for (Operation &op : body.without_terminator()) {
        // (A run-time check of a captured tensor's index, which
        // --generate-runtime-verification puts in the region, is hoisted
        // with the read it checks: in the block's generic it would keep the
        // generic from being vectorized.)
        bool invariant =
            op.getNumRegions() == 0 && (isPure(&op) || isa<cf::AssertOp>(op)) &&
            llvm::all_of(op.getOperands(), [&](Value v) {
              return hoisted.contains(v) || !region->isAncestor(v.getParentRegion());
            });
        if (invariant)
          b.clone(op, hoisted);
      }
    }
  }
  // The final score and its derivative d s / d u (null: 1).
  auto body = [&](OpBuilder &nb, Location l,
                  ValueRange args) -> std::pair<Value, Value> {
        Type type = a.elementType;
        Value s = args[0];
        Value tangent; // d s / d u (null: 1)
        auto chain = [&](Value factor) {
          tangent = tangent ? arith::MulFOp::create(nb, l, tangent, factor)
                                  .getResult()
                            : factor;
        };
        if (scale)
          s = arith::MulFOp::create(nb, l, s, scale);
        if (a.softcap) {
          // softcap tanh(s / softcap); d/ds = 1 - tanh²
          Value t = math::TanhOp::create(
              nb, l,
              arith::MulFOp::create(nb, l, s,
                                    floatConstant(nb, l, type, 1.0 / *a.softcap)));
          s = arith::MulFOp::create(nb, l, t,
                                    floatConstant(nb, l, type, *a.softcap));
          if (withDerivative)
            chain(arith::SubFOp::create(nb, l, floatConstant(nb, l, type, 1.0),
                                        arith::MulFOp::create(nb, l, t, t)));
        }
        Value j, diagonalKey; // key j and the key i + d on row i's diagonal
        if (a.positional()) {
          j = arith::AddIOp::create(nb, l, colOffset,
                                    linalg::IndexOp::create(nb, l, keyDim));
          Value i = arith::AddIOp::create(
              nb, l, rowOffset, linalg::IndexOp::create(nb, l, queryDim));
          diagonalKey = arith::AddIOp::create(nb, l, i, causalOffset);
        }
        if (a.slopes) {
          Value offset = arith::SubIOp::create(nb, l, j, diagonalKey);
          // s - slope |j - (i + d)|
          // (In i32 and float: vectors of index have no absolute value in
          // the LLVM lowering.)
          Value distance = math::AbsFOp::create(
              nb, l,
              arith::SIToFPOp::create(
                  nb, l, type,
                  arith::IndexCastOp::create(nb, l, nb.getI32Type(), offset)));
          Value headSlope = slope ? slope : args[mask ? 2 : 1];
          s = arith::SubFOp::create(
              nb, l, s, arith::MulFOp::create(nb, l, headSlope, distance));
        }
        // The score's absolute batch, head, query and key for the regions.
        SmallVector<Value> at;
        if (a.hasRegions()) {
          auto offset = [&](int64_t d) -> Value {
            return a.origin.empty()
                       ? arith::ConstantIndexOp::create(nb, l, 0).getResult()
                       : a.origin[d];
          };
          auto plus = [&](Value x, Value y) -> Value {
            return arith::AddIOp::create(nb, l, x, y);
          };
          if (rank == 4) {
            at.push_back(plus(offset(0), linalg::IndexOp::create(nb, l, 0)));
            at.push_back(plus(offset(1), linalg::IndexOp::create(nb, l, 1)));
          } else {
            at.push_back(batch ? batch : offset(0));
            at.push_back(head ? head : offset(1));
          }
          at.push_back(plus(plus(offset(2), rowOffset),
                            linalg::IndexOp::create(nb, l, queryDim)));
          at.push_back(plus(plus(offset(3), colOffset),
                            linalg::IndexOp::create(nb, l, keyDim)));
        }
        if (a.scoreMod) {
          SmallVector<Value> arguments{s};
          llvm::append_range(arguments, at);
          if (withDerivative) {
            auto [value, slope] =
                differentiateRegion(nb, *a.scoreMod, arguments, &hoisted);
            s = value;
            chain(slope);
          } else {
            s = inlineRegion(nb, *a.scoreMod, arguments, &hoisted);
          }
        }
        Value negInf = negInfinity(nb, l, type);
        if (mask)
          s = boolMask ? arith::SelectOp::create(nb, l, args[1], s, negInf)
                             .getResult()
                       : arith::AddFOp::create(nb, l, s, args[1]).getResult();
        if (a.maskMod)
          s = arith::SelectOp::create(nb, l,
                                      inlineRegion(nb, *a.maskMod, at, &hoisted),
                                      s, negInf);
        if (!a.hidesByPosition())
          return {s, tangent};
        // Hidden: j > i + d + right or j < i + d - left.
        Value hidden;
        auto orHidden = [&](arith::CmpIPredicate predicate, int64_t shift) {
          Value bound = diagonalKey;
          if (shift != 0)
            bound = arith::AddIOp::create(
                nb, l, bound, arith::ConstantIndexOp::create(nb, l, shift));
          Value cmp = arith::CmpIOp::create(nb, l, predicate, j, bound);
          hidden = hidden ? arith::OrIOp::create(nb, l, hidden, cmp).getResult()
                          : cmp;
        };
        if (std::optional<int64_t> right = a.rightReach())
          orHidden(arith::CmpIPredicate::sgt, *right);
        if (a.windowLeft)
          orHidden(arith::CmpIPredicate::slt, -*a.windowLeft);
        if (!hidden)
          return {s, tangent};
        return {arith::SelectOp::create(nb, l, hidden, negInf, s), tangent};
  };
  auto generic = linalg::GenericOp::create(
      b, loc, ValueRange(inits).getTypes(), inputs, inits, allMaps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        // s and, with the derivative, the tangent: 1 where null, 0 where s
        // is hidden (P = 0 there, and 0 * inf would be NaN).
        auto [s, tangent] = body(nb, l, args);
        SmallVector<Value> yielded{s};
        if (withDerivative) {
          Type type = a.elementType;
          if (!tangent)
            tangent = floatConstant(nb, l, type, 1.0);
          yielded.push_back(arith::SelectOp::create(
              nb, l, isNegInfinity(nb, l, s), floatConstant(nb, l, type, 0.0),
              tangent));
        }
        linalg::YieldOp::create(nb, l, yielded);
      });
  if (withDerivative)
    *derivative = generic.getResult(1);
  else if (derivative)
    *derivative = Value();
  return generic.getResult(0);
}

/// Whether `op` of a region is computed already in `mapping` (hoisted).
static bool isPrebuilt(Operation &op, const IRMapping &mapping) {
  return mapping.contains(&op); // (a clone maps the op it copies)
}

Value attn::inlineRegion(OpBuilder &b, Region &region, ValueRange arguments,
                         const IRMapping *prebuilt) {
  Block &body = region.front();
  IRMapping mapping = prebuilt ? *prebuilt : IRMapping();
  mapping.map(body.getArguments(), arguments);
  for (Operation &op : body.without_terminator())
    if (!isPrebuilt(op, mapping))
      b.clone(op, mapping);
  return mapping.lookupOrDefault(body.getTerminator()->getOperand(0));
}

/// Whether `op` of a score_mod region has a derivative rule below.
static bool isDifferentiable(Operation *op) {
  return isa<arith::ConstantOp, arith::AddFOp, arith::SubFOp, arith::MulFOp,
             arith::DivFOp, arith::NegFOp, arith::SelectOp, arith::MaximumFOp,
             arith::MinimumFOp, arith::MaxNumFOp, arith::MinNumFOp,
             arith::ExtFOp, arith::TruncFOp, math::TanhOp, math::ExpOp,
             math::LogOp, math::SqrtOp, math::AbsFOp>(op);
}

Operation *attn::firstNonDifferentiable(Region &scoreMod) {
  // Ops whose result does not depend on the score (index arithmetic, reads
  // of captured tensors, comparisons) need no rule.
  Block &body = scoreMod.front();
  llvm::DenseSet<Value> varying{body.getArgument(0)};
  for (Operation &op : body.without_terminator()) {
    bool floatResult = llvm::any_of(op.getResultTypes(), [](Type t) {
      return isa<FloatType>(t);
    });
    // (An op with regions may read the score inside them.)
    if (floatResult && op.getNumRegions() > 0)
      return &op;
    bool depends = llvm::any_of(op.getOperands(), [&](Value v) {
      return varying.contains(v);
    });
    if (!depends)
      continue;
    // A comparison of the score (for a select) is piecewise constant.
    if (!floatResult)
      continue;
    if (!isDifferentiable(&op))
      return &op;
    for (Value result : op.getResults())
      varying.insert(result);
  }
  return nullptr;
}

std::pair<Value, Value> attn::differentiateRegion(OpBuilder &b, Region &region,
                                                  ValueRange arguments,
                                                  const IRMapping *prebuilt) {
  Block &body = region.front();
  IRMapping mapping = prebuilt ? *prebuilt : IRMapping();
  mapping.map(body.getArguments(), arguments);
  // d v / d score of each value (absent: 0).
  llvm::DenseMap<Value, Value> tangents;
  Location loc = region.getLoc();
  Type type = arguments.front().getType();
  tangents[body.getArgument(0)] = floatConstant(b, loc, type, 1.0);
  auto zero = [&](Type t) { return floatConstant(b, loc, t, 0.0); };
  for (Operation &op : body.without_terminator()) {
    if (isPrebuilt(op, mapping))
      continue; // (independent of the score)
    Operation *clone = b.clone(op, mapping);
    if (clone->getNumResults() != 1 ||
        !isa<FloatType>(clone->getResult(0).getType()))
      continue;
    auto tangentOf = [&](Value original) -> Value {
      auto it = tangents.find(original);
      return it == tangents.end() ? Value() : it->second;
    };
    SmallVector<Value> ts;
    for (Value operand : op.getOperands())
      ts.push_back(tangentOf(operand));
    if (llvm::all_of(ts, [](Value t) { return !t; }))
      continue; // independent of the score
    Value y = clone->getResult(0);
    Type t = y.getType();
    auto orZero = [&](Value v) { return v ? v : zero(t); };
    auto mul = [&](Value x, Value z) -> Value {
      return arith::MulFOp::create(b, loc, x, z);
    };
    auto operand = [&](unsigned i) { return clone->getOperand(i); };
    Value dy;
    if (isa<arith::AddFOp>(op)) {
      dy = arith::AddFOp::create(b, loc, orZero(ts[0]), orZero(ts[1]));
    } else if (isa<arith::SubFOp>(op)) {
      dy = arith::SubFOp::create(b, loc, orZero(ts[0]), orZero(ts[1]));
    } else if (isa<arith::MulFOp>(op)) {
      // d(xz) = dx z + x dz
      dy = arith::AddFOp::create(b, loc, mul(orZero(ts[0]), operand(1)),
                                 mul(operand(0), orZero(ts[1])));
    } else if (isa<arith::DivFOp>(op)) {
      // d(x / z) = (dx - (x / z) dz) / z
      dy = arith::DivFOp::create(
          b, loc, arith::SubFOp::create(b, loc, orZero(ts[0]), mul(y, orZero(ts[1]))),
          operand(1));
    } else if (isa<arith::NegFOp>(op)) {
      dy = arith::NegFOp::create(b, loc, ts[0]);
    } else if (auto select = dyn_cast<arith::SelectOp>(op)) {
      dy = arith::SelectOp::create(b, loc, operand(0), orZero(ts[1]),
                                   orZero(ts[2]));
    } else if (isa<arith::MaximumFOp, arith::MaxNumFOp, arith::MinimumFOp,
                   arith::MinNumFOp>(op)) {
      // The tangent of the operand chosen (the first on ties).
      bool isMax = isa<arith::MaximumFOp, arith::MaxNumFOp>(op);
      Value first = arith::CmpFOp::create(
          b, loc, isMax ? arith::CmpFPredicate::OGE : arith::CmpFPredicate::OLE,
          operand(0), operand(1));
      dy = arith::SelectOp::create(b, loc, first, orZero(ts[0]), orZero(ts[1]));
    } else if (isa<arith::ExtFOp>(op)) {
      dy = arith::ExtFOp::create(b, loc, t, ts[0]);
    } else if (isa<arith::TruncFOp>(op)) {
      dy = arith::TruncFOp::create(b, loc, t, ts[0]);
    } else if (isa<math::TanhOp>(op)) {
      // (1 - y²) dx
      dy = mul(arith::SubFOp::create(b, loc, floatConstant(b, loc, t, 1.0),
                                     mul(y, y)),
               ts[0]);
    } else if (isa<math::ExpOp>(op)) {
      dy = mul(y, ts[0]);
    } else if (isa<math::LogOp>(op)) {
      dy = arith::DivFOp::create(b, loc, ts[0], operand(0));
    } else if (isa<math::SqrtOp>(op)) {
      // dx / (2 y)
      dy = arith::DivFOp::create(b, loc, ts[0],
                                 mul(floatConstant(b, loc, t, 2.0), y));
    } else if (isa<math::AbsFOp>(op)) {
      Value negative = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                             operand(0), zero(t));
      dy = arith::SelectOp::create(b, loc, negative,
                                   arith::NegFOp::create(b, loc, ts[0]), ts[0]);
    } else {
      llvm_unreachable("verified differentiable (firstNonDifferentiable)");
    }
    tangents[op.getResult(0)] = dy;
  }
  Value result = body.getTerminator()->getOperand(0);
  Value tangent = tangents.lookup(result);
  return {mapping.lookupOrDefault(result),
          tangent ? tangent : floatConstant(b, loc, type, 0.0)};
}

void attn::copyModRegions(Operation *from, Operation *to) {
  // The first two regions of every attention op: score_mod, mask_mod.
  for (unsigned r = 0; r < 2; ++r) {
    IRMapping mapping;
    to->getRegion(r).getBlocks().clear();
    from->getRegion(r).cloneInto(&to->getRegion(r), mapping);
  }
}

void attn::clampModIndices(OpBuilder &b, Operation *op, Value lastRow,
                           Value lastKey) {
  OpBuilder::InsertionGuard guard(b);
  // score_mod's (s, b, h, i, j) and mask_mod's (b, h, i, j).
  for (auto [region, first] : {std::pair<unsigned, unsigned>{0, 3}, {1, 2}}) {
    if (op->getRegion(region).empty())
      continue;
    Block &body = op->getRegion(region).front();
    b.setInsertionPointToStart(&body);
    for (auto [arg, last] : {std::pair<BlockArgument, Value>{
                                 body.getArgument(first), lastRow},
                             {body.getArgument(first + 1), lastKey}}) {
      auto clamped = arith::MinSIOp::create(b, op->getLoc(), arg, last);
      arg.replaceAllUsesExcept(clamped, clamped);
    }
  }
}

/// The body of a contraction: acc + a * b, with narrower operands (bf16 of
/// an f32 sum) extended first: their products are exact.
static Value multiplyAdd(OpBuilder &b, Location loc, ValueRange args) {
  Type sumType = args[2].getType();
  auto widened = [&](Value x) -> Value {
    return x.getType() == sumType
               ? x
               : arith::ExtFOp::create(b, loc, sumType, x).getResult();
  };
  Value product =
      arith::MulFOp::create(b, loc, widened(args[0]), widened(args[1]));
  return arith::AddFOp::create(b, loc, args[2], product);
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
      multiplyAdd);
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
                        a.diagonal, a.scale);
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
static FailureOr<AttentionOperands> prepareOperands(OpBuilder &b, OpT op,
                                                    Type computeType = {}) {
  Location loc = op.getLoc();
  int64_t rank = op.getQuery().getType().getRank();
  if (rank >= 3 && (op.getQuery().getType().isDynamicDim(rank - 3) ||
                    op.getKey().getType().isDynamicDim(rank - 3)))
    return failure(); // see checkAttentionLowerable
  AttentionOperands a;
  // The scores' type: an online step's state's (bf16 operands of an f32
  // state are multiplied in f32).
  if constexpr (std::is_same_v<OpT, OnlineAttentionOp>)
    a.elementType = op.getAcc().getType().getElementType();
  else
    a.elementType = op.getQuery().getType().getElementType();
  if (computeType)
    a.elementType = computeType;
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
  if (std::optional<ArrayRef<int64_t>> window = op.getWindow()) {
    // -1: unbounded on that side.
    if ((*window)[0] >= 0)
      a.windowLeft = (*window)[0];
    if ((*window)[1] >= 0)
      a.windowRight = (*window)[1];
  }
  if (std::optional<APFloat> softcap = op.getSoftcap())
    a.softcap = softcap->convertToDouble();
  a.slopes = op.getAlibiSlopes();
  if (!op.getScoreMod().empty())
    a.scoreMod = &op.getScoreMod();
  if (!op.getMaskMod().empty())
    a.maskMod = &op.getMaskMod();
  if constexpr (std::is_same_v<OpT, OnlineAttentionOp>) {
    a.origin.assign(op.getOrigin().begin(), op.getOrigin().end());
  } else if (Value blockMask = op.getBlockMask()) {
    a.blockMask = expandToRank4(b, loc, blockMask);
    a.blockMaskRows = (*op.getBlockMaskSizes())[0];
    a.blockMaskKeys = (*op.getBlockMaskSizes())[1];
  }
  // d = N - M unless given: the diagonal aligned to the bottom-right.
  a.diagonal = op.getDiagonal();
  a.defaultDiagonal = !a.diagonal;
  if (a.positional() && !a.diagonal)
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
      a.dropout.origin.assign(op.getOrigin().begin(),
                              op.getOrigin().end());
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

SmallVector<Value>
attn::computedIf(OpBuilder &b, Location loc, Value condition,
                 ValueRange unchanged,
                 function_ref<SmallVector<Value>()> compute) {
  auto branch = scf::IfOp::create(b, loc, unchanged.getTypes(), condition,
                                  /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(branch.thenBlock());
  scf::YieldOp::create(b, loc, compute());
  b.setInsertionPointToStart(branch.elseBlock());
  scf::YieldOp::create(b, loc, unchanged);
  return SmallVector<Value>(branch.getResults());
}

/// The kind of the block mask's block holding query block `qb` of head `h`
/// of batch `batch` and key block `kb`: 0 empty, 1 partial, 2 full.
Value attn::blockMaskKind(OpBuilder &b, Location loc, const AttentionOperands &a,
                          Value batch, Value h, Value qb, Value kb) {
  auto type = cast<RankedTensorType>(a.blockMask.getType());
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  // A leading dimension of 1 broadcasts (a dynamic one is 1 at run time or
  // the query's).
  auto lead = [&](int64_t dim, Value at) -> Value {
    if (type.getDimSize(dim) == 1)
      return zero;
    if (!type.isDynamicDim(dim))
      return at;
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value broadcast = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::eq,
        tensor::DimOp::create(b, loc, a.blockMask, dim), one);
    return arith::SelectOp::create(b, loc, broadcast, zero, at);
  };
  Value row = arith::DivUIOp::create(
      b, loc, qb, arith::ConstantIndexOp::create(b, loc, a.blockMaskRows));
  Value col = arith::DivUIOp::create(
      b, loc, kb, arith::ConstantIndexOp::create(b, loc, a.blockMaskKeys));
  return tensor::ExtractOp::create(
      b, loc, a.blockMask, ValueRange{lead(0, batch), lead(1, h), row, col});
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
                                                    AttentionBackwardOp op,
                                                    Type computeType) {
  return prepareOperands(b, op, computeType);
}

Value attn::lossesFromLse(OpBuilder &b, Location loc, Value target, Value lse,
                          Value picked, int64_t ignoreIndex, Value numClasses,
                          double zLoss) {
  auto type = cast<RankedTensorType>(lse.getType());
  Type element = type.getElementType();
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  return buildGeneric(
      b, loc, {target, lse, picked}, {id, id, id},
      tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, lse),
                              element),
      id,
      SmallVector<utils::IteratorType>(type.getRank(),
                                       utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        TargetClass t = classifyTarget(nb, l, args[0], ignoreIndex, numClasses);
        Value loss = arith::SubFOp::create(nb, l, args[1], args[2]);
        if (zLoss != 0.0)
          loss = arith::AddFOp::create(
              nb, l, loss,
              arith::MulFOp::create(
                  nb, l, floatConstant(nb, l, element, zLoss),
                  arith::MulFOp::create(nb, l, args[1], args[1])));
        Value checked = arith::SelectOp::create(
            nb, l, t.inRange, loss,
            floatConstant(nb, l, element,
                          std::numeric_limits<double>::quiet_NaN()));
        return arith::SelectOp::create(
            nb, l, t.ignored, floatConstant(nb, l, element, 0.0), checked);
      });
}

Value attn::reduceLosses(OpBuilder &b, Location loc, Value losses, Value target,
                         int64_t ignoreIndex, Reduction reduction,
                         Type elementType, Value rowWeights) {
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

  // mean = total / kept (the kept rows' count or weights); no kept row
  // gives 0 / 0 = NaN. Class probabilities keep every row.
  if (!isa<IntegerType>(targetType)) {
    Value rows = arith::ConstantIndexOp::create(b, loc, 1);
    for (OpFoldResult size : rowSizes)
      rows = arith::MulIOp::create(
          b, loc, rows, getValueOrCreateConstantIndexOp(b, loc, size));
    Value count = arith::UIToFPOp::create(
        b, loc, sumType,
        arith::IndexCastUIOp::create(b, loc, b.getI64Type(), rows));
    Value mean = linalg::GenericOp::create(
                     b, loc, TypeRange{scalarType}, ValueRange{total},
                     ValueRange{tensor::EmptyOp::create(b, loc, scalarType,
                                                        ValueRange{})},
                     SmallVector<AffineMap>(2, AffineMap::get(b.getContext())),
                     ArrayRef<utils::IteratorType>{},
                     [&](OpBuilder &nb, Location l, ValueRange args) {
                       linalg::YieldOp::create(
                           nb, l,
                           arith::DivFOp::create(nb, l, args[0], count)
                               .getResult());
                     })
                     .getResult(0);
    return narrowed(mean);
  }
  SmallVector<Value> keptInputs{target};
  if (rowWeights)
    keptInputs.push_back(rowWeights);
  Value kept = mapRows(
      keptInputs, tensor::EmptyOp::create(b, loc, rowSizes, sumType),
      [&](OpBuilder &b, Location l, ValueRange args) -> Value {
        Value ignored = arith::CmpIOp::create(
            b, l, arith::CmpIPredicate::eq, args[0],
            arith::ConstantOp::create(
                b, l, b.getIntegerAttr(targetType, ignoreIndex)));
        Value zero = arith::ConstantOp::create(b, l, b.getZeroAttr(sumType));
        Value one = arith::ConstantOp::create(b, l, b.getOneAttr(sumType));
        if (rowWeights)
          one = args[1].getType() == sumType
                    ? args[1]
                    : arith::ExtFOp::create(b, l, sumType, args[1]).getResult();
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

template <typename OpT> static attn::XentOptions optionsOf(OpT op) {
  std::optional<double> cap;
  if (std::optional<APFloat> c = op.getSoftcap())
    cap = c->convertToDouble();
  return {static_cast<int64_t>(op.getIgnoreIndex()), op.getReduction(),
          op.getLabelSmoothing().convertToDouble(),
          op.getZLoss().convertToDouble(), cap};
}

attn::XentOptions attn::xentOptions(XentLogitsOp op) { return optionsOf(op); }
attn::XentOptions attn::xentOptions(XentLogitsBackwardOp op) {
  return optionsOf(op);
}
attn::XentOptions attn::xentOptions(LinearXentOp op) { return optionsOf(op); }
attn::XentOptions attn::xentOptions(LinearXentBackwardOp op) {
  return optionsOf(op);
}

Value attn::capLogit(OpBuilder &b, Location loc, Value z,
                     const XentOptions &options) {
  if (!options.softcap)
    return z;
  Type type = z.getType();
  Value scaled = arith::MulFOp::create(
      b, loc, z, floatConstant(b, loc, type, 1.0 / *options.softcap));
  return arith::MulFOp::create(b, loc, math::TanhOp::create(b, loc, scaled),
                               floatConstant(b, loc, type, *options.softcap));
}

/// The class of target `t`, 0 where it is not a class.
static Value safeClass(OpBuilder &b, Location loc, Value t,
                       const attn::XentOptions &options, Value numClasses) {
  attn::TargetClass cls =
      attn::classifyTarget(b, loc, t, options.ignoreIndex, numClasses);
  return arith::SelectOp::create(b, loc, cls.inRange, cls.index,
                                 cls.zeroIndex);
}

/// The class count as a float of `type`.
static Value classCount(OpBuilder &b, Location loc, Type type,
                        Value numClasses) {
  return arith::UIToFPOp::create(
      b, loc, type,
      arith::IndexCastUIOp::create(b, loc, b.getI64Type(), numClasses));
}

Value attn::targetWeights(OpBuilder &b, Location loc,
                          const XentOptions &options, Value weight,
                          Value target, Value numClasses) {
  auto rows = cast<RankedTensorType>(target.getType());
  AffineMap id = b.getMultiDimIdentityMap(rows.getRank());
  return buildGeneric(
      b, loc, {target}, {id},
      tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, target),
                              getElementTypeOrSelf(weight.getType())),
      id,
      SmallVector<utils::IteratorType>(rows.getRank(),
                                       utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return tensor::ExtractOp::create(
            nb, l, weight,
            ValueRange{safeClass(nb, l, args[0], options, numClasses)});
      });
}

Value attn::totalWeight(OpBuilder &b, Location loc, Value weight) {
  Type type = getElementTypeOrSelf(weight.getType());
  return buildGeneric(
      b, loc, {weight}, {b.getMultiDimIdentityMap(1)},
      filled(b, loc, {}, floatConstant(b, loc, type, 0.0)),
      AffineMap::get(1, 0, {}, b.getContext()),
      {utils::IteratorType::reduction},
      [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::AddFOp::create(nb, l, args[1], args[0]);
      });
}

std::pair<Value, Value>
attn::xentLosses(OpBuilder &b, Location loc, const XentOptions &options,
                 Value target, Value ms, Value s, Value sumWZ, Value zt,
                 Value wt, Value totalW, Value numClasses, bool withLse) {
  MLIRContext *ctx = b.getContext();
  Type type = getElementTypeOrSelf(ms.getType());
  SmallVector<OpFoldResult> rows = tensor::getMixedSizes(b, loc, target);
  int64_t rank = rows.size();
  AffineMap id = b.getMultiDimIdentityMap(rank);
  AffineMap scalar = AffineMap::get(rank, 0, {}, ctx);
  double e = options.smoothing;
  // Inputs: target, ms, s, zt [, sumWZ] [, wt, W].
  SmallVector<Value> inputs{target, ms, s, zt};
  SmallVector<AffineMap> maps{id, id, id, id};
  int64_t sumAt = -1, weightAt = -1;
  if (e != 0.0) {
    sumAt = inputs.size();
    inputs.push_back(sumWZ);
    maps.push_back(id);
  }
  if (wt) {
    weightAt = inputs.size();
    inputs.append({wt, totalW});
    maps.append({id, scalar});
  }
  auto empty = [&]() -> Value {
    return tensor::EmptyOp::create(b, loc, rows, type);
  };
  SmallVector<Value> outs{empty()};
  if (withLse)
    outs.push_back(empty());
  maps.append(outs.size(), id);
  auto generic = linalg::GenericOp::create(
      b, loc, ValueRange(outs).getTypes(), inputs, outs, maps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value t = args[0], rowShift = args[1], sum = args[2], picked = args[3];
        Value logSum = math::LogOp::create(nb, l, sum);
        Value lse = arith::AddFOp::create(nb, l, rowShift, logSum);
        // The margin first: lse - zt would cancel the digits of a small
        // loss next to large logits.
        Value loss = arith::AddFOp::create(
            nb, l, arith::SubFOp::create(nb, l, rowShift, picked), logSum);
        double targetFactor = 1.0 - e;
        if (weightAt >= 0)
          loss = arith::MulFOp::create(nb, l, loss, args[weightAt]);
        if (targetFactor != 1.0)
          loss = arith::MulFOp::create(
              nb, l, loss, floatConstant(nb, l, type, targetFactor));
        if (e != 0.0) {
          // e/C (W lse - sum_c w[c] z[c])
          Value classes = classCount(nb, l, type, numClasses);
          Value total = weightAt >= 0 ? args[weightAt + 1] : classes;
          Value spread = arith::SubFOp::create(
              nb, l, arith::MulFOp::create(nb, l, total, lse), args[sumAt]);
          Value share = arith::DivFOp::create(
              nb, l, floatConstant(nb, l, type, e), classes);
          loss = arith::AddFOp::create(
              nb, l, loss, arith::MulFOp::create(nb, l, share, spread));
        }
        if (options.zLoss != 0.0)
          loss = arith::AddFOp::create(
              nb, l, loss,
              arith::MulFOp::create(
                  nb, l, floatConstant(nb, l, type, options.zLoss),
                  arith::MulFOp::create(nb, l, lse, lse)));
        TargetClass cls =
            classifyTarget(nb, l, t, options.ignoreIndex, numClasses);
        Value checked = arith::SelectOp::create(
            nb, l, cls.inRange, loss, floatConstant(nb, l, type, std::nan("")));
        loss = arith::SelectOp::create(
            nb, l, cls.ignored, floatConstant(nb, l, type, 0.0), checked);
        SmallVector<Value> yielded{loss};
        if (withLse)
          yielded.push_back(lse);
        linalg::YieldOp::create(nb, l, yielded);
      });
  return {generic.getResult(0), withLse ? generic.getResult(1) : Value()};
}

attn::XentRowGradients
attn::xentRowGradients(OpBuilder &b, Location loc, const XentOptions &options,
                       Value grad, Value target, Value lse, Value wt,
                       Value totalW, Value numClasses) {
  MLIRContext *ctx = b.getContext();
  Type type = getElementTypeOrSelf(lse.getType());
  SmallVector<OpFoldResult> rows = tensor::getMixedSizes(b, loc, target);
  int64_t rank = rows.size();
  SmallVector<utils::IteratorType> parallel(rank,
                                            utils::IteratorType::parallel);
  AffineMap id = b.getMultiDimIdentityMap(rank);
  AffineMap scalar = AffineMap::get(rank, 0, {}, ctx);
  Value g = grad;
  if (getElementTypeOrSelf(grad.getType()) != type)
    g = convertElements(b, loc, grad, type);
  SmallVector<Value> inputs{target, g};
  SmallVector<AffineMap> maps{
      id, options.reduction == Reduction::None ? id : scalar};
  // A single row (rank 0) is its own mean: g = grad / w[t] below.
  bool meanOfRows = options.reduction == Reduction::Mean && rank > 0;
  if (meanOfRows) {
    // kept = the kept rows' w[t] (their count without weights), in f64.
    Type f64 = b.getF64Type();
    SmallVector<Value> keptInputs{target};
    SmallVector<AffineMap> keptMaps{id};
    if (wt) {
      keptInputs.push_back(wt);
      keptMaps.push_back(id);
    }
    Value kept = buildGeneric(
        b, loc, keptInputs, keptMaps,
        filled(b, loc, {}, floatConstant(b, loc, f64, 0.0)), scalar,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::reduction),
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          TargetClass cls =
              classifyTarget(nb, l, args[0], options.ignoreIndex, numClasses);
          Value weight = floatConstant(nb, l, f64, 1.0);
          if (wt) {
            weight = args[1];
            if (!type.isF64())
              weight = arith::ExtFOp::create(nb, l, f64, weight);
          }
          Value share = arith::SelectOp::create(
              nb, l, cls.ignored, floatConstant(nb, l, f64, 0.0), weight);
          return arith::AddFOp::create(nb, l, args.back(), share);
        });
    inputs.push_back(kept);
    maps.push_back(scalar);
  }
  if (!meanOfRows && options.reduction == Reduction::Mean && wt) {
    inputs.push_back(wt);
    maps.push_back(id);
  }
  Value gradients = buildGeneric(
      b, loc, inputs, maps, tensor::EmptyOp::create(b, loc, rows, type), id,
      parallel, [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        TargetClass cls =
            classifyTarget(nb, l, args[0], options.ignoreIndex, numClasses);
        Value gi = args[1];
        if (meanOfRows) {
          Value kept = args[2];
          if (!type.isF64())
            kept = arith::TruncFOp::create(nb, l, type, kept);
          gi = arith::DivFOp::create(nb, l, gi, kept);
        } else if (options.reduction == Reduction::Mean && wt) {
          gi = arith::DivFOp::create(nb, l, gi, args[2]);
        }
        Value checked = arith::SelectOp::create(
            nb, l, cls.inRange, gi, floatConstant(nb, l, type, std::nan("")));
        return arith::SelectOp::create(
            nb, l, cls.ignored, floatConstant(nb, l, type, 0.0), checked);
      });
  double e = options.smoothing;
  if (!wt && e == 0.0 && options.zLoss == 0.0)
    return {gradients, gradients, gradients};
  // a = g ((1 - e) w[t] + e W / C + 2 zl lse),  targetShare = g (1 - e) w[t]
  SmallVector<Value> coefInputs{gradients, lse};
  SmallVector<AffineMap> coefMaps{id, id};
  if (wt) {
    coefInputs.append({wt, totalW});
    coefMaps.append({id, scalar});
  }
  auto empty = [&]() -> Value {
    return tensor::EmptyOp::create(b, loc, rows, type);
  };
  coefMaps.append({id, id});
  auto coefficients = linalg::GenericOp::create(
      b, loc, TypeRange{empty().getType(), empty().getType()}, coefInputs,
      ValueRange{empty(), empty()}, coefMaps, parallel,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value gi = args[0], rowLse = args[1];
        Value one = floatConstant(nb, l, type, 1.0);
        Value weight = wt ? args[2] : one;
        Value targetWeight = arith::MulFOp::create(
            nb, l, weight, floatConstant(nb, l, type, 1.0 - e));
        Value factor = targetWeight;
        if (e != 0.0) {
          Value classes = classCount(nb, l, type, numClasses);
          Value total = wt ? args[3] : classes;
          factor = arith::AddFOp::create(
              nb, l, factor,
              arith::MulFOp::create(
                  nb, l, floatConstant(nb, l, type, e),
                  arith::DivFOp::create(nb, l, total, classes)));
        }
        if (options.zLoss != 0.0)
          factor = arith::AddFOp::create(
              nb, l, factor,
              arith::MulFOp::create(
                  nb, l, floatConstant(nb, l, type, 2.0 * options.zLoss),
                  rowLse));
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::MulFOp::create(nb, l, gi, factor),
                       arith::MulFOp::create(nb, l, gi, targetWeight)});
      });
  return {gradients, coefficients.getResult(0), coefficients.getResult(1)};
}

Value attn::xentLogitGradient(OpBuilder &b, Location loc,
                              const XentOptions &options, Value z, Value shift,
                              Value inverseSum, Value g, Value a,
                              Value targetShare, Value isTarget,
                              Value classWeight, Value numClasses) {
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
  Value p =
      expNonPositive(b, loc, arith::SubFOp::create(b, loc, capped, shift));
  if (inverseSum)
    p = arith::MulFOp::create(b, loc, p, inverseSum);
  Value dz = arith::MulFOp::create(b, loc, a, p);
  dz = arith::SubFOp::create(
      b, loc, dz,
      arith::SelectOp::create(b, loc, isTarget, targetShare,
                              floatConstant(b, loc, type, 0.0)));
  if (double e = options.smoothing; e != 0.0) {
    // g e w[c] / C
    Value spread = arith::MulFOp::create(
        b, loc, g,
        arith::DivFOp::create(b, loc, floatConstant(b, loc, type, e),
                              numClasses));
    if (classWeight)
      spread = arith::MulFOp::create(b, loc, spread, classWeight);
    dz = arith::SubFOp::create(b, loc, dz, spread);
  }
  if (options.softcap) {
    // d cap(z) / dz = 1 - tanh²(z / cap)
    Value slope = arith::SubFOp::create(
        b, loc, floatConstant(b, loc, type, 1.0),
        arith::MulFOp::create(b, loc, tanh, tanh));
    dz = arith::MulFOp::create(b, loc, dz, slope);
  }
  return dz;
}

Value attn::linearXentTargetLogits(OpBuilder &b, Location loc,
                                   const XentOptions &options, Value hidden,
                                   Value classifier, Value bias, Value target) {
  MLIRContext *ctx = b.getContext();
  // bf16 (or f16) operands of the blocked lowering's bf16 products: their
  // exact products summed in f32.
  Type type = getElementTypeOrSelf(hidden.getType());
  if (isa<BFloat16Type, Float16Type>(type))
    type = b.getF32Type();
  auto widened = [&](OpBuilder &nb, Location l, Value x) -> Value {
    return x.getType() == type
               ? x
               : arith::ExtFOp::create(nb, l, type, x).getResult();
  };
  Value numClasses = tensor::DimOp::create(b, loc, classifier, 0);
  SmallVector<OpFoldResult> tokens = tensor::getMixedSizes(b, loc, target);
  // zt[n] = sum_d h[n, d] w[t[n], d]    over (n, d)
  Value dots = buildGeneric(
      b, loc, {target, hidden}, {dimsMap(ctx, 2, {0}), dimsMap(ctx, 2, {0, 1})},
      filled(b, loc, tokens, floatConstant(b, loc, type, 0.0)),
      dimsMap(ctx, 2, {0}),
      {utils::IteratorType::parallel, utils::IteratorType::reduction},
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value w = tensor::ExtractOp::create(
            nb, l, classifier,
            ValueRange{safeClass(nb, l, args[0], options, numClasses),
                       linalg::IndexOp::create(nb, l, 1)});
        return arith::AddFOp::create(
            nb, l, args[2],
            arith::MulFOp::create(nb, l, widened(nb, l, args[1]),
                                  widened(nb, l, w)));
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
              widened(nb, l,
                      tensor::ExtractOp::create(
                          nb, l, bias,
                          ValueRange{safeClass(nb, l, args[0], options,
                                               numClasses)})));
        return capLogit(nb, l, z, options);
      });
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
  return expNonPositive(
      b, loc, arith::SubFOp::create(b, loc, x, safeShift(b, loc, max)));
}

Value attn::expNonPositive(OpBuilder &b, Location loc, Value x) {
  auto exp = math::ExpOp::create(b, loc, x);
  exp->setAttr(kNonPositiveAttrName, b.getUnitAttr());
  return exp;
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
      multiplyAdd);
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
