//===- VectorizeReductions.cpp - row reductions in vector lanes -----------===//
//
// A row reduction `acc = combine(acc, f(x[..., j]))` becomes, per row, a loop
// over chunks of `width` elements carrying a vector<width> of partial
// results, and one cross-lane vector.reduction at the end: tile the parallel
// dims by 1, tile the reduction into a partial reduction, vectorize, fold the
// tensor slices into vector transfers and hoist the accumulator out of the
// chunk loop.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Transforms/Passes.h"
#include "RowTiling.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"
#include "llvm/ADT/SmallBitVector.h"

#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "attn-vectorize-reductions"

namespace mlir::attn {
#define GEN_PASS_DEF_VECTORIZEREDUCTIONSPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// The chunk width for a row of `length`: `width`, or the largest power of
/// two >= 8 below it that divides the row; 0 if none does.
int64_t chunkWidth(int64_t length, int64_t width) {
  for (int64_t w = width; w >= 8; w /= 2)
    if (length % w == 0 && length >= w)
      return w;
  return 0;
}

/// Whether `op` multiplies operands broadcast along different dims (q kᵀ,
/// p v): a contraction, which wants register blocking rather than one
/// vector reduction per output element.
bool isContraction(linalg::GenericOp op) {
  SmallVector<llvm::SmallBitVector> missing;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    llvm::SmallBitVector lacks(op.getNumLoops());
    for (unsigned d = 0; d + 1 < op.getNumLoops(); ++d)
      if (!map.isFunctionOfDim(d))
        lacks.set(d);
    if (lacks.any())
      missing.push_back(lacks);
  }
  for (size_t a = 0; a < missing.size(); ++a)
    for (size_t b = a + 1; b < missing.size(); ++b)
      if (missing[a] != missing[b])
        return true;
  return false;
}

/// Whether `op` is a static single-output reduction of its innermost loop
/// whose combiner may be computed in lanes.
bool isVectorizableRowReduction(linalg::GenericOp op, bool reassoc) {
  // Rows may be dynamic (chunks of rows per thread); the row must not be.
  if (op.getNumDpsInits() != 1 || op.getNumResults() != 1 ||
      !op.hasPureTensorSemantics() ||
      ShapedType::isDynamic(op.getStaticLoopRanges().back()) ||
      llvm::is_contained(op.getStaticLoopRanges(), 0))
    return false;
  if (isContraction(op))
    return false;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (iterators.empty() || iterators.back() != utils::IteratorType::reduction ||
      llvm::any_of(ArrayRef(iterators).drop_back(), [](utils::IteratorType t) {
        return t != utils::IteratorType::parallel;
      }))
    return false;
  Value yielded = op.getBody()->getTerminator()->getOperand(0);
  Operation *combiner = yielded.getDefiningOp();
  if (!combiner ||
      !llvm::is_contained(combiner->getOperands(), op.getRegionOutputArgs()[0]))
    return false;
  if (isa<arith::MaximumFOp, arith::MinimumFOp, arith::MaxNumFOp,
          arith::MinNumFOp>(combiner))
    return true;
  return reassoc && isa<arith::AddFOp, arith::MulFOp>(combiner);
}

/// Adds every loaded dialect's and registered op's canonicalizations.
void addCanonicalizations(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  for (Dialect *dialect : ctx->getLoadedDialects())
    dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName name : ctx->getRegisteredOperations())
    name.getCanonicalizationPatterns(patterns, ctx);
}

/// Whether `op` is a static elementwise generic (every loop parallel).
bool isVectorizableElementwise(linalg::GenericOp op) {
  return op.hasPureTensorSemantics() && op.getNumLoops() >= 1 &&
         !ShapedType::isDynamic(op.getStaticLoopRanges().back()) &&
         op.getNumReductionLoops() == 0 &&
         !llvm::is_contained(op.getStaticLoopRanges(), 0);
}

/// Tiles `op` by `tiles` (loops in `interchange` order, if given) and
/// vectorizes the tile.
void tileAndVectorize(IRRewriter &rewriter, linalg::GenericOp op,
                      ArrayRef<OpFoldResult> tiles,
                      ArrayRef<int64_t> interchange = {}) {
  scf::SCFTilingOptions options;
  options.setTileSizes(tiles);
  options.setInterchange(interchange);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled))
    return;
  rewriter.replaceOp(op, tiled->replacements);
  Operation *piece = tiled->tiledOps.back();
  rewriter.setInsertionPoint(piece);
  FailureOr<linalg::VectorizationResult> vectorized =
      linalg::vectorize(rewriter, piece);
  if (succeeded(vectorized))
    rewriter.replaceOp(piece, vectorized->replacements);
}

