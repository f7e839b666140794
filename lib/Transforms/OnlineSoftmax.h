//===- OnlineSoftmax.h - the online softmax update, shared ------*- C++ -*-===//
//
// The running (max, sum of shifted exponentials) update, used by the pass
// that builds online-softmax reductions, and its recognizer, used by the one
// that splits them into vector lanes: the two passes share the math, not a
// marker.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_TRANSFORMS_ONLINESOFTMAX_H
#define ATTN_LIB_TRANSFORMS_ONLINESOFTMAX_H

#include "AttnDialect/Dialect/Attn/AttnDialect.h"
#include "AttnDialect/Dialect/Attn/AttnUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OperationSupport.h"

namespace mlir::attn {

/// `v == -inf`.
inline Value isNegInf(OpBuilder &b, Location loc, Value v) {
  Value negInf = arith::getIdentityValue(arith::AtomicRMWKind::maximumf,
                                         v.getType(), b, loc);
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, v, negInf);
}

/// The running sum after element `x`, with running max `mOld` -> `mNew`
/// (= max(x, mOld)); one exp per element:
///   e  = exp(min(x, m) - shift(m'))
///   s' = x <= m ? s + e                                  (max unchanged)
///               : (m == -inf ? 0 : s * e) + (x == +inf ? NaN : 1)
/// where shift(m') = m' == -inf ? 0 : m' if `safeShift`, else m'. When the
/// max grows, e = exp(m - x) rescales the old sum and x itself adds
/// exp(x - x) = 1. The select resets the sum while every element so far was
/// -inf, so no (-inf) - (-inf) reaches it; a NaN x fails `x <= m` and makes
/// the sum NaN.
inline Value buildOnlineSum(OpBuilder &b, Location loc, Value x, Value mOld,
                            Value mNew, Value sOld, bool safeShift) {
  Type type = x.getType();
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(type));
  Value one = arith::ConstantOp::create(b, loc, b.getOneAttr(type));
  Value shift = mNew;
  if (safeShift)
    shift = arith::SelectOp::create(b, loc, isNegInf(b, loc, mNew), zero, mNew);
  Value low = arith::MinimumFOp::create(b, loc, x, mOld);
  // low <= m' and shift is m' (or 0 while m' is -inf): never positive.
  Value e =
      attn::expNonPositive(b, loc, arith::SubFOp::create(b, loc, low, shift));
  Value kept = arith::AddFOp::create(b, loc, sOld, e);
  Value rescaled =
      arith::SelectOp::create(b, loc, isNegInf(b, loc, mOld), zero,
                              arith::MulFOp::create(b, loc, sOld, e));
  Value posInf = arith::ConstantOp::create(
      b, loc,
      b.getFloatAttr(
          type, APFloat::getInf(cast<FloatType>(type).getFloatSemantics())));
  Value nan = arith::ConstantOp::create(
      b, loc,
      b.getFloatAttr(
          type, APFloat::getNaN(cast<FloatType>(type).getFloatSemantics())));
  Value self = arith::SelectOp::create(
      b, loc,
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x, posInf), nan,
      one);
  Value grown = arith::AddFOp::create(b, loc, rescaled, self);
  Value notGrown =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLE, x, mOld);
  return arith::SelectOp::create(b, loc, notGrown, kept, grown);
}

/// Whether `actual` computes what `expected` does: the same ops with the
/// same attributes, equal constants, and `expected`'s free values (the
/// arguments of the block it was built in) standing for `free`.
inline bool computesLike(Value expected, Value actual, const IRMapping &free) {
  if (Value bound = free.lookupOrNull(expected))
    return bound == actual;
  Attribute expectedConst, actualConst;
  if (matchPattern(expected, m_Constant(&expectedConst)))
    return matchPattern(actual, m_Constant(&actualConst)) &&
           expectedConst == actualConst;
  Operation *e = expected.getDefiningOp(), *a = actual.getDefiningOp();
  if (!e || !a)
    return false;
  return OperationEquivalence::isEquivalentTo(
      e, a, [&](Value x, Value y) { return success(computesLike(x, y, free)); },
      /*markEquivalent=*/nullptr, OperationEquivalence::IgnoreLocations);
}

/// If `op` is an online-softmax reduction over its innermost loop, (m, s)
/// with m' = max(m, x) and s' = buildOnlineSum(x, m, m', s) with the safe
/// shift (the form whose lanes merge by the safe rule), returns the max m'
/// yields, else null: the recurrence recognized by its math, whichever pass
/// built it.
inline arith::MaximumFOp matchOnlineSoftmax(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 2 || op.getNumResults() != 2 ||
      !op.hasPureTensorSemantics())
    return {};
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (iterators.empty() || !linalg::isReductionIterator(iterators.back()) ||
      !llvm::all_of(ArrayRef(iterators).drop_back(),
                    linalg::isParallelIterator))
    return {};
  Operation *yield = op.getBody()->getTerminator();
  Value mAcc = op.getRegionOutputArgs()[0], sAcc = op.getRegionOutputArgs()[1];
  auto max = yield->getOperand(0).getDefiningOp<arith::MaximumFOp>();
  if (!max || !llvm::is_contained(max->getOperands(), mAcc))
    return {};
  Value x = max.getLhs() == mAcc ? max.getRhs() : max.getLhs();
  if (x == mAcc)
    return {};
  // The sum as buildOnlineSum writes it, on free values bound to the body's.
  Type type = x.getType();
  Location loc = op.getLoc();
  Block scratch;
  SmallVector<Value> args;
  for (int i = 0; i < 4; ++i)
    args.push_back(scratch.addArgument(type, loc));
  IRMapping free;
  free.map(args, ValueRange{x, mAcc, max.getResult(), sAcc});
  OpBuilder b(op.getContext());
  b.setInsertionPointToEnd(&scratch);
  bool matched = computesLike(buildOnlineSum(b, loc, args[0], args[1], args[2],
                                             args[3], /*safeShift=*/true),
                              yield->getOperand(1), free);
  // The scratch ops go with the block; nothing outside uses them.
  for (Operation &built : llvm::make_early_inc_range(llvm::reverse(scratch)))
    built.erase();
  return matched ? max : arith::MaximumFOp();
}

} // namespace mlir::attn

#endif // ATTN_LIB_TRANSFORMS_ONLINESOFTMAX_H
