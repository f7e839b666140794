//===- ShareExponentials.cpp - one exp per softmax entry ------------------===//
//
// A softmax computes e = exp(x - m) twice per entry: once in the sum
// s = sum_j e and once in the output e * (1 / s). When both are over the
// same iteration space (after --attn-fuse-rows: one row), the exps are
// computed once, into a buffer of their own (a row, in cache), which the sum
// and the output op then read:
//
//   s = reduce(add(exp(f(x)), acc))         e = map(exp(f(x)))
//   o = map(g(exp(f(x)), s)) -> out    =>   s = reduce(add(e, acc))
//                                           o = map(g(e, s)) -> out
//
// For a row of 2048 that halves the polynomial exps, the dominant cost.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Transforms/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallBitVector.h"

namespace mlir::attn {
#define GEN_PASS_DEF_SHAREEXPONENTIALSPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// Whether `a` in the body of `s` and `b` in the body of `n` compute the same
/// value: the same pure ops on the same inputs read through the same maps,
/// or the same value from outside. `s` and `n` share their loops.
bool sameValue(Value a, Value b, linalg::GenericOp s, linalg::GenericOp n) {
  if (a == b)
    return true;
  auto argA = dyn_cast<BlockArgument>(a);
  auto argB = dyn_cast<BlockArgument>(b);
  if (argA || argB) {
    if (!argA || !argB || argA.getOwner() != s.getBody() ||
        argB.getOwner() != n.getBody() ||
        argA.getArgNumber() >= s.getNumDpsInputs() ||
        argB.getArgNumber() >= n.getNumDpsInputs())
      return false;
    OpOperand *inA = s.getDpsInputOperand(argA.getArgNumber());
    OpOperand *inB = n.getDpsInputOperand(argB.getArgNumber());
    return inA->get() == inB->get() &&
           s.getMatchingIndexingMap(inA) == n.getMatchingIndexingMap(inB);
  }
  Operation *opA = a.getDefiningOp(), *opB = b.getDefiningOp();
  if (opA->getBlock() != s.getBody() || opB->getBlock() != n.getBody() ||
      opA->getName() != opB->getName() ||
      opA->getAttrDictionary() != opB->getAttrDictionary() ||
      opA->getNumOperands() != opB->getNumOperands() ||
      opA->getNumResults() != 1 || !isPure(opA))
    return false;
  for (auto [x, y] : llvm::zip(opA->getOperands(), opB->getOperands()))
    if (!sameValue(x, y, s, n))
      return false;
  return true;
}

/// The ops of `s`'s body that `exp` is computed from, with `exp`.
SetVector<Operation *> expSlice(linalg::GenericOp s, math::ExpOp exp) {
  SetVector<Operation *> slice;
  SmallVector<Operation *> worklist{exp};
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (op->getBlock() != s.getBody() || !slice.insert(op))
      continue;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp())
        worklist.push_back(def);
  }
  return slice;
}

/// The sum `s` = reduce(add(exp(..), acc)) over its innermost loop: its
/// body's exp, or null.
math::ExpOp summedExp(linalg::GenericOp s) {
  SmallVector<utils::IteratorType> iterators = s.getIteratorTypesArray();
  if (s.getNumDpsInits() != 1 || !s.hasPureTensorSemantics() ||
      iterators.empty() || iterators.back() != utils::IteratorType::reduction ||
      s.getNumReductionLoops() != 1)
    return nullptr;
  // The one combiner an add (upstream's matchReduction), of an exp.
  SmallVector<Operation *> combiners;
  Value other = matchReduction(s.getRegionOutputArgs(), 0, combiners);
  if (!other || combiners.size() != 1 || !isa<arith::AddFOp>(combiners[0]))
    return nullptr;
  auto exp = other.getDefiningOp<math::ExpOp>();
  if (!exp || !exp->hasOneUse())
    return nullptr;
  // Nothing else in the body: the exp's operand tree, the add, the yield.
  if (expSlice(s, exp).size() + 2 != s.getBody()->getOperations().size())
    return nullptr;
  return exp;
}

/// The exp in the body of elementwise `n` that recomputes `exp` of `s`.
math::ExpOp recomputedExp(linalg::GenericOp n, linalg::GenericOp s,
                          math::ExpOp exp) {
  if (n.getNumDpsInits() != 1 || !n.hasPureTensorSemantics() ||
      n.getNumReductionLoops() != 0 || n.getNumLoops() != s.getNumLoops() ||
      !n.getMatchingIndexingMap(n.getDpsInitOperand(0)).isIdentity())
    return nullptr;
  SmallVector<int64_t> ranges = n.getStaticLoopRanges();
  if (ranges != s.getStaticLoopRanges())
    return nullptr;
  math::ExpOp found;
  n.getBody()->walk([&](math::ExpOp candidate) {
    if (!found && sameValue(exp.getOperand(), candidate.getOperand(), s, n))
      found = candidate;
  });
  if (!found)
    return nullptr;
  // A dynamic loop of s and n is the same size when an input that both
  // exps read through the same map spans it (linalg's verifier ties loop
  // sizes to operand sizes).
  llvm::SmallBitVector spanned(s.getNumLoops());
  for (Operation *op : expSlice(s, exp))
    for (Value operand : op->getOperands())
      if (auto arg = dyn_cast<BlockArgument>(operand);
          arg && arg.getOwner() == s.getBody() &&
          arg.getArgNumber() < s.getNumDpsInputs()) {
        AffineMap map =
            s.getMatchingIndexingMap(s.getDpsInputOperand(arg.getArgNumber()));
        for (unsigned d = 0; d < s.getNumLoops(); ++d)
          if (map.isFunctionOfDim(d))
            spanned.set(d);
      }
  for (auto [d, size] : llvm::enumerate(ranges))
    if (ShapedType::isDynamic(size) && !spanned.test(d))
      return nullptr;
  return found;
}