/// Whether `op` is a static reduction whose innermost loop is parallel:
/// each output element accumulates down a column, `acc[j] = combine(acc[j],
/// f(x[r, j]))` (flash attention's running max and sum over the keys of its
/// key-major scores), possibly besides outputs written at every point (the
/// probabilities whose sum it is). Lanes are columns: any combiner keeps its
/// order.
bool isVectorizableColumnReduction(linalg::GenericOp op) {
  if (op.getNumDpsInits() == 0 || !op.hasPureTensorSemantics() ||
      op.getNumReductionLoops() == 0 ||
      op.getIteratorTypesArray().back() != utils::IteratorType::parallel ||
      llvm::any_of(op.getDpsInitsMutable(), [&](OpOperand &init) {
        return !op.getMatchingIndexingMap(&init).isProjectedPermutation();
      }))
    return false;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  return !llvm::any_of(ranges, ShapedType::isDynamic) &&
         !llvm::is_contained(ranges, 0);
}

/// Tiles column reduction `op` into chunks of `chunk` columns, each looping
/// over the reduction (every other loop by 1), and vectorizes the pieces:
/// the chunk's accumulator stays in a register down the column.
void vectorizeColumnReduction(IRRewriter &rewriter, linalg::GenericOp op,
                              int64_t chunk) {
  unsigned numLoops = op.getNumLoops();
  SmallVector<OpFoldResult> tiles(numLoops, rewriter.getIndexAttr(1));
  tiles.back() = rewriter.getIndexAttr(chunk);
  SmallVector<int64_t> order{numLoops - 1};
  llvm::append_range(order, llvm::seq<int64_t>(0, numLoops - 1));
  tileAndVectorize(rewriter, op, tiles, order);
}

/// Whether `op` is a static f32 elementwise generic with one input read with
/// its two innermost dims swapped (flash attention's qᵀ, or a mask block
/// added to key-major scores) and any other read as it is written, the two
/// innermost sizes multiples of `tile`.
bool isInnerTranspose(linalg::GenericOp op, int64_t tile) {
  if (!isVectorizableElementwise(op) || op.getNumDpsInits() != 1 ||
      op.getNumLoops() < 2 ||
      !getElementTypeOrSelf(op.getResultTypes()[0]).isF32())
    return false;
  unsigned n = op.getNumLoops();
  SmallVector<unsigned> swapped = llvm::to_vector(llvm::seq<unsigned>(0, n));
  std::swap(swapped[n - 2], swapped[n - 1]);
  AffineMap transposed = AffineMap::getPermutationMap(swapped, op.getContext());
  int64_t numTransposed = 0;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (map == transposed)
      ++numTransposed;
    else if (!map.isIdentity())
      return false;
  }
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  return numTransposed == 1 &&
         op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity() &&
         !ShapedType::isDynamic(sizes[n - 2]) && sizes[n - 2] % tile == 0 &&
         sizes[n - 1] % tile == 0;
}

/// Tiles inner transpose `op` into [tile, tile] squares (other dims by 1)
/// and vectorizes each: `tile` row loads and a vector.transpose in
/// registers instead of one scalar load per element.
void vectorizeTranspose(IRRewriter &rewriter, linalg::GenericOp op,
                        int64_t tile) {
  unsigned numLoops = op.getNumLoops();
  SmallVector<OpFoldResult> tiles(numLoops, rewriter.getIndexAttr(1));
  tiles[numLoops - 2] = tiles[numLoops - 1] = rewriter.getIndexAttr(tile);
  tileAndVectorize(rewriter, op, tiles);
}

/// Tiles elementwise `op` into chunks of `chunk` innermost elements (every
/// other dim by 1) and vectorizes each chunk.
void vectorizeElementwise(IRRewriter &rewriter, linalg::GenericOp op,
                          int64_t chunk) {
  unsigned numLoops = op.getNumLoops();
  SmallVector<OpFoldResult> tiles(numLoops, rewriter.getIndexAttr(1));
  tiles.back() = rewriter.getIndexAttr(chunk);
  tileAndVectorize(rewriter, op, tiles);
}

/// Whether combining the lanes of a reduction of `kind` in any order gives
/// the same result (max and min), or `reassoc` allows another order.
bool mayReorder(vector::CombiningKind kind, bool reassoc) {
  switch (kind) {
  case vector::CombiningKind::MAXIMUMF:
  case vector::CombiningKind::MINIMUMF:
  case vector::CombiningKind::MAXNUMF:
  case vector::CombiningKind::MINNUMF:
    return true;
  case vector::CombiningKind::ADD:
  case vector::CombiningKind::MUL:
    return reassoc;
  default:
    return false;
  }
}

