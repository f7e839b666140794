//===- RowTiling.h - tiling row computations, shared -------------*- C++
//-*-===//
//
// Helpers of the passes that tile row computations (--attn-fuse-rows,
// --attn-parallelize-rows, --attn-vectorize-reductions).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_TRANSFORMS_ROWTILING_H
#define ATTN_LIB_TRANSFORMS_ROWTILING_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <algorithm>

namespace mlir::attn {

/// The tile sizes that split the `numRowDims` leading (parallel) loops of
/// `op` into blocks of rows whose rows of the broadcast inputs fit in
/// `cacheBytes`, when some input does not depend on some row dimension (a
/// mask [M, N] of scores [B, M, N]): the dims every input uses by 1, but
/// the innermost of them by the block, the broadcast dims untiled (0), as
/// the remaining loops. Each block then reads the other inputs as
/// contiguous runs of rows (a block of scores per batch) and the broadcast
/// block from cache for every batch. (Visiting the batches at one row
/// instead jumps a batch's size between reads, which hardware prefetchers
/// follow on some hosts and not on others.) Empty if nothing is broadcast,
/// or all of it fits at once.
inline SmallVector<int64_t> broadcastRowBlocks(linalg::LinalgOp op,
                                               unsigned numRowDims,
                                               int64_t cacheBytes) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<unsigned> used, broadcast;
  for (unsigned d = 0; d < numRowDims; ++d) {
    bool everyInputUses =
        llvm::all_of(op.getDpsInputOperands(), [&](OpOperand *in) {
          return op.getMatchingIndexingMap(in).isFunctionOfDim(d);
        });
    (everyInputUses ? used : broadcast).push_back(d);
  }
  if (used.empty() || broadcast.empty() || cacheBytes <= 0)
    return {};
  // Bytes of the broadcast inputs per step of the blocked dim.
  unsigned blocked = used.back();
  if (ShapedType::isDynamic(ranges[blocked]))
    return {};
  int64_t rowBytes = 0;
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(in);
    if (llvm::all_of(broadcast,
                     [&](unsigned d) { return map.isFunctionOfDim(d); }))
      continue;
    auto type = dyn_cast<ShapedType>(in->get().getType());
    if (!type || !type.getElementType().isIntOrFloat())
      return {};
    int64_t bytes = std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
    for (unsigned d = blocked + 1; d < op.getNumLoops(); ++d)
      if (map.isFunctionOfDim(d)) {
        if (ShapedType::isDynamic(ranges[d]))
          return {};
        bytes *= ranges[d];
      }
    rowBytes += bytes;
  }
  if (rowBytes == 0)
    return {};
  if (ranges[blocked] <= 0)
    return {};
  int64_t block =
      std::clamp<int64_t>(cacheBytes / rowBytes, 1, ranges[blocked]);
  if (block == ranges[blocked] &&
      llvm::all_of(ArrayRef(used).drop_back(),
                   [&](unsigned d) { return ranges[d] == 1; }))
    return {};
  // Blocks that split the rows evenly where one of at least half the size
  // does; otherwise a shorter last block (a prime row count must not fall
  // back to blocks of one row).
  for (int64_t even = block; even > block / 2; --even)
    if (ranges[blocked] % even == 0) {
      block = even;
      break;
    }
  SmallVector<int64_t> tiles(op.getNumLoops(), 0);
  for (unsigned d : used)
    tiles[d] = d == blocked ? block : 1;
  return tiles;
}

/// Tiles `op` with `tiling`, fuses all its producers into the loops,
/// replaces the uses of all its results (an online softmax has two) and
/// erases what is left dead in `func`. Returns the innermost loop, whose
/// body computes a tile (null if the chain's result was unused, and the
/// loops with it).
inline FailureOr<LoopLikeOpInterface>
tileAndFuseChainInLoop(RewriterBase &rewriter, func::FuncOp func,
                       linalg::GenericOp op,
                       const scf::SCFTilingOptions &tiling) {
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  // A producer with an empty loop (a reduction over 0 elements) stays
  // whole: it does no work, and upstream's tile-size computation crashes
  // on its zero extent (MLIR 22, linalg::computeTileSizes).
  options.setFusionControlFn(
      [](tensor::ExtractSliceOp, OpResult producer,
         bool) -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        if (auto linalgOp = dyn_cast<linalg::LinalgOp>(producer.getOwner());
            linalgOp && llvm::is_contained(linalgOp.getStaticLoopRanges(), 0))
          return std::nullopt;
        // A producer also read outside the chains of tensor ops (returned,
        // handed to a collective, possibly before the chain's end) stays
        // whole, computed once: fused, it would be computed again in the
        // loops.
        if (llvm::any_of(producer.getUsers(), [](Operation *user) {
              return !isa<linalg::LinalgOp>(user) &&
                     !isa<tensor::TensorDialect, scf::SCFDialect>(
                         user->getDialect());
            }))
          return std::nullopt;
        return scf::SCFTileAndFuseOptions::ControlFnResult{};
      });
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTileAndFuseResult> fused =
      scf::tileConsumerAndFuseProducersUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
  SmallVector<Value> replacements;
  if (succeeded(fused))
    for (Value result : op->getResults())
      if (Value replacement = fused->replacements.lookup(result))
        replacements.push_back(replacement);
  if (replacements.size() != op->getNumResults() || fused->loops.empty())
    return op.emitOpError("could not be tiled into row loops");
  LoopLikeOpInterface innermost = fused->loops.back();
  // Erased here, not left to the cleanup: the callers look for the next op
  // to tile among what is left.
  rewriter.replaceOp(op, replacements);
  // A chain whose result is unused leaves a dead nest that the cleanup
  // below erases: no loop to return then.
  bool dead = fused->loops.front()->use_empty();
  // The producers now computed in the loops (and their slices) are dead,
  // once the dynamic sizes read from them (the loops' bounds, taken from the
  // consumer's operands) are read from what they were sized by instead.
  // (Not scf's loop canonicalization patterns as well: with them, a flex
  // attention backward computed wrong gradients, python/tests/test_flex.py.)
  RewritePatternSet dims(func.getContext());
  memref::populateResolveRankedShapedTypeResultDimsPatterns(dims);
  if (failed(applyPatternsGreedily(func, std::move(dims))))
    return failure();
  return dead ? LoopLikeOpInterface() : innermost;
}

/// tileAndFuseChainInLoop when the loops are not needed.
inline LogicalResult tileAndFuseChain(RewriterBase &rewriter, func::FuncOp func,
                                      linalg::GenericOp op,
                                      const scf::SCFTilingOptions &tiling) {
  return tileAndFuseChainInLoop(rewriter, func, op, tiling);
}

} // namespace mlir::attn

#endif // ATTN_LIB_TRANSFORMS_ROWTILING_H
