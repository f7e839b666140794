//===- AttentionToLinalg.cpp - lower attn.attention -----------------------===//
//
// attn.attention in two lowerings, on operands brought to rank 4
// ([B, H, M, D]); grouped-query heads are read through `h floordiv G`.
//
// Decomposed: S = (q kᵀ) * scale + mask as linalg generics, attn.softmax on
// S (lowered by its own pattern), then O = P v. Holds all [M, N] scores.
//
// Flash, built on the interfaces of attn.online_attention: the whole
// attention is one online step from the empty state on operands padded to
// whole blocks; its TilingInterface gives each query block of one head (the
// causal diagonal moved to the block's first row), a loop over key blocks
// folds each block in turn into the block's running state (the row tile
// tiled again along its keys), and each step is decomposed through its
// AggregatedOpInterface into the flash block:
//   S    = k (q * scale log2(e))ᵀ + maskᵀ log2(e), causal -inf  [bkv, bq]
//   m'   = max(m, colmax(S))                     (m in base 2 for the step)
//   a    = m == -inf ? 0 : exp2(m - m')     (rescale; never -inf - -inf)
//   P    = exp2(S - (m' == -inf ? 0 : m'))                      [bkv, bq]
//   l'   = l * a + colsum(P)                  (in the same pass as P)
//   acc' = acc * a + Pᵀ v
// and the block's output is acc / l, normalized once (see the op's
// decomposition for why the scores are key-major and in base 2). The steps'
// qᵀ depends on the query block alone and is hoisted out of the key loops.
// No tensor larger than a block of scores exists. With `causal`, the key
// loop of a query block stops at the last key any of its rows sees: blocks
// wholly above the diagonal are never visited, those wholly below it are
// steps without the causal mask, and a square block that the diagonal
// crosses corner to corner is done as two steps (its first keys for every
// row, its last keys for the last rows), skipping the quarter that no row
// sees. Padding keys are hidden by the default diagonal or by -inf in the
// mask (a mask of the keys is made when there is none). Fewer queries or
// keys than a block (a decode step) make a block of the next multiple of 16.
//===----------------------------------------------------------------------===//

#include "AttnDialect/Conversion/Passes.h"
#include "AttnDialect/Dialect/Attn/AttnOps.h"
#include "AttnDialect/Dialect/Attn/AttnUtils.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "llvm/ADT/TypeSwitch.h"

#include <numeric>

using namespace mlir;
using namespace mlir::attn;

namespace {

using utils::IteratorType;
constexpr IteratorType kPar = IteratorType::parallel;

/// A mask of `paddedKeys` keys that hides the padding keys [keys,
/// paddedKeys) with -inf (false for a boolean mask): `mask` broadcast along the keys ([.., 1]) with them,
/// or a single row of 0 and -inf when there is no mask.
Value keyPaddingMask(OpBuilder &b, Location loc, Value mask, Value keys,
                     OpFoldResult paddedKeys, Type elementType) {
  MLIRContext *ctx = b.getContext();
  // Hidden and kept: -inf and 0, or false and true for a boolean mask.
  Value negInf, zero;
  if (elementType.isInteger(1)) {
    negInf = arith::ConstantIntOp::create(b, loc, 0, 1);
    zero = arith::ConstantIntOp::create(b, loc, 1, 1);
  } else {
    negInf = negInfinity(b, loc, elementType);
    zero = floatConstant(b, loc, elementType, 0.0);
  }
  SmallVector<OpFoldResult> sizes(3, b.getIndexAttr(1));
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  if (mask) {
    sizes.assign(tensor::getMixedSizes(b, loc, mask));
    sizes.pop_back();
    inputs.push_back(mask);
    maps.push_back(dimsMap(ctx, 4, {0, 1, 2, -1}));
  }
  sizes.push_back(paddedKeys);
  // mask'[.., j] = j < keys ? mask[.., 0] : -inf
  return buildGeneric(
      b, loc, inputs, maps, tensor::EmptyOp::create(b, loc, sizes, elementType),
      AffineMap::getMultiDimIdentityMap(4, ctx),
      SmallVector<IteratorType>(4, kPar),
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value j = linalg::IndexOp::create(nb, l, 3);
        Value past =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::uge, j, keys);
        return arith::SelectOp::create(nb, l, past, negInf,
                                       mask ? args[0] : zero);
      });
}

/// Whether the ops in `op`'s regions, and `op` itself unless
/// `bodyOnly`, use only values defined outside `loop` or inside `op`.
bool isLoopInvariant(scf::ForOp loop, Operation *op, bool bodyOnly = false) {
  return !op->walk([&](Operation *nested) {
              if (bodyOnly && nested == op)
                return WalkResult::advance();
              for (Value v : nested->getOperands())
                if (!loop.isDefinedOutsideOfLoop(v) &&
                    !op->isAncestor(v.getParentRegion()->getParentOp()))
                  return WalkResult::interrupt();
              return WalkResult::advance();
            }).wasInterrupted();
}

