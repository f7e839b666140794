//===- FuseRows.cpp - softmax-like chains one row at a time ---------------===//
//
// Tiles the last elementwise op of a chain that reduces rows (max, sum of
// exponentials, ...) by rows and fuses all its producers into the row loop,
// so that each row is read from memory once and from cache afterwards.
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

#define DEBUG_TYPE "attn-fuse-rows"

namespace mlir::attn {
#define GEN_PASS_DEF_FUSEROWSPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// Whether `op` iterates over no element (a static size of 0): nothing to
/// tile, and upstream tiling does not expect it.
bool isEmpty(linalg::LinalgOp op) {
  return llvm::is_contained(op.getStaticLoopRanges(), 0);
}

/// The number of row dims of the reduction that `op` depends on through
/// linalg producers (its parallel dims), or none. None too if any op of the
/// chain is empty.
std::optional<int64_t> reducedRowRank(linalg::LinalgOp op) {
  SmallVector<linalg::LinalgOp> worklist{op};
  DenseSet<Operation *> seen;
  std::optional<int64_t> rowRank;
  while (!worklist.empty()) {
    linalg::LinalgOp current = worklist.pop_back_val();
    if (!seen.insert(current).second)
      continue;
    if (isEmpty(current))
      return std::nullopt;
    for (Value operand : current->getOperands()) {
      auto producer = operand.getDefiningOp<linalg::LinalgOp>();
      if (!producer)
        continue;
      if (!rowRank && producer.getNumReductionLoops() == 1 &&
          producer.getIteratorTypesArray().back() ==
              utils::IteratorType::reduction)
        rowRank = producer.getNumParallelLoops();
      worklist.push_back(producer);
    }
  }
  return rowRank;
}

/// The last op of a chain to compute by rows, among the function's top-level
/// ops (those already in row loops are done), with the tile sizes to use.
std::optional<std::pair<linalg::GenericOp, SmallVector<int64_t>>>
findLastChainOp(Block &block) {
  for (Operation &op : llvm::reverse(block)) {
    auto generic = dyn_cast<linalg::GenericOp>(op);
    // Any size may be dynamic: a row tile's intermediates are per-row
    // scalars, and a dynamic row's loops are vectorized later by LLVM.
    if (!generic || !generic.hasPureTensorSemantics() ||
        generic.getNumReductionLoops() != 0 || generic.getNumResults() != 1)
      continue;
    std::optional<int64_t> rowRank = reducedRowRank(generic);
    int64_t rank = generic.getNumLoops();
    // Elementwise over [rows..., N] (tile all but N) or over [rows...].
    if (!rowRank || *rowRank == 0 || (rank != *rowRank && rank != *rowRank + 1))
      continue;
    SmallVector<int64_t> tiles(rank, 1);
    if (rank == *rowRank + 1)
      tiles.back() = 0;
    return std::make_pair(generic, tiles);
  }
  return std::nullopt;
}

struct FuseRowsPass : attn::impl::FuseRowsPassBase<FuseRowsPass> {
  using FuseRowsPassBase::FuseRowsPassBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isDeclaration())
      return;
    IRRewriter rewriter(&getContext());
    // The function's body and the bodies of its per-thread chunks.
    SmallVector<Block *> blocks{&func.getBody().front()};
    func.walk([&](scf::ForallOp forall) { blocks.push_back(forall.getBody()); });
    for (Block *block : blocks)
      if (failed(fuseChains(rewriter, func, *block)))
        return signalPassFailure();
  }

  /// One chain at a time: fusing one may make the ops of another dead.
  LogicalResult fuseChains(IRRewriter &rewriter, func::FuncOp func,
                           Block &block) {
    while (auto found = findLastChainOp(block)) {
      auto [op, tileSizes] = *found;
      SmallVector<OpFoldResult> tiles;
      for (int64_t t : tileSizes)
        tiles.push_back(rewriter.getIndexAttr(t));
      unsigned rowDims = tileSizes.back() == 0 ? tileSizes.size() - 1
                                               : tileSizes.size();
      // Blocks of rows that keep a broadcast mask in cache first, then the
      // rows of each block.
      SmallVector<int64_t> blocks =
          attn::broadcastRowBlocks(op, rowDims, cacheBytes);
      if (!blocks.empty()) {
        LLVM_DEBUG({
          llvm::dbgs() << DEBUG_TYPE ": blocks of rows ";
          llvm::interleaveComma(blocks, llvm::dbgs());
          llvm::dbgs() << " for " << op << "\n";
        });
        scf::SCFTilingOptions blocking;
        blocking.setTileSizes(getAsIndexOpFoldResult(&getContext(), blocks));
        FailureOr<LoopLikeOpInterface> loop =
            attn::tileAndFuseChainInLoop(rewriter, func, op, blocking);
        if (failed(loop))
          return failure();
        if (*loop &&
            failed(fuseChains(rewriter, func, (*loop)->getRegion(0).front())))
          return failure();
        continue;
      }
      scf::SCFTilingOptions tiling;
      tiling.setTileSizes(tiles);
      if (failed(attn::tileAndFuseChain(rewriter, func, op, tiling)))
        return failure();
    }
    return success();
  }
};

} // namespace
