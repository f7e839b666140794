//===- ParallelizeRows.cpp - rows across threads --------------------------===//
//
// Every row computation (a reduction over rows, or the last op of a chain of
// them with its producers fused) is split over its outermost row dimension
// into `threads` chunks of an scf.forall; the pipelines lower it to OpenMP.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Transforms/Passes.h"
#include "RowTiling.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "attn-parallelize-rows"

namespace mlir::attn {
#define GEN_PASS_DEF_PARALLELIZEROWSPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// Whether `op` computes rows: its outermost loop is parallel, it has at
/// least one more loop, and it iterates over something.
bool computesRows(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumResults() == 0)
    return false;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  return iterators.size() >= 2 &&
         iterators.front() == utils::IteratorType::parallel &&
         !llvm::is_contained(op.getStaticLoopRanges(), 0);
}

/// The last top-level op of the function that computes rows and is not
/// inside a loop yet: the end of a chain (or a lone reduction).
linalg::GenericOp findLastRowOp(func::FuncOp func) {
  for (Operation &op : llvm::reverse(func.getBody().front()))
    if (auto generic = dyn_cast<linalg::GenericOp>(op);
        generic && computesRows(generic))
      return generic;
  return {};
}

struct ParallelizeRowsPass
    : attn::impl::ParallelizeRowsPassBase<ParallelizeRowsPass> {
  using ParallelizeRowsPassBase::ParallelizeRowsPassBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isDeclaration() || threads < 2)
      return;
    IRRewriter rewriter(&getContext());
    while (linalg::GenericOp op = findLastRowOp(func)) {
      SmallVector<OpFoldResult> numThreads(op.getNumLoops(),
                                           rewriter.getIndexAttr(0));
      numThreads.front() = rewriter.getIndexAttr(threads);
      scf::SCFTilingOptions tiling;
      tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      tiling.setNumThreads(numThreads);
      LLVM_DEBUG(llvm::dbgs() << DEBUG_TYPE ": rows of " << op
                              << " split across " << threads
                              << " threads\n");
      if (failed(attn::tileAndFuseChain(rewriter, func, op, tiling)))
        return signalPassFailure();
    }
  }
};

} // namespace