/// Moves the computations of `loop`'s body that use nothing the loop
/// defines before it: the steps' qᵀ (which depends on the query block
/// alone), its slices and constants. Fills and the empty tensors of
/// destinations written in the loop stay: hoisted, a destination would be
/// copied each iteration instead of filled.
void hoistLoopInvariants(RewriterBase &rewriter, scf::ForOp loop,
                         Block *block = nullptr) {
  if (!block)
    block = loop.getBody();
  for (Operation &op : llvm::make_early_inc_range(block->without_terminator())) {
    // The steps under a block mask's scf.if: their invariants too.
    if (auto branch = dyn_cast<scf::IfOp>(op)) {
      for (Region *region : {&branch.getThenRegion(), &branch.getElseRegion()})
        if (!region->empty())
          hoistLoopInvariants(rewriter, loop, &region->front());
      continue;
    }
    auto generic = dyn_cast<linalg::GenericOp>(op);
    if (isa<tensor::EmptyOp, linalg::FillOp>(op) ||
        (generic && linalg::isaFillOpInterface(generic)))
      continue;
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
      // On invariant inputs, into tensor.empty ops of its own.
      SmallVector<Operation *> empties;
      bool hoistable = linalgOp.hasPureTensorSemantics() &&
                       isLoopInvariant(loop, &op, /*bodyOnly=*/true);
      for (OpOperand *input : linalgOp.getDpsInputOperands())
        hoistable &= loop.isDefinedOutsideOfLoop(input->get());
      for (OpOperand &init : linalgOp.getDpsInitsMutable()) {
        auto empty = init.get().getDefiningOp<tensor::EmptyOp>();
        if (empty && empty->getBlock() == block &&
            empty->hasOneUse() && isLoopInvariant(loop, empty))
          empties.push_back(empty);
        else if (!loop.isDefinedOutsideOfLoop(init.get()))
          hoistable = false;
      }
      if (!hoistable)
        continue;
      for (Operation *empty : empties)
        rewriter.moveOpBefore(empty, loop);
      rewriter.moveOpBefore(&op, loop);
      continue;
    }
    if (op.getNumRegions() == 0 && isPure(&op) && isLoopInvariant(loop, &op))
      rewriter.moveOpBefore(&op, loop);
  }
}

/// Keys [kb, kb + numKeys) folded into the rows [firstRow, firstRow +
/// numRows) of a query block's state: `rows` (the block's online attention
/// over all its keys) from `state`, tiled to those keys and rows through its
/// TilingInterface and decomposed through its AggregatedOpInterface. Without
/// `hidesKeys`, every row sees every key: the step has no causal mask.
SmallVector<Value> foldKeyBlock(RewriterBase &rewriter, Location loc,
                                OnlineAttentionOp rows, Value kb,
                                int64_t numKeys, int64_t firstRow,
                                int64_t numRows, ValueRange state,
                                bool hidesKeys, bool keepsAll = false) {
  IRMapping fromState;
  fromState.map(rows.getDpsInits(), state);
  auto whole = cast<OnlineAttentionOp>(rewriter.clone(*rows, fromState));
  // A block the block mask keeps whole: mask_mod is not evaluated.
  if (keepsAll && !whole.getMaskMod().empty()) {
    // (Erased through the rewriter, which has seen the clone's ops.)
    rewriter.eraseBlock(&whole.getMaskMod().front());
    if (!whole.getRng() && whole.getScoreMod().empty())
      rewriter.modifyOpInPlace(whole,
                               [&] { whole.getOriginMutable().clear(); });
  }
  // Keys every row sees: no positional mask (ALiBi still reads the
  // diagonal).
  if (!hidesKeys)
    rewriter.modifyOpInPlace(whole, [&] {
      whole.setCausal(false);
      whole.removeWindowAttr();
      if (!whole.getAlibiSlopes())
        whole.getDiagonalMutable().clear();
    });
  OpFoldResult zero = rewriter.getIndexAttr(0), one = rewriter.getIndexAttr(1);
  auto tiling = cast<TilingInterface>(whole.getOperation());
  // Loops [B, H, M, N, D, Dv]: one head, the rows and keys of the step, all
  // the features.
  SmallVector<Range> domain = tiling.getIterationDomain(rewriter);
  SmallVector<OpFoldResult> offsets{zero, zero, rewriter.getIndexAttr(firstRow),
                                    kb,   zero, zero};
  SmallVector<OpFoldResult> sizes{one,
                                  one,
                                  rewriter.getIndexAttr(numRows),
                                  rewriter.getIndexAttr(numKeys),
                                  domain[4].size,
                                  domain[5].size};
  FailureOr<TilingResult> tile =
      tiling.getTiledImplementation(rewriter, offsets, sizes);
  assert(succeeded(tile) && "a step of keys and rows of one head tiles");
  rewriter.eraseOp(whole);
  Operation *step = tile->tiledOps.front();
  FailureOr<SmallVector<Value>> folded =
      cast<linalg::AggregatedOpInterface>(step).decomposeOperation(rewriter);
  assert(succeeded(folded) && "a single-head step decomposes");
  rewriter.eraseOp(step);
  int64_t blockRows =
      cast<RankedTensorType>(state.front().getType()).getDimSize(2);
  if (numRows == blockRows)
    return *folded;
  // The rows' share written back into the block's state.
  SmallVector<Value> updated;
  for (auto [part, blockState] : llvm::zip_equal(*folded, state)) {
    int64_t rank = cast<RankedTensorType>(blockState.getType()).getRank();
    SmallVector<OpFoldResult> partOffsets(rank, zero),
        partSizes = tensor::getMixedSizes(rewriter, loc, part);
    partOffsets[2] = rewriter.getIndexAttr(firstRow);
    updated.push_back(tensor::InsertSliceOp::create(
        rewriter, loc, part, blockState, partOffsets, partSizes,
        SmallVector<OpFoldResult>(rank, one)));
  }
  return updated;
}

