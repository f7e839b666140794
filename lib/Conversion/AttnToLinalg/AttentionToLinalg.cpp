//===- AttentionToLinalg.cpp - lower attn.attention -----------------------===//
//
// attn.attention in two lowerings, on operands brought to rank 4
// ([B, H, M, D]); grouped-query heads are read through `h floordiv G`.
//
// Decomposed: S = (q kᵀ) * scale + mask as linalg generics, attn.softmax on
// S (lowered by its own pattern), then O = P v. Holds all [M, N] scores.
//
// Flash: for each block of one head's query rows, a loop over key/value
// blocks carries the running max m, sum l and output acc of each query:
//   S    = k (q * scale log2(e))ᵀ + maskᵀ log2(e), causal -inf  [bkv, bq]
//   m'   = max(m, colmax(S))
//   a    = m == -inf ? 0 : exp2(m - m')     (rescale; never -inf - -inf)
//   P    = exp2(S - (m' == -inf ? 0 : m'))                      [bkv, bq]
//   l'   = l * a + colsum(P)                  (in the same pass as P)
//   acc' = acc * a + Pᵀ v
// and the block's output is acc / l, normalized once. The scores are
// key-major, one column per query: a query's max and sum run down its
// column, vector lanes side by side, with no cross-lane reduction, and qᵀ
// (transposed once per query block, in cache) and k are both read by rows.
// Scores in base 2 make each exponential an exp2 of a non-positive number
// (attn.nonpositive), the cheapest to approximate; the running max ignores
// NaN (maxnumf), as a NaN score makes its query's output NaN through P
// anyway. No tensor larger than a block of scores exists. With `causal`,
// the key loop of a query block stops at the last key any of its rows sees:
// blocks wholly above the diagonal are never visited, those wholly below
// it go through a first loop without the causal mask, and a square block
// that the diagonal crosses corner to corner is done in halves, skipping
// the quarter that no row sees. Both contractions have the matmul form
// (i, j, r) that --attn-vectorize-contractions register-blocks (Pᵀ read as
// [r, i]). The mask is read by blocks as it is laid out, queries first
// (maskᵀ: transposed in registers where it is added). Fewer queries or keys
// than a block (a decode step) make a block of the next multiple of 16.
//
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
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

using utils::IteratorType;
constexpr IteratorType kPar = IteratorType::parallel;
constexpr IteratorType kRed = IteratorType::reduction;

/// `size` rounded up to a multiple of `block`.
OpFoldResult roundUp(OpBuilder &b, Location loc, OpFoldResult size,
                     int64_t block) {
  AffineExpr s0 = getAffineSymbolExpr(0, b.getContext());
  return affine::makeComposedFoldedAffineApply(
      b, loc, s0.ceilDiv(block) * block, {size});
}

/// `x` grown to `sizes` with zeros after its elements; `x` if it has them.
Value padWithZeros(OpBuilder &b, Location loc, Value x,
                   ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> current = tensor::getMixedSizes(b, loc, x);
  if (llvm::all_of(llvm::zip(current, sizes), [](auto pair) {
        return isEqualConstantIntOrValue(std::get<0>(pair), std::get<1>(pair));
      }))
    return x;
  Type elementType = cast<RankedTensorType>(x.getType()).getElementType();
  int64_t rank = sizes.size();
  SmallVector<OpFoldResult> zeroOffsets(rank, b.getIndexAttr(0)),
      unitStrides(rank, b.getIndexAttr(1));
  Value padded = tensor::InsertSliceOp::create(
      b, loc, x, tensor::EmptyOp::create(b, loc, sizes, elementType),
      zeroOffsets, current, unitStrides);
  // Only the padding is filled with zeros, not the whole tensor first: for
  // each padded dim d, the elements past x along d and within x along the
  // padded dims before it.
  Value zero = floatConstant(b, loc, elementType, 0.0);
  for (int64_t d = 0; d < rank; ++d) {
    if (isEqualConstantIntOrValue(current[d], sizes[d]))
      continue;
    SmallVector<OpFoldResult> offsets(zeroOffsets), tail(sizes);
    offsets[d] = current[d];
    std::optional<int64_t> size = getConstantIntValue(sizes[d]),
                           start = getConstantIntValue(current[d]);
    tail[d] =
        size && start
            ? OpFoldResult(b.getIndexAttr(*size - *start))
            : OpFoldResult(arith::SubIOp::create(
                  b, loc, getValueOrCreateConstantIndexOp(b, loc, sizes[d]),
                  getValueOrCreateConstantIndexOp(b, loc, current[d])));
    for (int64_t e = 0; e < d; ++e)
      tail[e] = current[e];
    Value zeros = filled(b, loc, tail, zero);
    padded = tensor::InsertSliceOp::create(b, loc, zeros, padded, offsets, tail,
                                           unitStrides);
  }
  return padded;
}