// sum(exp(f)), map(g(exp(f))) -> e = map(exp(f)), sum(e), map(g(e))
void shareExp(RewriterBase &rewriter, linalg::GenericOp s, math::ExpOp exp,
              linalg::GenericOp n, math::ExpOp nExp) {
  Location loc = s.getLoc();
  rewriter.setInsertionPoint(s);
  // e = exp(f(x)), over all loops of s made parallel, into a buffer of its
  // own: the output is then written once, by n (which may stream it). Its
  // elements are the exp's (f32 for an f16 output rounded by n).
  // Sized by s's loops (n's loops too), from s's operands, which dominate s.
  SmallVector<OpFoldResult> sizes;
  for (Range range :
       cast<linalg::LinalgOp>(s.getOperation()).createLoopRanges(rewriter, loc))
    sizes.push_back(range.size);
  Value out = tensor::EmptyOp::create(rewriter, loc, sizes, exp.getType());
  SmallVector<AffineMap> maps;
  for (OpOperand *in : s.getDpsInputOperands())
    maps.push_back(s.getMatchingIndexingMap(in));
  maps.push_back(rewriter.getMultiDimIdentityMap(s.getNumLoops()));
  auto exps = linalg::GenericOp::create(
      rewriter, loc, out.getType(), s.getDpsInputs(), ValueRange{out}, maps,
      SmallVector<utils::IteratorType>(s.getNumLoops(),
                                       utils::IteratorType::parallel),
      [&](OpBuilder &b, Location, ValueRange args) {
        IRMapping mapping;
        mapping.map(s.getBody()->getArguments().drop_back(), args.drop_back());
        SetVector<Operation *> slice = expSlice(s, exp);
        for (Operation &op : s.getBody()->without_terminator())
          if (slice.contains(&op))
            b.clone(op, mapping);
        linalg::YieldOp::create(b, loc, mapping.lookup(exp.getResult()));
      });

  // s = sum(e)
  auto add = cast<arith::AddFOp>(
      s.getBody()->getTerminator()->getOperand(0).getDefiningOp());
  auto sum = linalg::GenericOp::create(
      rewriter, loc, s.getResultTypes(), ValueRange{exps.getResult(0)},
      s.getDpsInits(),
      {rewriter.getMultiDimIdentityMap(s.getNumLoops()),
       s.getMatchingIndexingMap(s.getDpsInitOperand(0))},
      s.getIteratorTypesArray(), [&](OpBuilder &b, Location, ValueRange args) {
        IRMapping mapping;
        mapping.map(exp.getResult(), args[0]);
        mapping.map(s.getRegionOutputArgs()[0], args[1]);
        linalg::YieldOp::create(b, loc, b.clone(*add, mapping)->getResult(0));
      });
  rewriter.replaceOp(s, sum.getResults());

  // o = g(e): n reading e instead of computing it.
  SmallVector<Value> inputs(n.getDpsInputs());
  inputs.push_back(exps.getResult(0));
  SmallVector<AffineMap> nMaps;
  for (OpOperand *in : n.getDpsInputOperands())
    nMaps.push_back(n.getMatchingIndexingMap(in));
  nMaps.push_back(rewriter.getMultiDimIdentityMap(n.getNumLoops()));
  nMaps.push_back(n.getMatchingIndexingMap(n.getDpsInitOperand(0)));
  rewriter.setInsertionPoint(n);
  auto output = linalg::GenericOp::create(
      rewriter, n.getLoc(), n.getResultTypes(), inputs, n.getDpsInits(), nMaps,
      n.getIteratorTypesArray());
  rewriter.inlineRegionBefore(n.getRegion(), output.getRegion(),
                              output.getRegion().end());
  BlockArgument e = output.getBody()->insertArgument(
      n.getNumDpsInputs(), nExp.getType(), nExp.getLoc());
  rewriter.replaceAllUsesWith(nExp.getResult(), e);
  rewriter.eraseOp(nExp);
  // What only fed the exp is dead now.
  for (Operation &op :
       llvm::make_early_inc_range(llvm::reverse(*output.getBody())))
    if (isOpTriviallyDead(&op))
      rewriter.eraseOp(&op);
  rewriter.replaceOp(n, output.getResults());
}

struct ShareExponentialsPass
    : attn::impl::ShareExponentialsPassBase<ShareExponentialsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());
    SmallVector<std::tuple<linalg::GenericOp, math::ExpOp>> sums;
    func.walk([&](linalg::GenericOp s) {
      if (math::ExpOp exp = summedExp(s))
        sums.emplace_back(s, exp);
    });
    for (auto [s, exp] : sums) {
      // The output op: an elementwise op after the sum in its block.
      for (Operation *op = s->getNextNode(); op; op = op->getNextNode()) {
        auto n = dyn_cast<linalg::GenericOp>(op);
        if (!n)
          continue;
        math::ExpOp nExp = recomputedExp(n, s, exp);
        if (!nExp)
          continue;
        shareExp(rewriter, s, exp, n, nExp);
        break;
      }
    }
  }
};

} // namespace
