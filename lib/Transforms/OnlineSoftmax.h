//===- OnlineSoftmax.h - the online softmax update, shared ------*- C++ -*-===//
//
// The running (max, sum of shifted exponentials) update, used by the pass
// that builds online-softmax reductions and by the one that splits them into
// vector lanes.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_TRANSFORMS_ONLINESOFTMAX_H
#define ATTN_LIB_TRANSFORMS_ONLINESOFTMAX_H

#include "AttnDialect/Dialect/Attn/AttnDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

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
  Value e =
      math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, low, shift));
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

} // namespace mlir::attn

#endif // ATTN_LIB_TRANSFORMS_ONLINESOFTMAX_H