/// The block of `x` at `offsets` of `sizes`, all 1 but the last two, as a
/// 2-D tensor.
Value block2D(OpBuilder &b, Location loc, Value x,
              ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes) {
  auto type = RankedTensorType::get(
      decomposeMixedValues(sizes.take_back(2)).first,
      cast<RankedTensorType>(x.getType()).getElementType());
  return tensor::ExtractSliceOp::create(
      b, loc, type, x, offsets, sizes,
      SmallVector<OpFoldResult>(sizes.size(), b.getIndexAttr(1)));
}

/// The flash-attention loops; see the file comment. One head's block at a
/// time, so that a block's scores stay in L1 and every block has the static
/// shape [blockQ, blockKV]: queries, keys, values and mask are padded with
/// zeros to whole blocks (padding keys get -inf scores; padding rows are
/// dropped from the result). Nothing is copied whole when the sizes are
/// whole blocks.
Value lowerFlash(OpBuilder &b, Location loc, const attn::AttentionOperands &a,
                 int64_t blockQ, int64_t blockKV, bool parallel) {
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
  Value causalOffset = a.diagonal;
  Value zero = floatConstant(b, loc, elementType, 0.0);
  Value negInf = negInfinity(b, loc, elementType);
  AffineMap id1 = b.getMultiDimIdentityMap(1);
  AffineMap id2 = b.getMultiDimIdentityMap(2);
  AffineMap row2 = dimsMap(ctx, 2, {0});
  AffineMap col2 = dimsMap(ctx, 2, {1});
  AffineMap transposed2 = dimsMap(ctx, 2, {1, 0});
  OpFoldResult one = b.getIndexAttr(1), zeroAttr = b.getIndexAttr(0);
  OpFoldResult bq = b.getIndexAttr(blockQ);

  std::optional<int64_t> staticRows = getConstantIntValue(a.qSizes[2]),
                         staticKeys = getConstantIntValue(a.kSizes[2]);
  std::optional<int64_t> staticDiagonal = getConstantIntValue(a.diagonal);
  bool splitDiagonal = a.causal && blockQ == blockKV && blockKV % 2 == 0 &&
                       staticRows && staticKeys && staticDiagonal &&
                       *staticDiagonal % blockKV == 0;

  // Whole blocks of rows and keys.
  OpFoldResult paddedRows = roundUp(b, loc, a.qSizes[2], blockQ);
  OpFoldResult paddedKeys = roundUp(b, loc, a.kSizes[2], blockKV);
  bool rowsPadded = !isEqualConstantIntOrValue(paddedRows, a.qSizes[2]);
  bool keysPadded = !isEqualConstantIntOrValue(paddedKeys, a.kSizes[2]);
  SmallVector<OpFoldResult> qSizes(a.qSizes), kSizes(a.kSizes),
      vSizes(a.vSizes);
  qSizes[2] = paddedRows;
  kSizes[2] = vSizes[2] = paddedKeys;
  Value log2e = floatConstant(b, loc, elementType, 1.4426950408889634);
  Value queryScale = arith::MulFOp::create(b, loc, a.scale, log2e);
  Value q = padWithZeros(b, loc, a.q, qSizes);
  Value k = padWithZeros(b, loc, a.k, kSizes);
  Value v = padWithZeros(b, loc, a.v, vSizes);
  Value mask;
  if (a.mask) {
    SmallVector<OpFoldResult> maskSizes = tensor::getMixedSizes(b, loc, a.mask);
    auto maskType = cast<RankedTensorType>(a.mask.getType());
    if (maskType.getDimSize(2) != 1)
      maskSizes[2] = paddedRows;
    if (maskType.getDimSize(3) != 1)
      maskSizes[3] = paddedKeys;
    // Read by blocks, each transposed to key-major in 16 x 16 register
    // squares (--attn-vectorize-reductions): no copy of the mask.
    mask = padWithZeros(b, loc, a.mask, maskSizes);
  }

  SmallVector<OpFoldResult> outSizes(a.qSizes);
  outSizes[3] = a.vSizes[3];
  Value out = tensor::EmptyOp::create(b, loc, outSizes, elementType);
  Value stepQ = arith::ConstantIndexOp::create(b, loc, blockQ);
  Value stepKV = arith::ConstantIndexOp::create(b, loc, blockKV);
  Value numBlocks = arith::CeilDivSIOp::create(b, loc, rows, stepQ);
  int64_t heads = cast<RankedTensorType>(a.q.getType()).getDimSize(1);
  Value headsValue = arith::ConstantIndexOp::create(b, loc, heads);
  Value headBlocks = arith::MulIOp::create(
      b, loc, getValueOrCreateConstantIndexOp(b, loc, a.qSizes[0]),
      arith::MulIOp::create(b, loc, headsValue, numBlocks));

  // Query block number `t` of all heads' blocks: its output rows, handed to
  // `store` with their offsets and sizes in `out`.
  auto queryBlock = [&](OpBuilder &b, Location loc, Value t,
                        function_ref<void(Value, ArrayRef<OpFoldResult>,
                                          ArrayRef<OpFoldResult>)>
                            store) {
    // Head by head; within a head, block r/2 from the start for even r and
    // from the end for odd r, so that contiguous shares of iterations get
    // equal causal work (late blocks see more keys).
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
    Value hkv =
        a.groups == 1
            ? h
            : arith::DivUIOp::create(
                  b, loc, h, arith::ConstantIndexOp::create(b, loc, a.groups))
                  .getResult();
    Value qBlock = block2D(b, loc, q, {batch, h, qb, zeroAttr},
                           {one, one, bq, a.qSizes[3]});
    SmallVector<OpFoldResult> rowSizes{bq}, accSizes{bq, a.vSizes[3]};
    // qᵀ * scale * log2(e) [D, bq], once per block of queries: the right
    // operand of k qᵀ, read by rows.
    Value qtBlock = buildGeneric(
        b, loc, {qBlock}, {transposed2},
        tensor::EmptyOp::create(b, loc, ArrayRef<OpFoldResult>{a.qSizes[3], bq},
                                elementType),
        id2, {kPar, kPar},
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          return arith::MulFOp::create(nb, l, args[0], queryScale);
        });

    // Keys past the last one that the block's last row sees are skipped.
    Value kvEnd = keys;
    if (a.causal) {
      Value blockEnd = arith::MinSIOp::create(
          b, loc, arith::AddIOp::create(b, loc, qb, stepQ), rows);
      Value seen = arith::AddIOp::create(b, loc, blockEnd, causalOffset);
      kvEnd = arith::MinSIOp::create(
          b, loc, arith::MaxSIOp::create(b, loc, seen, zeroIndex), keys);
    }

    // `numKeys` keys from `kb` seen by the block's queries [qs, qs +
    // numQueries): the updated running max, sum and output of those
    // queries. `hidesKeys`: whether some of the keys are hidden from some
    // rows.
    auto keyBlock = [&](OpBuilder &b, Location loc, Value kb, int64_t numKeys,
                        int64_t qs, int64_t numQueries, ValueRange state,
                        bool hidesKeys) {
      attn::AttentionOperands block = a;
      block.causal = a.causal && hidesKeys;
      OpFoldResult keySize = b.getIndexAttr(numKeys),
                   querySize = b.getIndexAttr(numQueries),
                   qsAttr = b.getIndexAttr(qs);
      SmallVector<OpFoldResult> stateSizes{querySize},
          accStateSizes{querySize, a.vSizes[3]};
      Value m = state[0], l = state[1], acc = state[2], qt = qtBlock;
      Value rowOffset = qb;
      bool part = numQueries != blockQ;
      if (part) {
        // The queries' share of the state and of qᵀ.
        m = tensor::ExtractSliceOp::create(b, loc, m, {qsAttr}, stateSizes,
                                           {one});
        l = tensor::ExtractSliceOp::create(b, loc, l, {qsAttr}, stateSizes,
                                           {one});
        acc = tensor::ExtractSliceOp::create(b, loc, acc, {qsAttr, zeroAttr},
                                             accStateSizes, {one, one});
        qt = tensor::ExtractSliceOp::create(b, loc, qt, {zeroAttr, qsAttr},
                                            {a.qSizes[3], querySize},
                                            {one, one});
        rowOffset = arith::AddIOp::create(
            b, loc, qb, arith::ConstantIndexOp::create(b, loc, qs));
      }
      Value kBlock = block2D(b, loc, k, {batch, hkv, kb, zeroAttr},
                             {one, one, keySize, a.kSizes[3]});
      Value vBlock = block2D(b, loc, v, {batch, hkv, kb, zeroAttr},
                             {one, one, keySize, a.vSizes[3]});
      Value maskBlock;
      if (mask) {
        // Unit (broadcast) dims of the mask are read whole.
        auto maskType = cast<RankedTensorType>(mask.getType());
        SmallVector<OpFoldResult> offsets(4, zeroAttr), sizes(4, one);
        if (maskType.getDimSize(0) != 1)
          offsets[0] = batch;
        if (maskType.getDimSize(1) != 1)
          offsets[1] = h;
        if (maskType.getDimSize(2) != 1) {
          offsets[2] = rowOffset;
          sizes[2] = querySize;
        }
        if (maskType.getDimSize(3) != 1) {
          offsets[3] = kb;
          sizes[3] = keySize;
        }
        maskBlock = block2D(b, loc, mask, offsets, sizes);
      }
      // Scores key-major, S [keys, queries] = k qᵀ: the row max and sum
      // of each query are then a max and sum down a column, vector lanes
      // side by side, with no cross-lane reduction.
      Value products =
          attn::blockMatmul(b, loc, kBlock, qt,
                            filled(b, loc, {keySize, querySize},
                                   floatConstant(b, loc, elementType, 0)));
      // The queries are scaled: only masks are left to apply.
      Value scores = products;
      // The default diagonal (N - M) hides every padding key j >= N
      // from the rows i < M; another may show them.
      bool padKeys = keysPadded && (!block.causal || !a.defaultDiagonal);
      if (maskBlock || block.causal || keysPadded)
        scores = maskedScores(b, loc, block, products, maskBlock, rowOffset, kb,
                              causalOffset, padKeys ? keys : Value(),
                              /*scale=*/Value(), /*maskScale=*/log2e,
                              /*keyMajor=*/true);

      // Each update writes into the state it replaces (the inits
      // below), so that the loop's tensors bufferize in place.
      Value rowMax = buildGeneric(
          b, loc, {scores}, {id2}, filled(b, loc, stateSizes, negInf), col2,
          {kRed, kPar},
          [](OpBuilder &nb, Location l, ValueRange args) -> Value {
            return arith::MaxNumFOp::create(nb, l, args[0], args[1]);
          });
      // a = m == -inf ? 0 : exp2(m - max(m, rowmax))
      Value rescale = buildGeneric(
          b, loc, {m, rowMax}, {id1, id1},
          tensor::EmptyOp::create(b, loc, stateSizes, elementType), id1, {kPar},
          [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
            Value mNew = arith::MaxNumFOp::create(nb, l, args[0], args[1]);
            Value diff = arith::SubFOp::create(nb, l, args[0], mNew);
            Value e = attn::exp2NonPositive(nb, l, diff);
            return arith::SelectOp::create(nb, l, isNegInfinity(nb, l, args[0]),
                                           zero, e);
          });
      // m' = max(m, rowmax)
      Value mNew = buildGeneric(
          b, loc, {rowMax}, {id1}, m, id1, {kPar},
          [](OpBuilder &nb, Location l, ValueRange args) -> Value {
            return arith::MaxNumFOp::create(nb, l, args[1], args[0]);
          });
      // l' = l * a + colsum(P), with P = exp2(S - shift(m')) in the
      // same pass: each exponential is summed as it is written.
      Value lScaled =
          buildGeneric(b, loc, {rescale}, {id1}, l, id1, {kPar},
                       [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                         return arith::MulFOp::create(nb, l, args[1], args[0]);
                       });
      Value pInit = tensor::EmptyOp::create(
          b, loc, ArrayRef<OpFoldResult>{keySize, querySize}, elementType);
      auto expsAndSums = linalg::GenericOp::create(
          b, loc, TypeRange{pInit.getType(), lScaled.getType()},
          ValueRange{scores, mNew}, ValueRange{pInit, lScaled},
          ArrayRef<AffineMap>{id2, col2, id2, col2},
          ArrayRef<IteratorType>{kRed, kPar},
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value shift = arith::SelectOp::create(
                nb, l, isNegInfinity(nb, l, args[1]), zero, args[1]);
            Value diff = arith::SubFOp::create(nb, l, args[0], shift);
            Value p = attn::exp2NonPositive(nb, l, diff);
            Value sum = arith::AddFOp::create(nb, l, args[3], p);
            linalg::YieldOp::create(nb, l, ValueRange{p, sum});
          });
      Value probabilities = expsAndSums.getResult(0);
      Value lNew = expsAndSums.getResult(1);
      // acc' = acc * a + P v
      Value accScaled =
          buildGeneric(b, loc, {rescale}, {row2}, acc, id2, {kPar, kPar},
                       [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                         return arith::MulFOp::create(nb, l, args[1], args[0]);
                       });
      Value accNew = attn::blockMatmul(b, loc, probabilities, vBlock, accScaled,
                                       /*lhsTransposed=*/true);
      if (part) {
        mNew = tensor::InsertSliceOp::create(b, loc, mNew, state[0], {qsAttr},
                                             stateSizes, {one});
        lNew = tensor::InsertSliceOp::create(b, loc, lNew, state[1], {qsAttr},
                                             stateSizes, {one});
        accNew = tensor::InsertSliceOp::create(b, loc, accNew, state[2],
                                               {qsAttr, zeroAttr},
                                               accStateSizes, {one, one});
      }
      return SmallVector<Value>{mNew, lNew, accNew};
    };

    // With `causal`, the blocks of keys that every row of the block sees
    // (below the diagonal) need no causal mask: a first loop over those,
    // a second over the blocks on the diagonal. When the diagonal runs
    // through the corners of square blocks (offset N - M a multiple of the
    // block), the second loop has one block, whose last keys half of the
    // rows do not see: it skips that quarter.
    Value fullEnd = zeroIndex;
    if (a.causal) {
      Value firstSees = arith::MaxSIOp::create(
          b, loc,
          arith::AddIOp::create(b, loc,
                                arith::AddIOp::create(b, loc, qb, causalOffset),
                                oneIndex),
          zeroIndex);
      fullEnd = arith::MinSIOp::create(
          b, loc,
          arith::MulIOp::create(
              b, loc, arith::DivUIOp::create(b, loc, firstSees, stepKV),
              stepKV),
          kvEnd);
    }
    SmallVector<Value> state{filled(b, loc, rowSizes, negInf),
                             filled(b, loc, rowSizes, zero),
                             filled(b, loc, accSizes, zero)};
    for (bool hidesKeys : {false, true}) {
      if (hidesKeys != a.causal && hidesKeys)
        break;
      Value begin = hidesKeys ? fullEnd : zeroIndex;
      Value end = a.causal && !hidesKeys ? fullEnd : kvEnd;
      auto loop = scf::ForOp::create(
          b, loc, begin, end, stepKV, state,
          [&](OpBuilder &b, Location loc, Value kb, ValueRange carried) {
            if (!hidesKeys || !splitDiagonal) {
              scf::YieldOp::create(
                  b, loc,
                  keyBlock(b, loc, kb, blockKV, 0, blockQ, carried, hidesKeys));
              return;
            }
            // The one block on the diagonal, in halves: its first keys for
            // every row, its last keys for the rows of the second half only
            // (the first half sees none of them).
            int64_t half = blockKV / 2;
            SmallVector<Value> first =
                keyBlock(b, loc, kb, half, 0, blockQ, carried, true);
            Value kbHalf = arith::AddIOp::create(
                b, loc, kb, arith::ConstantIndexOp::create(b, loc, half));
            scf::YieldOp::create(b, loc,
                                 keyBlock(b, loc, kbHalf, half, half, half,
                                          first, /*hidesKeys=*/true));
          });
      state.assign(loop.getResults().begin(), loop.getResults().end());
    }

    // out = acc * (1 / l): one division per row. A row that saw no key has
    // l == 0 (and acc == 0): NaN, or 0 with zeroRows.
    Value inverse = buildGeneric(
        b, loc, {state[1]}, {id1},
        tensor::EmptyOp::create(b, loc, rowSizes, elementType), id1, {kPar},
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          Value one = floatConstant(nb, l, elementType, 1.0);
          Value reciprocal = arith::DivFOp::create(nb, l, one, args[0]);
          if (!a.zeroRows)
            return reciprocal;
          Value empty = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ,
                                              args[0], zero);
          return arith::SelectOp::create(nb, l, empty, zero, reciprocal);
        });
    Value normalized = buildGeneric(
        b, loc, {state[2], inverse}, {id2, row2},
        tensor::EmptyOp::create(b, loc, accSizes, elementType), id2,
        {kPar, kPar}, [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          return arith::MulFOp::create(nb, l, args[0], args[1]);
        });
    // Padding rows are not stored.
    OpFoldResult validRows = bq;
    if (rowsPadded) {
      validRows = arith::MinSIOp::create(
                      b, loc, stepQ, arith::SubIOp::create(b, loc, rows, qb))
                      .getResult();
      normalized = tensor::ExtractSliceOp::create(
          b, loc, normalized, {zeroAttr, zeroAttr}, {validRows, a.vSizes[3]},
          {one, one});
    }
    store(normalized, {batch, h, qb, zeroAttr},
          {one, one, validRows, a.vSizes[3]});
  };

  SmallVector<OpFoldResult> unitStrides(4, one);
  Value result;
  if (parallel) {
    // Query blocks are independent: an scf.forall, threads in the pipeline.
    auto forall = scf::ForallOp::create(
        b, loc, ArrayRef<OpFoldResult>{zeroAttr},
        ArrayRef<OpFoldResult>{headBlocks}, ArrayRef<OpFoldResult>{one},
        ValueRange{out}, std::nullopt);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    Value shared = forall.getRegionIterArgs()[0];
    queryBlock(b, loc, forall.getInductionVars()[0],
               [&](Value rowsOut, ArrayRef<OpFoldResult> offsets,
                   ArrayRef<OpFoldResult> sizes) {
                 OpBuilder::InsertionGuard inner(b);
                 b.setInsertionPointToStart(forall.getTerminator().getBody());
                 tensor::ParallelInsertSliceOp::create(
                     b, loc, rowsOut, shared, offsets, sizes, unitStrides);
               });
    result = forall.getResult(0);
  } else {
    auto queryLoop = scf::ForOp::create(
        b, loc, zeroIndex, headBlocks, oneIndex, ValueRange{out},
        [&](OpBuilder &b, Location loc, Value t, ValueRange outArgs) {
          queryBlock(b, loc, t,
                     [&](Value rowsOut, ArrayRef<OpFoldResult> offsets,
                         ArrayRef<OpFoldResult> sizes) {
                       Value updated = tensor::InsertSliceOp::create(
                           b, loc, rowsOut, outArgs[0], offsets, sizes,
                           unitStrides);
                       scf::YieldOp::create(b, loc, updated);
                     });
        });
    result = queryLoop.getResult(0);
  }
  return result;
}