/// foldKeyBlock under a block mask: a block of kind 0 leaves the state as
/// it is (never computed), one of kind 2 is folded without mask_mod.
SmallVector<Value> foldMaskedBlock(RewriterBase &b, Location loc,
                                   const attn::AttentionOperands &a,
                                   OnlineAttentionOp rows, Value kb,
                                   int64_t numKeys, int64_t numRows,
                                   ValueRange state, bool hidesKeys,
                                   Value batch, Value h, Value qb) {
  OpBuilder::InsertionGuard guard(b);
  Value kind = attn::blockMaskKind(b, loc, a, batch, h, qb, kb);
  auto is = [&](int64_t value) -> Value {
    return arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::eq, kind,
        arith::ConstantIntOp::create(b, loc, value, 8));
  };
  Value empty = is(0), full = is(2);
  auto skip = scf::IfOp::create(b, loc, state.getTypes(), empty,
                                /*withElseRegion=*/true);
  b.setInsertionPointToStart(skip.thenBlock());
  scf::YieldOp::create(b, loc, state);
  b.setInsertionPointToStart(skip.elseBlock());
  SmallVector<Value> folded;
  if (!a.maskMod) {
    folded = foldKeyBlock(b, loc, rows, kb, numKeys, 0, numRows, state,
                          hidesKeys);
  } else {
    auto whole = scf::IfOp::create(b, loc, state.getTypes(), full,
                                   /*withElseRegion=*/true);
    for (bool keepsAll : {true, false}) {
      b.setInsertionPointToStart(keepsAll ? whole.thenBlock()
                                          : whole.elseBlock());
      scf::YieldOp::create(b, loc,
                           foldKeyBlock(b, loc, rows, kb, numKeys, 0, numRows,
                                        state, hidesKeys, keepsAll));
    }
    b.setInsertionPointAfter(whole);
    folded.assign(whole.getResults().begin(), whole.getResults().end());
  }
  scf::YieldOp::create(b, loc, folded);
  return SmallVector<Value>(skip.getResults().begin(), skip.getResults().end());
}

/// The key blocks a query block [qb, qb + blockQ) visits, in three
/// ranges: [begin, fullBegin) and [fullEnd, end) are crossed by the edges
/// of what its rows see (causal diagonal, window), [fullBegin, fullEnd) are
/// seen whole by every row (no positional mask). Keys before `begin` (left
/// of every row's window) and from `end` on (right of every row's reach)
/// are never read. `begin`, `fullBegin` and `fullEnd` are whole blocks from
/// the first key, or `end`.
struct KeyBlocks {
  Value begin, fullBegin, fullEnd, end;
};
KeyBlocks visibleKeyBlocks(OpBuilder &b, Location loc,
                           const attn::AttentionOperands &a, Value qb,
                           int64_t blockQ, int64_t blockKV, Value rows,
                           Value keys) {
  MLIRContext *ctx = b.getContext();
  AffineExpr s0 = getAffineSymbolExpr(0, ctx), s1 = getAffineSymbolExpr(1, ctx),
             s2 = getAffineSymbolExpr(2, ctx);
  AffineExpr zero = getAffineConstantExpr(0, ctx);
  auto map = [&](ArrayRef<AffineExpr> exprs) {
    return AffineMap::get(0, 3, exprs, ctx);
  };
  auto value = [&](OpFoldResult v) {
    return getValueOrCreateConstantIndexOp(b, loc, v);
  };
  Value d = a.diagonal ? a.diagonal : arith::ConstantIndexOp::create(b, loc, 0);
  std::optional<int64_t> left = a.windowLeft, right = a.rightReach();
  // The block's last real row.
  OpFoldResult last = affine::makeComposedFoldedAffineMin(
      b, loc, map({s0 + blockQ - 1, s1 - 1}), {qb, rows, d});
  // end = clamp(last + d + right + 1, 0, N)
  OpFoldResult end = keys;
  if (right)
    end = affine::makeComposedFoldedAffineMin(
        b, loc, map({s2, s0}),
        {affine::makeComposedFoldedAffineMax(
             b, loc, map({s0 + s1 + *right + 1, zero}), {last, d, keys}),
         keys, keys});
  auto clampTo = [&](OpFoldResult x, OpFoldResult low) {
    // min(max(x, low), end)
    return affine::makeComposedFoldedAffineMin(
        b, loc, map({s0, s1}),
        {affine::makeComposedFoldedAffineMax(b, loc, map({s0, s1}),
                                             {x, low, keys}),
         end, keys});
  };
  OpFoldResult begin = b.getIndexAttr(0), fullBegin = b.getIndexAttr(0);
  if (left) {
    // The first row's first key, and the last row's, in whole blocks.
    begin = clampTo(affine::makeComposedFoldedAffineApply(
                        b, loc, (s0 + s1 - *left).floorDiv(blockKV) * blockKV,
                        {qb, d}),
                    b.getIndexAttr(0));
    fullBegin = clampTo(
        affine::makeComposedFoldedAffineApply(
            b, loc, (s0 + s1 - *left).ceilDiv(blockKV) * blockKV, {last, d}),
        begin);
  }
  // The first row sees keys up to qb + d + right: whole blocks of those.
  OpFoldResult fullEnd = end;
  if (right)
    fullEnd = clampTo(affine::makeComposedFoldedAffineApply(
                          b, loc,
                          (s0 + s1 + *right + 1).floorDiv(blockKV) * blockKV,
                          {qb, d}),
                      fullBegin);
  return {value(begin), value(fullBegin), value(fullEnd), value(end)};
}