// reduction(v : vector<2n>) -> reduction(combine(v[0:n], v[n:2n]))
// LLVM expands an IEEE max reduction (and an ordered sum) one lane at a
// time; halving is log2(n) vector steps.
struct HalveReduction : OpRewritePattern<vector::ReductionOp> {
  HalveReduction(MLIRContext *ctx, bool reassoc)
      : OpRewritePattern(ctx), reassoc(reassoc) {}

  LogicalResult matchAndRewrite(vector::ReductionOp op,
                                PatternRewriter &rewriter) const override {
    VectorType type = op.getSourceVectorType();
    if (type.getRank() != 1 || type.isScalable() || op.isMasked() ||
        type.getNumElements() < 2 || type.getNumElements() % 2 != 0 ||
        !isa<FloatType>(type.getElementType()) ||
        !mayReorder(op.getKind(), reassoc))
      return rewriter.notifyMatchFailure(op, "no halving of this reduction");
    int64_t half = type.getNumElements() / 2;
    Location loc = op.getLoc();
    Value low = vector::ExtractStridedSliceOp::create(
        rewriter, loc, op.getVector(), /*offsets=*/{0}, /*sizes=*/{half},
        /*strides=*/{1});
    Value high = vector::ExtractStridedSliceOp::create(
        rewriter, loc, op.getVector(), /*offsets=*/{half}, /*sizes=*/{half},
        /*strides=*/{1});
    // As for the lanes' max above, `nsz` in fast mode.
    arith::FastMathFlags flags = op.getFastmath();
    if (reassoc && (op.getKind() == vector::CombiningKind::MAXIMUMF ||
                    op.getKind() == vector::CombiningKind::MINIMUMF))
      flags = flags | arith::FastMathFlags::nsz;
    auto flagsAttr = arith::FastMathFlagsAttr::get(getContext(), flags);
    Value combined = vector::makeArithReduction(rewriter, loc, op.getKind(),
                                                low, high, flagsAttr);
    rewriter.replaceOpWithNewOp<vector::ReductionOp>(op, op.getKind(), combined,
                                                     op.getAcc(), flags);
    return success();
  }

  bool reassoc;
};

// maxnumf(a, b) -> b > a ? b : a, minnumf(a, b) -> b < a ? b : a
// In fast mode a NaN-ignoring max may return a NaN `a` rather than ignore
// it: the select is one vmaxps where maxnum needs a NaN check. A NaN `b` is
// still ignored: `b` is the accumulator (see accumulatorSecond), which the
// chunked reduction starts at NaN, maxnum's neutral element. attn's lowerings
// use maxnumf only for a softmax's running max, whose NaN reaches the result
// through exp anyway.
template <typename OpTy, arith::CmpFPredicate predicate>
struct SelectNaNIgnoringExtremum : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Value a = op.getLhs(), b = op.getRhs();
    Value pick = arith::CmpFOp::create(rewriter, op.getLoc(), predicate, b, a);
    rewriter.replaceOpWithNewOp<arith::SelectOp>(op, pick, b, a);
    return success();
  }
};

/// Puts the accumulator of a maxnumf/minnumf reduction's combiner second,
/// where the fast-mode select ignores its initial NaN.
void accumulatorSecond(RewriterBase &rewriter, linalg::GenericOp op) {
  Operation *combiner =
      op.getBody()->getTerminator()->getOperand(0).getDefiningOp();
  if (!isa<arith::MaxNumFOp, arith::MinNumFOp>(combiner) ||
      combiner->getOperand(0) != op.getRegionOutputArgs()[0])
    return;
  rewriter.modifyOpInPlace(combiner, [&] {
    combiner->setOperands({combiner->getOperand(1), combiner->getOperand(0)});
  });
}

/// Tiles the rows of row reduction `op` into blocks that keep its
/// broadcast inputs' rows in `cacheBytes` (attn::broadcastRowBlocks).
/// Returns the op that computes one block, `op` itself if none is made.
linalg::GenericOp blockBroadcastRows(IRRewriter &rewriter, linalg::GenericOp op,
                                     int64_t cacheBytes) {
  SmallVector<int64_t> blocks =
      attn::broadcastRowBlocks(op, op.getNumLoops() - 1, cacheBytes);
  if (blocks.empty())
    return op;
  LLVM_DEBUG({
    llvm::dbgs() << DEBUG_TYPE ": blocks of rows ";
    llvm::interleaveComma(blocks, llvm::dbgs());
    llvm::dbgs() << " for " << op << "\n";
  });
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(op.getContext(), blocks));
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled))
    return op;
  rewriter.replaceOp(op, tiled->replacements);
  return cast<linalg::GenericOp>(tiled->tiledOps.back());
}

