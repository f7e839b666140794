//===- OnlineSoftmax.h - the online softmax update, shared ------*- C++ -*-===//
//
// The running (max, sum of shifted exponentials) update, used by the pass
// that builds online-softmax reductions and by the one that splits them into
// vector lanes.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_TRANSFORMS_ONLINESOFTMAX_H
#define ATTN_LIB_TRANSFORMS_ONLINESOFTMAX_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

namespace mlir::attn {

/// The discardable attribute that marks an online-softmax generic whose
/// shift is the safe `m == -inf ? 0 : m`.
inline constexpr llvm::StringLiteral kOnlineSoftmaxAttr = "attn.online_softmax";

/// `v == -inf`.
inline Value isNegInf(OpBuilder &b, Location loc, Value v) {
  Value negInf = arith::getIdentityValue(arith::AtomicRMWKind::maximumf,
                                         v.getType(), b, loc);
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, v, negInf);
}

/// The running sum after element `x`, with running max `mOld` -> `mNew`:
///   s' = (m == -inf ? 0 : s * exp(m - m')) + exp(x - shift(m'))
/// where shift(m') = m' == -inf ? 0 : m' if `safeShift`, else m'. The
/// select resets the sum while every element so far was -inf, so the
/// rescale never computes (-inf) - (-inf).
inline Value buildOnlineSum(OpBuilder &b, Location loc, Value x, Value mOld,
                            Value mNew, Value sOld, bool safeShift) {
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(x.getType()));
  Value shift = mNew;
  if (safeShift)
    shift = arith::SelectOp::create(b, loc, isNegInf(b, loc, mNew), zero, mNew);
  Value term = math::ExpOp::create(
      b, loc, arith::SubFOp::create(b, loc, x, shift));
  Value rescale = math::ExpOp::create(
      b, loc, arith::SubFOp::create(b, loc, mOld, mNew));
  Value rescaled =
      arith::SelectOp::create(b, loc, isNegInf(b, loc, mOld), zero,
                              arith::MulFOp::create(b, loc, sOld, rescale));
  return arith::AddFOp::create(b, loc, rescaled, term);
}

} // namespace mlir::attn

#endif // ATTN_LIB_TRANSFORMS_ONLINESOFTMAX_H
