//===- ReassociateReductions.cpp - fastmath flags on reductions -----------===//
//
// LLVM vectorizes a floating-point sum only when it may reassociate it. This
// pass grants that, where the user allows it, to the combiners of linalg
// reductions: the yielded `acc + x` or `acc * x` of a reduction generic.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::attn {
#define GEN_PASS_DEF_REASSOCIATEREDUCTIONSPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// Adds `flags` to the fastmath flags of `op`.
void addFlags(arith::ArithFastMathInterface op, arith::FastMathFlags flags) {
  auto attr = arith::FastMathFlagsAttr::get(
      op->getContext(), op.getFastMathFlagsAttr().getValue() | flags);
  op->setAttr(op.getFastMathAttrName(), attr);
}

/// Marks `combiner` (acc' = acc op x) reassociable, and a multiply that
/// produces x contractable into it.
template <typename CombineOp>
void markCombiner(CombineOp combiner, BlockArgument acc) {
  using arith::FastMathFlags;
  addFlags(combiner, FastMathFlags::reassoc | FastMathFlags::contract);
  Value x = combiner.getLhs() == acc ? combiner.getRhs() : combiner.getLhs();
  if (auto mul = x.getDefiningOp<arith::MulFOp>())
    addFlags(mul, FastMathFlags::contract);
}

struct ReassociateReductionsPass
    : attn::impl::ReassociateReductionsPassBase<ReassociateReductionsPass> {
  void runOnOperation() override {
    getOperation()->walk([](linalg::GenericOp generic) {
      if (generic.getNumReductionLoops() == 0)
        return;
      Operation *yield = generic.getBody()->getTerminator();
      for (auto [acc, yielded] :
           llvm::zip(generic.getRegionOutputArgs(), yield->getOperands())) {
        Operation *def = yielded.getDefiningOp();
        if (!def || !llvm::is_contained(def->getOperands(), acc))
          continue;
        if (auto add = dyn_cast<arith::AddFOp>(def))
          markCombiner(add, acc);
        else if (auto mul = dyn_cast<arith::MulFOp>(def))
          markCombiner(mul, acc);
      }
    });
  }
};

} // namespace