/// The flash-attention loops; see the file comment. One head's block at a
/// time, so that a block's scores stay in L1 and every block has the static
/// shape [blockQ, blockKV]: queries, keys, values and mask are padded to
/// whole blocks (padding keys get -inf scores; padding rows are dropped from
/// the result). Nothing is copied whole when the sizes are whole blocks.
SmallVector<Value> lowerFlash(RewriterBase &b, Location loc,
                              attn::AttentionOp op,
                              const attn::AttentionOperands &a,
                              FloatAttr scale, DenseI64ArrayAttr window,
                              FloatAttr softcap, int64_t blockQ,
                              int64_t blockKV, bool parallel, bool withLse,
                              FloatAttr dropoutP, Value rng) {
  // A few queries or keys (a decode step against a KV cache) make a block
  // of the next multiple of 16 rows at most, not a whole block of padding:
  // one query against 4096 keys streams the keys and values with 16 rows
  // of work per key instead of 64.
  if (std::optional<int64_t> m = getConstantIntValue(a.qSizes[2]); m && *m > 0)
    blockQ = std::min<int64_t>(blockQ, llvm::alignTo(*m, 16));
  if (std::optional<int64_t> n = getConstantIntValue(a.kSizes[2]); n && *n > 0)
    blockKV = std::min<int64_t>(blockKV, llvm::alignTo(*n, 16));
  MLIRContext *ctx = b.getContext();
  Type elementType = a.elementType;
  Value rows = getValueOrCreateConstantIndexOp(b, loc, a.qSizes[2]);
  Value keys = getValueOrCreateConstantIndexOp(b, loc, a.kSizes[2]);
  Value zeroIndex = arith::ConstantIndexOp::create(b, loc, 0);
  Value oneIndex = arith::ConstantIndexOp::create(b, loc, 1);
  Value twoIndex = arith::ConstantIndexOp::create(b, loc, 2);
  Value zero = floatConstant(b, loc, elementType, 0.0);
  Value negInf = negInfinity(b, loc, elementType);
  AffineMap id1 = b.getMultiDimIdentityMap(1);
  AffineMap id2 = b.getMultiDimIdentityMap(2);
  AffineMap row2 = dimsMap(ctx, 2, {0});
  OpFoldResult one = b.getIndexAttr(1), zeroAttr = b.getIndexAttr(0);
  OpFoldResult bq = b.getIndexAttr(blockQ);

  std::optional<int64_t> staticRows = getConstantIntValue(a.qSizes[2]),
                         staticKeys = getConstantIntValue(a.kSizes[2]);
  std::optional<int64_t> staticDiagonal = getConstantIntValue(a.diagonal);
  // Flash blocks inside the block mask's blocks.
  if (a.blockMask) {
    blockQ = std::gcd(blockQ, a.blockMaskRows);
    blockKV = std::gcd(blockKV, a.blockMaskKeys);
  }
  bool splitDiagonal = !a.blockMask && a.causal && !a.windowLeft &&
                       a.rightReach() == 0 &&
                       blockQ == blockKV && blockKV % 2 == 0 && staticRows &&
                       staticKeys && staticDiagonal &&
                       *staticDiagonal % blockKV == 0;

  // Whole blocks of rows and keys, padded with zeros.
  OpFoldResult paddedRows = roundUp(b, loc, a.qSizes[2], blockQ);
  OpFoldResult paddedKeys = roundUp(b, loc, a.kSizes[2], blockKV);
  bool rowsPadded = !isEqualConstantIntOrValue(paddedRows, a.qSizes[2]);
  bool keysPadded = !isEqualConstantIntOrValue(paddedKeys, a.kSizes[2]);
  SmallVector<OpFoldResult> qSizes(a.qSizes), kSizes(a.kSizes),
      vSizes(a.vSizes);
  qSizes[2] = paddedRows;
  kSizes[2] = vSizes[2] = paddedKeys;
  // (bf16 q, k, v of an f32 computation are padded with bf16 zeros.)
  SmallVector<Value> zeros(
      4, floatConstant(b, loc, getElementTypeOrSelf(a.q.getType()), 0.0));
  Value q = padTo(b, loc, a.q, qSizes, zeros);
  Value k = padTo(b, loc, a.k, kSizes, zeros);
  Value v = padTo(b, loc, a.v, vSizes, zeros);
  // The default diagonal (N - M) hides every padding key j >= N from the
  // rows i < M; with another, or none, a mask hides them (-inf). The mask is
  // read by blocks as it is laid out, each transposed to key-major in 16 x 16
  // register squares (--attn-vectorize-reductions): no copy of it.
  std::optional<int64_t> rightReach = a.rightReach();
  bool hidePaddingKeys = keysPadded && !(a.defaultDiagonal && rightReach &&
                                         *rightReach <= 0);
  Value mask = a.mask;
  bool maskHasKeys =
      mask && cast<RankedTensorType>(mask.getType()).getDimSize(3) != 1;
  if (mask) {
    auto maskType = cast<RankedTensorType>(mask.getType());
    SmallVector<OpFoldResult> maskSizes = tensor::getMixedSizes(b, loc, mask);
    if (maskType.getDimSize(2) != 1)
      maskSizes[2] = paddedRows;
    if (maskHasKeys)
      maskSizes[3] = paddedKeys;
    // A boolean mask keeps (true) padding rows and hides padding keys.
    Value keep = zero, hide = negInf;
    if (maskType.getElementType().isInteger(1)) {
      keep = arith::ConstantIntOp::create(b, loc, 1, 1);
      hide = arith::ConstantIntOp::create(b, loc, 0, 1);
    }
    mask = padTo(b, loc, mask, maskSizes,
                 {keep, keep, keep, hidePaddingKeys ? hide : keep});
  }
  if (hidePaddingKeys && !maskHasKeys)
    mask = keyPaddingMask(b, loc, mask, keys, paddedKeys,
                          mask ? getElementTypeOrSelf(mask.getType())
                               : elementType);

  // The whole attention as one online step from an empty state, on whole
  // blocks and with the real diagonal: query blocks are its tiles.
  SmallVector<OpFoldResult> accSizes(qSizes), rowStateSizes(qSizes);
  accSizes[3] = a.vSizes[3];
  rowStateSizes.pop_back();
  // Dropout and the regions see the whole attention's indices: the step
  // starts at its origin, and its tiles move it.
  SmallVector<Value> origin;
  if (rng || a.hasRegions())
    origin.assign(4, zeroIndex);
  auto online = OnlineAttentionOp::create(
      b, loc, q, k, v, mask, a.slopes, scale, a.causal, window, softcap,
      a.positional() ? a.diagonal : Value(), dropoutP, rng, origin,
      tensor::EmptyOp::create(b, loc, accSizes, elementType),
      tensor::EmptyOp::create(b, loc, rowStateSizes, elementType),
      tensor::EmptyOp::create(b, loc, rowStateSizes, elementType));
  copyModRegions(op, online);
  if (a.hasRegions() && (rowsPadded || keysPadded))
    clampModIndices(b, online, arith::SubIOp::create(b, loc, rows, oneIndex),
                    arith::SubIOp::create(b, loc, keys, oneIndex));

  auto onlineTiling = cast<TilingInterface>(online.getOperation());
  SmallVector<Range> domain = onlineTiling.getIterationDomain(b);

  SmallVector<OpFoldResult> outSizes(a.qSizes);
  outSizes[3] = a.vSizes[3];
  Value out = tensor::EmptyOp::create(b, loc, outSizes, elementType);
  SmallVector<Value> outs{out};
  if (withLse)
    outs.push_back(tensor::EmptyOp::create(
        b, loc, ArrayRef(a.qSizes).drop_back(), elementType));
  Value stepQ = arith::ConstantIndexOp::create(b, loc, blockQ);
  Value stepKV = arith::ConstantIndexOp::create(b, loc, blockKV);
  Value numBlocks = arith::CeilDivSIOp::create(b, loc, rows, stepQ);
  int64_t heads = cast<RankedTensorType>(a.q.getType()).getDimSize(1);
  Value headsValue = arith::ConstantIndexOp::create(b, loc, heads);
  Value headBlocks = arith::MulIOp::create(
      b, loc, getValueOrCreateConstantIndexOp(b, loc, a.qSizes[0]),
      arith::MulIOp::create(b, loc, headsValue, numBlocks));

  // Query block number `t` of all heads' blocks: its output rows (and their
  // lse), with their offsets and sizes in `out` (the lse's are those
  // without the last).
  auto queryBlock = [&](Value t, SmallVectorImpl<OpFoldResult> &offsets,
                        SmallVectorImpl<OpFoldResult> &sizes)
      -> SmallVector<Value> {
    // Head by head; within a head, block r/2 from the start for even r and
    // from the end for odd r, so that contiguous shares of iterations get
    // equal causal work (late blocks see more keys). In arith, not affine:
    // the number of blocks is a symbol when the rows are dynamic, and
    // affine maps divide by constants only.
    Value head = arith::DivUIOp::create(b, loc, t, numBlocks);
    Value r = arith::RemUIOp::create(b, loc, t, numBlocks);
    Value half = arith::DivUIOp::create(b, loc, r, twoIndex);
    Value odd = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ne,
        arith::RemUIOp::create(b, loc, r, twoIndex), zeroIndex);
    Value fromEnd = arith::SubIOp::create(
        b, loc, arith::SubIOp::create(b, loc, numBlocks, oneIndex), half);
    Value block = arith::SelectOp::create(b, loc, odd, fromEnd, half);
    Value qb = arith::MulIOp::create(b, loc, block, stepQ);
    Value batch = arith::DivUIOp::create(b, loc, head, headsValue);
    Value h = arith::RemUIOp::create(b, loc, head, headsValue);

    // The block's rows of one head against all its keys (the tile moves the
    // causal diagonal to the block's first row), from the empty state.
    FailureOr<TilingResult> rowTile = onlineTiling.getTiledImplementation(
        b, {batch, h, qb, zeroAttr, zeroAttr, zeroAttr},
        {one, one, bq, domain[3].size, domain[4].size, domain[5].size});
    assert(succeeded(rowTile) && "one head's block of rows tiles");
    auto rowsOp = cast<OnlineAttentionOp>(rowTile->tiledOps.front());
    SmallVector<OpFoldResult> blockAcc{one, one, bq, a.vSizes[3]},
        blockRows{one, one, bq};
    SmallVector<Value> state{filled(b, loc, blockAcc, zero),
                             filled(b, loc, blockRows, negInf),
                             filled(b, loc, blockRows, zero)};

    // Loops over the key blocks the window's left edge crosses, those every
    // row sees, and those its right edge (the causal diagonal) crosses.
    // When the diagonal runs through the corners of square blocks (causal,
    // d a multiple of the block), the last loop has one block, whose last
    // keys half of the rows do not see: it is two steps that skip that
    // quarter.
    SmallVector<std::tuple<Value, Value, bool>> ranges;
    if (a.hidesByPosition()) {
      KeyBlocks seen =
          visibleKeyBlocks(b, loc, a, qb, blockQ, blockKV, rows, keys);
      if (a.windowLeft)
        ranges.push_back({seen.begin, seen.fullBegin, true});
      ranges.push_back({seen.fullBegin, seen.fullEnd, false});
      ranges.push_back({seen.fullEnd, seen.end, true});
    } else {
      ranges.push_back({zeroIndex, keys, false});
    }
    for (auto [begin, end, hidesKeys] : ranges) {
      auto loop = scf::ForOp::create(b, loc, begin, end, stepKV, state);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(loop.getBody());
        Value kb = loop.getInductionVar();
        ValueRange carried = loop.getRegionIterArgs();
        SmallVector<Value> folded;
        if (a.blockMask) {
          folded = foldMaskedBlock(b, loc, a, rowsOp, kb, blockKV, blockQ,
                                   carried, hidesKeys, batch, h, qb);
        } else if (!hidesKeys || !splitDiagonal) {
          folded = foldKeyBlock(b, loc, rowsOp, kb, blockKV, 0, blockQ, carried,
                                hidesKeys);
        } else {
          // The one block on the diagonal, in halves: its first keys for
          // every row, its last keys for the rows of the second half only
          // (the first half sees none of them).
          int64_t halfKeys = blockKV / 2;
          SmallVector<Value> first = foldKeyBlock(b, loc, rowsOp, kb, halfKeys,
                                                  0, blockQ, carried, true);
          Value kbHalf = arith::AddIOp::create(
              b, loc, kb, arith::ConstantIndexOp::create(b, loc, halfKeys));
          folded = foldKeyBlock(b, loc, rowsOp, kbHalf, halfKeys, halfKeys,
                                halfKeys, first, true);
        }
        scf::YieldOp::create(b, loc, folded);
      }
      hoistLoopInvariants(b, loop);
      state.assign(loop.getResults().begin(), loop.getResults().end());
    }
    b.eraseOp(rowsOp);
    for (Operation *slice : rowTile->generatedSlices)
      if (slice->use_empty())
        b.eraseOp(slice);

    // out = acc * (1 / l): one division per row. A row that saw no key has
    // l == 0 (and acc == 0): NaN, or 0 with zeroRows.
    Value acc = dropLeadingUnitDims(b, loc, state[0], 2);
    Value sum = dropLeadingUnitDims(b, loc, state[2], 2);
    Value inverse = buildGeneric(
        b, loc, {sum}, {id1},
        tensor::EmptyOp::create(b, loc, ArrayRef<OpFoldResult>{bq},
                                elementType),
        id1, {kPar}, [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          Value one = floatConstant(nb, l, elementType, 1.0);
          Value reciprocal = arith::DivFOp::create(nb, l, one, args[0]);
          if (!a.zeroRows)
            return reciprocal;
          Value empty = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ,
                                              args[0], zero);
          return arith::SelectOp::create(nb, l, empty, zero, reciprocal);
        });
    Value normalized = buildGeneric(
        b, loc, {acc, inverse}, {id2, row2},
        tensor::EmptyOp::create(b, loc, ArrayRef<OpFoldResult>{bq, a.vSizes[3]},
                                elementType),
        id2, {kPar, kPar},
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          return arith::MulFOp::create(nb, l, args[0], args[1]);
        });
    SmallVector<Value> blockResults{normalized};
    if (withLse) {
      // lse = m + log(l); +inf for a row that saw no key (l == 0).
      Value max = dropLeadingUnitDims(b, loc, state[1], 2);
      blockResults.push_back(buildGeneric(
          b, loc, {max, sum}, {id1, id1},
          tensor::EmptyOp::create(b, loc, ArrayRef<OpFoldResult>{bq},
                                  elementType),
          id1, {kPar}, [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
            Value lse = arith::AddFOp::create(
                nb, l, args[0], math::LogOp::create(nb, l, args[1]));
            Value empty = arith::CmpFOp::create(
                nb, l, arith::CmpFPredicate::OEQ, args[1], zero);
            return arith::SelectOp::create(
                nb, l, empty,
                floatConstant(nb, l, elementType,
                              std::numeric_limits<double>::infinity()),
                lse);
          }));
    }
    // Padding rows are not stored.
    OpFoldResult validRows = bq;
    if (rowsPadded) {
      validRows = arith::MinSIOp::create(
                      b, loc, stepQ, arith::SubIOp::create(b, loc, rows, qb))
                      .getResult();
      blockResults[0] = tensor::ExtractSliceOp::create(
          b, loc, normalized, {zeroAttr, zeroAttr}, {validRows, a.vSizes[3]},
          {one, one});
      if (withLse)
        blockResults[1] = tensor::ExtractSliceOp::create(
            b, loc, blockResults[1], {zeroAttr}, {validRows}, {one});
    }
    offsets.assign({batch, h, qb, zeroAttr});
    sizes.assign({one, one, validRows, a.vSizes[3]});
    return blockResults;
  };

  SmallVector<Value> results;
  {
    OpBuilder::InsertionGuard guard(b);
    SmallVector<OpFoldResult> offsets, sizes;
    // Where block result r goes: the output's slice, or the lse's (the same
    // without the features).
    auto sliceOf = [&](unsigned r, ArrayRef<OpFoldResult> all) {
      return r == 0 ? SmallVector<OpFoldResult>(all)
                    : SmallVector<OpFoldResult>(all.drop_back());
    };
    if (parallel) {
      // Query blocks are independent: an scf.forall, threads in the
      // pipeline.
      auto forall = scf::ForallOp::create(
          b, loc, ArrayRef<OpFoldResult>{zeroAttr},
          ArrayRef<OpFoldResult>{headBlocks}, ArrayRef<OpFoldResult>{one},
          outs, std::nullopt);
      b.setInsertionPointToStart(forall.getBody());
      SmallVector<Value> blockOut =
          queryBlock(forall.getInductionVars()[0], offsets, sizes);
      b.setInsertionPointToStart(forall.getTerminator().getBody());
      for (auto [r, part] : llvm::enumerate(blockOut)) {
        SmallVector<OpFoldResult> partOffsets = sliceOf(r, offsets),
                                  partSizes = sliceOf(r, sizes);
        tensor::ParallelInsertSliceOp::create(
            b, loc, part, forall.getRegionIterArgs()[r], partOffsets, partSizes,
            SmallVector<OpFoldResult>(partOffsets.size(), one));
      }
      results.assign(forall.getResults().begin(), forall.getResults().end());
    } else {
      auto queryLoop =
          scf::ForOp::create(b, loc, zeroIndex, headBlocks, oneIndex, outs);
      b.setInsertionPointToStart(queryLoop.getBody());
      SmallVector<Value> blockOut =
          queryBlock(queryLoop.getInductionVar(), offsets, sizes);
      SmallVector<Value> updated;
      for (auto [r, part] : llvm::enumerate(blockOut)) {
        SmallVector<OpFoldResult> partOffsets = sliceOf(r, offsets),
                                  partSizes = sliceOf(r, sizes);
        updated.push_back(tensor::InsertSliceOp::create(
            b, loc, part, queryLoop.getRegionIterArgs()[r], partOffsets,
            partSizes, SmallVector<OpFoldResult>(partOffsets.size(), one)));
      }
      scf::YieldOp::create(b, loc, updated);
      results.assign(queryLoop.getResults().begin(),
                     queryLoop.getResults().end());
    }
  }
  // The whole-attention step only gave the query blocks' tiles.
  SmallVector<Operation *> placeholders;
  for (Value init : online.getDpsInits())
    placeholders.push_back(init.getDefiningOp());
  b.eraseOp(online);
  for (Operation *placeholder : placeholders)
    if (placeholder->use_empty())
      b.eraseOp(placeholder);
  return results;
}

