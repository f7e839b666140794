//===- RowTiling.h - tiling row computations, shared -------------*- C++ -*-===//
//
// Helpers of the passes that tile row computations (--attn-fuse-rows,
// --attn-parallelize-rows, --attn-vectorize-reductions).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_TRANSFORMS_ROWTILING_H
#define ATTN_LIB_TRANSFORMS_ROWTILING_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {

/// When an input is broadcast over some row dimension (an attention mask
/// [M, N] over a batch B), iterating that dimension innermost among the row
/// loops re-reads each of the input's rows from cache instead of memory.
/// The interchange of `op`'s `numRowDims` leading (parallel) loops that puts
/// the dims some input does not depend on innermost, keeping the order
/// otherwise; the remaining loops stay last. Empty if nothing moves.
inline SmallVector<int64_t> broadcastInnermostOrder(linalg::LinalgOp op,
                                                    unsigned numRowDims) {
  SmallVector<int64_t> used, broadcast;
  for (unsigned d = 0; d < numRowDims; ++d) {
    bool everyInputUses = llvm::all_of(op.getDpsInputOperands(), [&](OpOperand *in) {
      return op.getMatchingIndexingMap(in).isFunctionOfDim(d);
    });
    (everyInputUses ? used : broadcast).push_back(d);
  }
  if (broadcast.empty() || used.empty())
    return {};
  SmallVector<int64_t> order(used);
  llvm::append_range(order, broadcast);
  for (unsigned d = numRowDims, e = op.getNumLoops(); d < e; ++d)
    order.push_back(d);
  return order;
}

/// Tiles `op` with `tiling`, fuses all its producers into the loops,
/// replaces the uses of all its results (an online softmax has two) and
/// erases what is left dead in `func`.
inline LogicalResult tileAndFuseChain(RewriterBase &rewriter,
                                      func::FuncOp func, linalg::GenericOp op,
                                      const scf::SCFTilingOptions &tiling) {
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTileAndFuseResult> fused =
      scf::tileConsumerAndFuseProducersUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
  SmallVector<Value> replacements;
  if (succeeded(fused))
    for (Value result : op->getResults())
      if (Value replacement = fused->replacements.lookup(result))
        replacements.push_back(replacement);
  if (replacements.size() != op->getNumResults())
    return op.emitOpError("could not be tiled into row loops");
  // Erased here, not left to the cleanup: the callers look for the next op
  // to tile among what is left.
  rewriter.replaceOp(op, replacements);
  // The producers now computed in the loops (and their slices) are dead.
  return applyPatternsGreedily(func, FrozenRewritePatternSet());
}

} // namespace mlir::attn

#endif // ATTN_LIB_TRANSFORMS_ROWTILING_H