/// attention(q, k, v [, mask]) -> flash loops or contractions + softmax.
struct AttentionToFlash : OpRewritePattern<attn::AttentionOp> {
  AttentionToFlash(MLIRContext *ctx, attn::AttentionLoweringOptions options)
      : OpRewritePattern(ctx, /*benefit=*/2), options(options) {}

  LogicalResult matchAndRewrite(attn::AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (!attn::lowersToFlash(op, options))
      return rewriter.notifyMatchFailure(op, "lowered by its decomposition");
    if (Value empty = attn::emptyAttentionResult(rewriter, op)) {
      rewriter.replaceOp(op, empty);
      return success();
    }
    FailureOr<attn::AttentionOperands> a = attn::prepareAttention(rewriter, op);
    if (failed(a))
      return failure();
    Value result = lowerFlash(rewriter, op.getLoc(), *a, options.blockQ,
                              options.blockKV, options.parallelQueryBlocks);
    rewriter.replaceOp(op,
                       attn::collapseToRank(rewriter, op.getLoc(), result,
                                            op.getQuery().getType().getRank()));
    return success();
  }

  attn::AttentionLoweringOptions options;
};

} // namespace

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
  if (auto op = dyn_cast<attn::AttentionOp>(attention)) {
    query = op.getQuery().getType();
    key = op.getKey().getType();
  } else {
    auto online = cast<attn::OnlineAttentionOp>(attention);
    query = online.getQuery().getType();
    key = online.getKey().getType();
  }
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