/// The query heads per key/value head packed into the rows of one head
/// (see packGroups), or 1. Only scores that do not depend on their query
/// head or row can be packed: no position, region, ALiBi, dropout, block
/// mask, nor a mask with heads or rows. (Packed, a decode step's few rows
/// of all the group's heads are one block against their key/value head,
/// read once instead of once per query head; longer rows are blocks of the
/// same work either way.)
int64_t packableGroups(const attn::AttentionOperands &a) {
  if (a.groups <= 1 || a.positional() || a.hasRegions() || a.slopes ||
      a.dropout || a.blockMask)
    return 1;
  if (a.mask) {
    auto type = cast<RankedTensorType>(a.mask.getType());
    if (type.getDimSize(1) != 1 || type.getDimSize(2) != 1)
      return 1;
  }
  return a.groups;
}

/// q [B, Hq, M, D] -> [B, Hkv, G M, D] (the rows of query head h G + g
/// are rows g M + i of key/value head h), and the operands those of a
/// multi-head attention: a reshape, no copy.
void packGroups(OpBuilder &b, Location loc, attn::AttentionOperands &a) {
  auto type = cast<RankedTensorType>(a.q.getType());
  int64_t g = a.groups, kvHeads = type.getDimSize(1) / g,
          rows = type.getDimSize(2);
  auto packedType = RankedTensorType::get(
      {type.getDimSize(0), kvHeads,
       ShapedType::isDynamic(rows) ? ShapedType::kDynamic : g * rows,
       type.getDimSize(3)},
      type.getElementType());
  a.q = tensor::CollapseShapeOp::create(
      b, loc, packedType,
      tensor::ExpandShapeOp::create(
          b, loc,
          RankedTensorType::get({type.getDimSize(0), kvHeads, g, rows,
                                 type.getDimSize(3)},
                                type.getElementType()),
          a.q, SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}},
          SmallVector<OpFoldResult>{a.qSizes[0], b.getIndexAttr(kvHeads),
                                    b.getIndexAttr(g), a.qSizes[2],
                                    a.qSizes[3]}),
      SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}, {4}});
  a.qSizes = tensor::getMixedSizes(b, loc, a.q);
  a.groups = 1;
}