/// Offsets the `linalg.index` ops of the chunk ops that partial-reduction
/// tiling made by the chunk loops' induction variables, `tiles` being the
/// tile sizes it was given (0: not tiled). LLVM 22's partial-reduction
/// tiling clones the body as it is, so an index of the tiled reduction
/// dimension would count from the chunk's start, not the row's: a reduction
/// that reads an operand at `linalg.index` (a target logit) would pair each
/// chunk with the first chunk's elements.
void offsetChunkIndices(RewriterBase &rewriter,
                        const scf::SCFTilingResult &partial,
                        ArrayRef<OpFoldResult> tiles) {
  SmallVector<OpFoldResult> offsets(tiles.size(), rewriter.getIndexAttr(0));
  size_t loop = 0;
  for (auto [dim, tile] : llvm::enumerate(tiles)) {
    if (isZeroInteger(tile))
      continue;
    if (loop == partial.loops.size())
      return;
    LoopLikeOpInterface chunkLoop = partial.loops[loop++];
    std::optional<SmallVector<Value>> ivs = chunkLoop.getLoopInductionVars();
    if (!ivs || ivs->size() != 1)
      return;
    offsets[dim] = ivs->front();
  }
  for (Operation *op : partial.tiledOps) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (!linalgOp || linalgOp.getNumLoops() != tiles.size() ||
        !linalgOp.hasIndexSemantics())
      continue;
    // A later LLVM offsets them itself (an index used by an affine.apply
    // of the chunk loop's variable): not twice.
    bool offsetAlready = llvm::any_of(
        linalgOp.getBlock()->getOps<linalg::IndexOp>(),
        [&](linalg::IndexOp index) {
          Value iv = dyn_cast_if_present<Value>(offsets[index.getDim()]);
          return iv && llvm::any_of(index->getUsers(), [&](Operation *user) {
                   return isa<affine::AffineApplyOp>(user) &&
                          llvm::is_contained(user->getOperands(), iv);
                 });
        });
    if (!offsetAlready)
      linalg::offsetIndices(rewriter, linalgOp, offsets);
  }
}