/// A result [B, Hkv, G M, ...] of packed groups back to [B, Hq, M, ...].
Value unpackGroups(OpBuilder &b, Location loc, Value packed,
                   const attn::AttentionOperands &a) {
  auto type = cast<RankedTensorType>(packed.getType());
  auto q = cast<RankedTensorType>(a.q.getType());
  int64_t g = a.groups, kvHeads = q.getDimSize(1) / g, rows = q.getDimSize(2);
  SmallVector<int64_t> split{type.getDimSize(0), kvHeads, g, rows};
  SmallVector<int64_t> merged{type.getDimSize(0), q.getDimSize(1), rows};
  SmallVector<OpFoldResult> sizes{a.qSizes[0], b.getIndexAttr(kvHeads),
                                  b.getIndexAttr(g), a.qSizes[2]};
  SmallVector<ReassociationIndices> expand{{0}, {1}, {2, 3}},
      collapse{{0}, {1, 2}, {3}};
  if (type.getRank() == 4) {
    split.push_back(type.getDimSize(3));
    merged.push_back(type.getDimSize(3));
    sizes.push_back(tensor::getMixedSize(b, loc, packed, 3));
    expand.push_back({4});
    collapse.push_back({4});
  }
  Value expanded = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(split, type.getElementType()), packed,
      expand, sizes);
  return tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get(merged, type.getElementType()), expanded,
      collapse);
}

/// attention(q, k, v [, mask]) -> flash loops or contractions + softmax.
struct AttentionToFlash : OpRewritePattern<attn::AttentionOp> {
  AttentionToFlash(MLIRContext *ctx, attn::AttentionLoweringOptions options)
      : OpRewritePattern(ctx, /*benefit=*/2), options(options) {}

  LogicalResult matchAndRewrite(attn::AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (!attn::lowersToFlash(op, options))
      return rewriter.notifyMatchFailure(op, "lowered by its decomposition");
    Location loc = op.getLoc();
    int64_t rank = op.getQuery().getType().getRank();
    Value empty = attn::emptyAttentionResult(rewriter, op);
    Value emptyLse =
        op.getWithLse() ? attn::emptyAttentionLse(rewriter, op) : Value();
    if (empty && (!op.getWithLse() || emptyLse)) {
      SmallVector<Value> results{empty};
      if (emptyLse)
        results.push_back(emptyLse);
      rewriter.replaceOp(op, results);
      return success();
    }
    FailureOr<attn::AttentionOperands> a = attn::prepareAttention(rewriter, op);
    if (failed(a))
      return failure();
    if (empty) {
      // No value feature (Dv == 0) but rows to have an lse: from the scores.
      rewriter.replaceOp(
          op, {empty, attn::collapseToRank(rewriter, loc,
                                           attn::attentionLse(rewriter, loc, *a),
                                           rank - 1)});
      return success();
    }
    // A decode step of grouped-query heads: the few rows of a group's query
    // heads are one block against their key/value head, which is read once
    // instead of once per query head.
    int64_t packed = packableGroups(*a);
    attn::AttentionOperands operands = *a;
    // bf16 products: q, k and v stay bf16, the rest (the state, the mask,
    // the slopes, the output until its final rounding) is f32.
    Type resultElement = a->elementType;
    if (bf16ProductsApply(op, options)) {
      Type f32 = rewriter.getF32Type();
      operands.elementType = f32;
      for (Value *operand : {&operands.mask, &operands.slopes})
        if (*operand && getElementTypeOrSelf(operand->getType()) ==
                            resultElement)
          *operand = attn::convertElements(rewriter, loc, *operand, f32);
      // (The online step forms its scale in f32 from the attribute.)
      operands.scale = Value();
    }
    if (packed > 1)
      packGroups(rewriter, loc, operands);
    SmallVector<Value> results =
        lowerFlash(rewriter, loc, op, operands, op.getScaleAttr(),
                   op.getWindowAttr(), op.getSoftcapAttr(), options.blockQ,
                   options.blockKV, options.parallelQueryBlocks,
                   op.getWithLse(), op.getDropoutPAttr(), op.getRng());
    if (packed > 1)
      for (Value &result : results)
        result = unpackGroups(rewriter, loc, result, *a);
    if (getElementTypeOrSelf(results[0].getType()) != resultElement)
      results[0] =
          attn::convertElements(rewriter, loc, results[0], resultElement);
    results[0] = attn::collapseToRank(rewriter, loc, results[0], rank);
    if (results.size() > 1)
      results[1] = attn::collapseToRank(rewriter, loc, results[1], rank - 1);
    rewriter.replaceOp(op, results);
    return success();
  }