struct VectorizeReductionsPass
    : attn::impl::VectorizeReductionsPassBase<VectorizeReductionsPass> {
  using VectorizeReductionsPassBase::VectorizeReductionsPassBase;

  /// The cleanup patterns, collected once rather than per function.
  LogicalResult initialize(MLIRContext *ctx) override {
    RewritePatternSet foldingSet(ctx);
    tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(foldingSet);
    addCanonicalizations(foldingSet);
    folding = std::move(foldingSet);
    RewritePatternSet loweringSet(ctx);
    vector::populateVectorMultiReductionLoweringPatterns(
        loweringSet, vector::VectorMultiReductionLowering::InnerReduction);
    loweringSet.add<HalveReduction>(ctx, reassoc);
    if (reassoc)
      loweringSet.add<SelectNaNIgnoringExtremum<arith::MaxNumFOp,
                                                arith::CmpFPredicate::OGT>,
                      SelectNaNIgnoringExtremum<arith::MinNumFOp,
                                                arith::CmpFPredicate::OLT>>(
          ctx);
    addCanonicalizations(loweringSet);
    lowering = std::move(loweringSet);
    return success();
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<linalg::GenericOp> candidates, elementwise, columns, transposes;
    func.walk([&](linalg::GenericOp op) {
      if (isVectorizableRowReduction(op, reassoc))
        candidates.push_back(op);
      else if (isInnerTranspose(op, kTransposeTile))
        transposes.push_back(op);
      else if (isVectorizableElementwise(op))
        elementwise.push_back(op);
      else if (isVectorizableColumnReduction(op) && !isContraction(op))
        columns.push_back(op);
    });
    if (candidates.empty() && elementwise.empty() && columns.empty() &&
        transposes.empty())
      return;

    IRRewriter rewriter(ctx);
    for (linalg::GenericOp op : transposes)
      vectorizeTranspose(rewriter, op, kTransposeTile);
    for (linalg::GenericOp op : columns)
      if (int64_t chunk =
              chunkWidth(op.getStaticLoopRanges().back(), width / 4))
        vectorizeColumnReduction(rewriter, op, chunk);
    for (linalg::GenericOp op : elementwise)
      if (int64_t chunk =
              chunkWidth(op.getStaticLoopRanges().back(), width / 4))
        vectorizeElementwise(rewriter, op, chunk);
    for (linalg::GenericOp op : candidates) {
      unsigned numLoops = op.getNumLoops();
      int64_t length = op.getStaticLoopRanges().back();
      int64_t chunk = chunkWidth(length, width);
      LLVM_DEBUG(llvm::dbgs() << DEBUG_TYPE ": row of " << length
                              << " in chunks of " << chunk << " (0: left to "
                              << "LLVM) for " << op << "\n");
      if (chunk == 0)
        continue;
      accumulatorSecond(rewriter, op);

      // Blocks of rows whose broadcast operands stay in cache, then one row
      // at a time.
      linalg::GenericOp rowsOp = blockBroadcastRows(rewriter, op, cacheBytes);
      rewriter.setInsertionPoint(rowsOp);
      SmallVector<OpFoldResult> rowTiles(numLoops, rewriter.getIndexAttr(1));
      rowTiles.back() = rewriter.getIndexAttr(0);
      scf::SCFTilingOptions rowOptions;
      rowOptions.setTileSizes(rowTiles);
      Operation *rowOp = rowsOp;
      if (numLoops > 1) {
        FailureOr<scf::SCFTilingResult> rows = scf::tileUsingSCF(
            rewriter, cast<TilingInterface>(rowsOp.getOperation()), rowOptions);
        if (failed(rows))
          continue;
        rewriter.replaceOp(rowsOp, rows->replacements);
        rowOp = rows->tiledOps.back();
      }

      // Chunks of the row into a vector of partial results.
      SmallVector<OpFoldResult> chunkTiles(numLoops, rewriter.getIndexAttr(0));
      chunkTiles.back() = rewriter.getIndexAttr(chunk);
      rewriter.setInsertionPoint(rowOp);
      FailureOr<scf::SCFTilingResult> partial = scf::tileReductionUsingScf(
          rewriter, cast<PartialReductionOpInterface>(rowOp), chunkTiles);
      if (failed(partial))
        continue;
      offsetChunkIndices(rewriter, *partial, chunkTiles);
      rewriter.replaceOp(rowOp, partial->replacements);

      SmallVector<Operation *> toVectorize;
      for (Value init : partial->initialValues)
        if (Operation *def = init.getDefiningOp())
          toVectorize.push_back(def);
      llvm::append_range(toVectorize, partial->tiledOps);
      llvm::append_range(toVectorize, partial->mergeOps);
      for (Operation *piece : toVectorize) {
        if (!isa<linalg::LinalgOp>(piece))
          continue;
        rewriter.setInsertionPoint(piece);
        FailureOr<linalg::VectorizationResult> vectorized =
            linalg::vectorize(rewriter, piece);
        if (succeeded(vectorized))
          rewriter.replaceOp(piece, vectorized->replacements);
      }
    }

    // Fold the slices of the vectorized pieces into their transfers, and
    // keep the accumulator in registers across the chunk loop.
    if (failed(applyPatternsGreedily(func, folding)))
      return signalPassFailure();
    func.walk([&](scf::ForOp loop) {
      hoistLoopInvariantSubsets(rewriter,
                                cast<LoopLikeOpInterface>(loop.getOperation()));
    });

    // In fast mode a vector max may return either zero for max(-0, +0)
    // (`nsz`): it lowers to plain vmaxps plus a NaN check instead of the
    // IEEE maximum sequence. NaN still propagates.
    if (reassoc)
      func.walk([&](Operation *op) {
        auto fm = dyn_cast<arith::ArithFastMathInterface>(op);
        if (!fm || !isa<VectorType>(op->getResult(0).getType()) ||
            !isa<arith::MaximumFOp, arith::MinimumFOp>(op))
          return;
        op->setAttr(fm.getFastMathAttrName(),
                    arith::FastMathFlagsAttr::get(
                        ctx, fm.getFastMathFlagsAttr().getValue() |
                                 arith::FastMathFlags::nsz));
      });

    // One vector.reduction per row; canonicalization drops the chunk loop's
    // tensor accumulator, which the hoisting left unused.
    if (failed(applyPatternsGreedily(func, lowering)))
      return signalPassFailure();
  }

  FrozenRewritePatternSet folding, lowering;
  // 16 x 16 f32: a register per row, the square that --convert-vector-to-llvm
  // transposes in 64 two-source shuffles (shuffle_16x16).
  static constexpr int64_t kTransposeTile = 16;
};

} // namespace