  attn::AttentionLoweringOptions options;
};

} // namespace

bool attn::bf16ProductsApply(attn::AttentionOp op,
                             const AttentionLoweringOptions &options) {
  return options.bf16Products && lowersToFlash(op, options) &&
         op.getQuery().getType().getElementType().isBF16();
}

bool attn::lowersToFlash(attn::AttentionOp op,
                         const AttentionLoweringOptions &options) {
  // D == 0 leaves the flash blocks' contractions nothing to slice: the
  // decomposed form computes the empty dot products.
  return options.lowering == AttentionLowering::Flash &&
         !emptySizes(op).features;
}

LogicalResult attn::checkAttentionLowerable(Operation *attention) {
  // Heads are grouped through an affine floordiv: their counts must be known.
  RankedTensorType query, key;
  TypeSwitch<Operation *>(attention)
      .Case<attn::AttentionOp, attn::OnlineAttentionOp,
            attn::AttentionBackwardOp>([&](auto op) {
        query = op.getQuery().getType();
        key = op.getKey().getType();
      });
  int64_t rank = query.getRank();
  if (rank < 3)
    return success();
  int64_t hq = query.getDimSize(rank - 3);
  int64_t hkv = key.getDimSize(rank - 3);
  if (ShapedType::isDynamic(hq) || ShapedType::isDynamic(hkv))
    return attention->emitOpError("lowering needs static head counts to "
                                  "group query heads onto key/value heads");
  return success();
}

void attn::populateAttentionToLinalgPatterns(RewritePatternSet &patterns,
                                             AttentionLoweringOptions options) {
  patterns.add<AttentionToFlash>(patterns.getContext(), options);
}
