//===- AttentionBackwardToLinalg.cpp - lower attn.attention_backward ------===//
//
// attn.attention_backward as FlashAttention-2's backward: blocks of
// [blockQ, blockKV] scores recomputed from q, k and the forward's row lse,
// never all [M, N] of them, on operands brought to rank 4 and padded to
// whole blocks. Padding rows get lse = +inf (P = 0: they add nothing);
// padding keys get k = v = 0 (they add nothing to dQ, and their own dK and
// dV are dropped), so no padding needs a mask.
//
//   D = rowsum(dO * O)                 (0 where lse = +inf)
//
// The keys pass: one key block of one key/value head per iteration, which
// owns its dK and dV (an scf.forall over them has no race):
//   for each query head of the group, each query block that sees the keys:
//     S  = q kᵀ scale + mask (causal -inf)         [blockQ, blockKV]
//     P  = exp(S - lse)
//     dV += Pᵀ dO,  dP = dO vᵀ,  dS = P (dP - D) scale,  dK += dSᵀ q
// On one thread (scf.for), the keys pass also does dQ[rows] += dS k: its
// iterations run in turn, so the 5 block products of FlashAttention-2 do it
// all. With threads (scf.forall over key blocks), dQ would race; a queries
// pass does it instead: one query block of one query head per iteration,
// which owns its dQ:
//   for each key block it sees: S, P, dP, dS again;  dQ += dS k
// Recomputing S and dP for dQ makes 7 block products where FlashAttention-2
// does 5; it is what keeps dQ free of atomics and of per-thread copies.
// Blocks that no row sees (past the causal diagonal or a window's edges)
// are skipped in both passes. Every product has the (i, j, r) form that
// --attn-vectorize-contractions register-blocks.
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
#include "mlir/IR/PatternMatch.h"

#include <numeric>

using namespace mlir;
using namespace mlir::attn;

namespace {

using utils::IteratorType;
constexpr IteratorType kPar = IteratorType::parallel;

/// Emits the blocks of one attention_backward's rank-4 operands.
class BlockBuilder {
public:
  BlockBuilder(OpBuilder &b, Location loc, const AttentionOperands &a)
      : b(b), loc(loc), a(a), ctx(b.getContext()) {}

  /// Rows [offset, offset + rows) of head `head` of batch `batch` of `x`
  /// [B, H, R, C]: a 2-D [rows, C] block.
  Value rows2D(Value x, Value batch, Value head, Value offset, int64_t rows) {
    auto type = cast<RankedTensorType>(x.getType());
    OpFoldResult one = b.getIndexAttr(1);
    return tensor::ExtractSliceOp::create(
        b, loc,
        RankedTensorType::get({rows, type.getDimSize(3)},
                              type.getElementType()),
        x, {batch, head, offset, b.getIndexAttr(0)},
        {one, one, b.getIndexAttr(rows), tensor::getMixedSize(b, loc, x, 3)},
        {one, one, one, one});
  }

  /// Entries [offset, offset + rows) of a row vector [B, H, R].
  Value rows1D(Value x, Value batch, Value head, Value offset, int64_t rows) {
    auto type = cast<RankedTensorType>(x.getType());
    OpFoldResult one = b.getIndexAttr(1);
    return tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({rows}, type.getElementType()), x,
        {batch, head, offset}, {one, one, b.getIndexAttr(rows)},
        {one, one, one});
  }

  /// The [blockQ | 1, blockKV | 1] block of the rank-4 mask (its unit dims
  /// broadcast).
  Value maskBlock(Value batch, Value head, Value qb, Value kb, int64_t blockQ,
                  int64_t blockKV) {
    auto type = cast<RankedTensorType>(a.mask.getType());
    OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
    auto pick = [&](int64_t dim, Value offset) -> OpFoldResult {
      return type.getDimSize(dim) == 1 ? zero : OpFoldResult(offset);
    };
    int64_t rows = type.getDimSize(2) == 1 ? 1 : blockQ;
    int64_t cols = type.getDimSize(3) == 1 ? 1 : blockKV;
    return tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({rows, cols}, type.getElementType()),
        a.mask,
        {pick(0, batch), pick(1, head), pick(2, qb), pick(3, kb)},
        {one, one, b.getIndexAttr(rows), b.getIndexAttr(cols)},
        {one, one, one, one});
  }

  /// xᵀ of a 2-D block.
  Value transpose(Value x) {
    auto type = cast<RankedTensorType>(x.getType());
    return buildGeneric(
        b, loc, {x}, {dimsMap(ctx, 2, {1, 0})},
        tensor::EmptyOp::create(
            b, loc,
            ArrayRef<OpFoldResult>{tensor::getMixedSize(b, loc, x, 1),
                                   tensor::getMixedSize(b, loc, x, 0)},
            type.getElementType()),
        b.getMultiDimIdentityMap(2), {kPar, kPar},
        [](OpBuilder &, Location, ValueRange args) { return args[0]; });
  }

  /// Zeros of `sizes` (a block of rows by a head dimension, which may be
  /// dynamic).
  Value zeros(ArrayRef<OpFoldResult> sizes) {
    return filled(b, loc, sizes, floatConstant(b, loc, a.elementType, 0.0));
  }

  /// `compute()`'s values, or, under a block mask, those of an scf.if that
  /// leaves `unchanged` where the mask's block holding (qb, kb) is empty.
  SmallVector<Value> unlessEmpty(Value batch, Value head, Value qb, Value kb,
                                 ValueRange unchanged,
                                 function_ref<SmallVector<Value>()> compute) {
    if (!a.blockMask)
      return compute();
    Value kind = blockMaskKind(b, loc, a, batch, head, qb, kb);
    Value visible = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ne, kind,
        arith::ConstantIntOp::create(b, loc, kind.getType(), 0));
    return computedIf(b, loc, visible, unchanged, compute);
  }

  /// `x` as the gradient products take it: rounded to the operands' bf16
  /// with bf16 products (as FlashAttention rounds P and dS), else as it is.
  Value productOperand(Value x) {
    return operandType == a.elementType
               ? x
               : convertElements(b, loc, x, operandType);
  }

  /// P (times Z / (1 - p) with dropout) and dS of the block of query rows
  /// from `qb` and keys from `kb` of head `head` of batch `batch`:
  ///   S = q kᵀ scale + mask (causal -inf),  P = exp(S - lse),
  ///   dS = P (dO vᵀ Z / (1 - p) - D) scale.
  std::pair<Value, Value> probabilitiesAndGradients(
      Value q, Value kT, Value dO, Value vT, Value lse, Value d, Value mask,
      Value batch, Value head, Value qb, Value kb) {
    int64_t blockQ = cast<RankedTensorType>(q.getType()).getDimSize(0);
    int64_t blockKV = cast<RankedTensorType>(kT.getType()).getDimSize(1);
    Value raw =
        blockMatmul(b, loc, q, kT,
                    zeros({b.getIndexAttr(blockQ), b.getIndexAttr(blockKV)}));
    // (And d s / d u through the softcap and score_mod, where they are.)
    Value slope;
    Value scores = maskedScoresAndDerivative(b, loc, a, raw, mask, qb, kb,
                                             a.diagonal, a.scale, &slope,
                                             /*keyMajor=*/false, batch, head);
    AffineMap id = b.getMultiDimIdentityMap(2);
    AffineMap row = dimsMap(ctx, 2, {0});
    Value p = buildGeneric(
        b, loc, {scores, lse}, {id, row},
        tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{blockQ, blockKV},
                                a.elementType),
        id, {kPar, kPar},
        [](OpBuilder &nb, Location l, ValueRange args) -> Value {
          return math::ExpOp::create(
              nb, l, arith::SubFOp::create(nb, l, args[0], args[1]));
        });
    Value dP =
        blockMatmul(b, loc, dO, vT,
                    zeros({b.getIndexAttr(blockQ), b.getIndexAttr(blockKV)}));
    auto blockOf = [&](Type type) -> Value {
      return tensor::EmptyOp::create(
          b, loc, ArrayRef<int64_t>{blockQ, blockKV}, type);
    };
    Value z;
    if (a.dropout) {
      // Dropout's keep bits, as the forward drew them: one key per row,
      // one hash per score.
      Value rowKeys = buildGeneric(
          b, loc, {}, {},
          tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{blockQ},
                                  b.getI32Type()),
          b.getMultiDimIdentityMap(1), {kPar},
          [&](OpBuilder &nb, Location l, ValueRange) -> Value {
            Value i = arith::AddIOp::create(nb, l, qb,
                                            linalg::IndexOp::create(nb, l, 0));
            return dropoutRowKey(nb, l, a.dropout.key, batch, head, i);
          });
      z = buildGeneric(
          b, loc, {rowKeys}, {row}, blockOf(a.elementType), id, {kPar, kPar},
          [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
            Value j = arith::AddIOp::create(nb, l, kb,
                                            linalg::IndexOp::create(nb, l, 1));
            return dropoutFactor(nb, l, args[0], j, a.dropout.p,
                                 a.elementType);
          });
    }
    SmallVector<Value> inputs{p, dP, d};
    SmallVector<AffineMap> maps{id, id, row};
    if (z) {
      inputs.push_back(z);
      maps.push_back(id);
    }
    if (slope) {
      inputs.push_back(slope);
      maps.push_back(id);
    }
    Value dS = buildGeneric(
        b, loc, inputs, maps, blockOf(a.elementType), id, {kPar, kPar},
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          Value dp = args[1];
          if (z)
            dp = arith::MulFOp::create(nb, l, dp, args[3]);
          Value centered = arith::SubFOp::create(nb, l, dp, args[2]);
          Value ds = arith::MulFOp::create(nb, l, args[0], centered);
          // Through the softcap and score_mod: times d s / d u.
          if (slope)
            ds = arith::MulFOp::create(nb, l, ds, args[inputs.size() - 1]);
          return arith::MulFOp::create(nb, l, ds, a.scale);
        });
    if (z)
      p = buildGeneric(b, loc, {p, z}, {id, id}, blockOf(a.elementType), id,
                       {kPar, kPar},
                       [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                         return arith::MulFOp::create(nb, l, args[0], args[1]);
                       });
    return {p, dS};
  }

  OpBuilder &b;
  Location loc;
  const AttentionOperands &a;
  MLIRContext *ctx;
  // q's, k's, v's and dO's (bf16 with bf16 products; else a.elementType).
  Type operandType = getElementTypeOrSelf(a.q.getType());
};

/// attention_backward -> the keys pass and the queries pass (file comment).
struct AttentionBackwardToFlash
    : OpRewritePattern<attn::AttentionBackwardOp> {
  AttentionBackwardToFlash(MLIRContext *ctx,
                           attn::AttentionLoweringOptions options)
      : OpRewritePattern(ctx, /*benefit=*/2), options(options) {}

  LogicalResult matchAndRewrite(attn::AttentionBackwardOp op,
                                PatternRewriter &rewriter) const override {
    if (!attn::lowersToFlash(op, options))
      return rewriter.notifyMatchFailure(op, "lowered by its decomposition");
    Type element = op.getQuery().getType().getElementType();
    // bf16 products: q, k, v and dO stay bf16, the rest is f32.
    bool bf16 = attn::bf16ProductsApply(op, options);
    if (!element.isF32() && !element.isF64() && !bf16)
      return rewriter.notifyMatchFailure(op, "f16 and bf16 are made f32 first");
    Type f32 = rewriter.getF32Type();
    FailureOr<attn::AttentionOperands> prepared =
        attn::prepareAttention(rewriter, op, bf16 ? f32 : Type());
    if (failed(prepared))
      return failure();
    if (bf16)
      for (Value *operand : {&prepared->mask, &prepared->slopes})
        if (*operand && getElementTypeOrSelf(operand->getType()) == element)
          *operand =
              attn::convertElements(rewriter, op.getLoc(), *operand, f32);
    SmallVector<Value> grads = lower(rewriter, op, *prepared);
    int64_t rank = op.getQuery().getType().getRank();
    for (auto [grad, type] : llvm::zip_equal(grads, op->getResultTypes())) {
      if (getElementTypeOrSelf(grad.getType()) != getElementTypeOrSelf(type))
        grad = attn::convertElements(rewriter, op.getLoc(), grad,
                                     getElementTypeOrSelf(type));
      grad = attn::collapseToRank(rewriter, op.getLoc(), grad, rank);
    }
    rewriter.replaceOp(op, grads);
    return success();
  }

  SmallVector<Value> lower(PatternRewriter &b, attn::AttentionBackwardOp op,
                           attn::AttentionOperands a) const {
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    Type type = a.elementType;
    // Fewer rows or keys than a block make a block of the next multiple of
    // 16, as the forward's.
    int64_t blockQ = options.blockQ, blockKV = options.blockKV;
    if (std::optional<int64_t> m = getConstantIntValue(a.qSizes[2]); m && *m)
      blockQ = std::min<int64_t>(blockQ, llvm::alignTo(*m, 16));
    if (std::optional<int64_t> n = getConstantIntValue(a.kSizes[2]); n && *n)
      blockKV = std::min<int64_t>(blockKV, llvm::alignTo(*n, 16));
    // Flash blocks inside the block mask's blocks, as the forward's.
    if (a.blockMask) {
      blockQ = std::gcd(blockQ, a.blockMaskRows);
      blockKV = std::gcd(blockKV, a.blockMaskKeys);
    }
    Value zero = floatConstant(b, loc, type, 0.0);
    Value inf =
        floatConstant(b, loc, type, std::numeric_limits<double>::infinity());
    Value rows = getValueOrCreateConstantIndexOp(b, loc, a.qSizes[2]);
    Value keys = getValueOrCreateConstantIndexOp(b, loc, a.kSizes[2]);
    // The regions are evaluated on the padding rows and keys too (their
    // gradients are dropped): at the last real index.
    if (a.hasRegions()) {
      Value one = arith::ConstantIndexOp::create(b, loc, 1);
      Value lastRow = arith::SubIOp::create(b, loc, rows, one);
      Value lastKey = arith::SubIOp::create(b, loc, keys, one);
      b.modifyOpInPlace(op, [&] { clampModIndices(b, op, lastRow, lastKey); });
    }
    Value stepQ = arith::ConstantIndexOp::create(b, loc, blockQ);
    Value stepKV = arith::ConstantIndexOp::create(b, loc, blockKV);
    Value zeroIndex = arith::ConstantIndexOp::create(b, loc, 0);
    Value oneIndex = arith::ConstantIndexOp::create(b, loc, 1);

    // Whole blocks: zeros past the rows and keys, +inf past the lse.
    OpFoldResult paddedRows = roundUp(b, loc, a.qSizes[2], blockQ);
    OpFoldResult paddedKeys = roundUp(b, loc, a.kSizes[2], blockKV);
    // `x` with `dim` grown to `size` (the new entries `fill`; a copy only
    // when the size is not whole blocks, see padTo).
    auto padRows = [&](Value x, int64_t dim, OpFoldResult size,
                       Value fill) -> Value {
      SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
      sizes[dim] = size;
      // (Only `dim` grows; the others' padding, of x's type, fills nothing.)
      SmallVector<Value> padding(sizes.size(), fill);
      return padTo(b, loc, x, sizes, padding);
    };
    Value dO = attn::expandToRank4(b, loc, op.getGrad());
    Value out = attn::expandToRank4(b, loc, op.getOutput());
    Value lse = attn::expandToRank(b, loc, op.getLse(), 3);

    // D = lse == +inf ? 0 : rowsum(dO * O), on the real rows (O is read
    // here only: it is never padded).
    AffineMap id3 = b.getMultiDimIdentityMap(3);
    AffineMap id4 = b.getMultiDimIdentityMap(4);
    Value dot = buildGeneric(
        b, loc, {dO, out}, {id4, id4},
        filled(b, loc, tensor::getMixedSizes(b, loc, lse), zero),
        dimsMap(ctx, 4, {0, 1, 2}),
        {kPar, kPar, kPar, IteratorType::reduction},
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          // (bf16 dO and O of bf16 products: their exact products in f32.)
          auto wide = [&](Value x) -> Value {
            return x.getType() == type
                       ? x
                       : arith::ExtFOp::create(nb, l, type, x).getResult();
          };
          return arith::AddFOp::create(
              nb, l, args[2],
              arith::MulFOp::create(nb, l, wide(args[0]), wide(args[1])));
        });
    Value d = buildGeneric(
        b, loc, {dot, lse}, {id3, id3},
        tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, lse),
                                type),
        id3, {kPar, kPar, kPar},
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          Value unseen = arith::CmpFOp::create(
              nb, l, arith::CmpFPredicate::OEQ, args[1], inf);
          return arith::SelectOp::create(nb, l, unseen, zero, args[0]);
        });

    Value operandZero =
        floatConstant(b, loc, getElementTypeOrSelf(a.q.getType()), 0.0);
    Value q = padRows(a.q, 2, paddedRows, operandZero);
    dO = padRows(dO, 2, paddedRows, operandZero);
    lse = padRows(lse, 2, paddedRows, inf);
    d = padRows(d, 2, paddedRows, zero);
    Value k = padRows(a.k, 2, paddedKeys, operandZero);
    Value v = padRows(a.v, 2, paddedKeys, operandZero);
    if (a.mask) {
      // Padding keeps (0, or true for a boolean mask): padding keys are
      // zeros that add nothing to dQ, and their dK and dV are dropped.
      auto maskType = cast<RankedTensorType>(a.mask.getType());
      Value keep = zero;
      if (maskType.getElementType().isInteger(1))
        keep = arith::ConstantIntOp::create(b, loc, 1, 1);
      if (maskType.getDimSize(2) != 1)
        a.mask = padRows(a.mask, 2, paddedRows, keep);
      if (maskType.getDimSize(3) != 1)
        a.mask = padRows(a.mask, 3, paddedKeys, keep);
    }

    int64_t hq = cast<RankedTensorType>(q.getType()).getDimSize(1);
    int64_t hkv = cast<RankedTensorType>(k.getType()).getDimSize(1);
    int64_t groups = a.groups;
    // The head dimensions, static or not.
    OpFoldResult dim = tensor::getMixedSize(b, loc, q, 3);
    OpFoldResult dimV = tensor::getMixedSize(b, loc, v, 3);
    OpFoldResult qRows = b.getIndexAttr(blockQ),
                 kRows = b.getIndexAttr(blockKV);
    Value batches = getValueOrCreateConstantIndexOp(b, loc, a.qSizes[0]);
    Value numQ = arith::CeilDivSIOp::create(b, loc, rows, stepQ);
    Value numKV = arith::CeilDivSIOp::create(b, loc, keys, stepKV);
    Value paddedRowsValue = getValueOrCreateConstantIndexOp(b, loc, paddedRows);
    auto emptyLike = [&](Value x) -> Value {
      return tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, x),
                                     type);
    };
    // (batch, head, block) of iteration t of B * heads * blocks.
    auto split = [&](OpBuilder &nb, Value t, int64_t heads, Value blocks) {
      Value perBatch = arith::MulIOp::create(
          nb, loc, arith::ConstantIndexOp::create(nb, loc, heads), blocks);
      Value batch = arith::DivUIOp::create(nb, loc, t, perBatch);
      Value rest = arith::RemUIOp::create(nb, loc, t, perBatch);
      return std::array<Value, 3>{
          batch, arith::DivUIOp::create(nb, loc, rest, blocks),
          arith::RemUIOp::create(nb, loc, rest, blocks)};
    };
    BlockBuilder blocks(b, loc, a);

    // The real rows and keys, without the padding.
    auto unpad = [&](Value x, ArrayRef<OpFoldResult> realSizes) -> Value {
      SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
      if (isEqualConstantIntOrValue(sizes[2], realSizes[2]))
        return x;
      sizes[2] = realSizes[2];
      SmallVector<OpFoldResult> zeros(4, b.getIndexAttr(0)),
          ones(4, b.getIndexAttr(1));
      return tensor::ExtractSliceOp::create(b, loc, x, zeros, sizes, ones);
    };
    // The keys pass: dK and dV of each key block.
    Value keyIterations = arith::MulIOp::create(
        b, loc, batches,
        arith::MulIOp::create(b, loc,
                              arith::ConstantIndexOp::create(b, loc, hkv),
                              numKV));
    // On one thread, dQ is accumulated in the keys pass as well (FlashAttention-2's
    // 5 products): its iterations run in turn, so none races on dQ.
    bool dqInKeysPass = !options.parallelQueryBlocks;
    SmallVector<Value> carriedDQ;
    if (dqInKeysPass)
      carriedDQ.push_back(
          filled(b, loc, tensor::getMixedSizes(b, loc, q), zero));
    SmallVector<Value> keyGrads = attn::loopWritingSlices(
        b, loc, keyIterations, {emptyLike(k), emptyLike(v)}, carriedDQ,
        options.parallelQueryBlocks,
        [&](Value t, SmallVectorImpl<Value> &dQAll,
            SmallVectorImpl<Value> &parts,
            SmallVectorImpl<SmallVector<OpFoldResult>> &offsets,
            SmallVectorImpl<SmallVector<OpFoldResult>> &sizes) {
          // (Named values, not bindings: the block lambdas capture them.)
          std::array<Value, 3> where = split(b, t, hkv, numKV);
          Value batch = where[0], kvHead = where[1], block = where[2];
          Value kb = arith::MulIOp::create(b, loc, block, stepKV);
          Value kBlock = blocks.rows2D(k, batch, kvHead, kb, blockKV);
          Value vBlock = blocks.rows2D(v, batch, kvHead, kb, blockKV);
          Value kT = blocks.transpose(kBlock), vT = blocks.transpose(vBlock);
          // The query blocks with a row that sees a key of the block: row
          // i sees key j when i + d - left <= j <= i + d + right (right 0
          // with causal), so from the block of row kb - d - right to that
          // of row kb + blockKV - 1 - d + left.
          Value firstQ = zeroIndex, endQ = paddedRowsValue;
          AffineExpr s0 = getAffineSymbolExpr(0, ctx),
                     s1 = getAffineSymbolExpr(1, ctx),
                     s2 = getAffineSymbolExpr(2, ctx);
          if (std::optional<int64_t> right = a.rightReach()) {
            OpFoldResult first = affine::makeComposedFoldedAffineMax(
                b, loc,
                AffineMap::get(0, 2,
                               {(s0 - s1 - *right).floorDiv(blockQ) * blockQ,
                                getAffineConstantExpr(0, ctx)},
                               ctx),
                {kb, a.diagonal});
            firstQ = getValueOrCreateConstantIndexOp(b, loc, first);
          }
          if (a.windowLeft) {
            OpFoldResult end = affine::makeComposedFoldedAffineMin(
                b, loc,
                AffineMap::get(0, 3,
                               {(s0 + blockKV - 1 - s1 + *a.windowLeft)
                                        .floorDiv(blockQ) *
                                    blockQ +
                                    blockQ,
                                s2},
                               ctx),
                {kb, a.diagonal, paddedRowsValue});
            endQ = getValueOrCreateConstantIndexOp(b, loc, end);
          }
          SmallVector<Value> headInits{blocks.zeros({kRows, dim}),
                                       blocks.zeros({kRows, dimV})};
          llvm::append_range(headInits, dQAll);
          auto heads = scf::ForOp::create(
              b, loc, zeroIndex, arith::ConstantIndexOp::create(b, loc, groups),
              oneIndex, headInits);
          {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPointToStart(heads.getBody());
            Value head = arith::AddIOp::create(
                b, loc,
                arith::MulIOp::create(
                    b, loc, kvHead,
                    arith::ConstantIndexOp::create(b, loc, groups)),
                heads.getInductionVar());
            auto queries = scf::ForOp::create(b, loc, firstQ, endQ, stepQ,
                                              heads.getRegionIterArgs());
            {
              OpBuilder::InsertionGuard inner(b);
              b.setInsertionPointToStart(queries.getBody());
              Value qb = queries.getInductionVar();
              ValueRange acc = queries.getRegionIterArgs();
              // A block the block mask says empty is never computed.
              SmallVector<Value> yielded = blocks.unlessEmpty(
                  batch, head, qb, kb, acc, [&]() -> SmallVector<Value> {
                    Value qBlock = blocks.rows2D(q, batch, head, qb, blockQ);
                    Value dOBlock = blocks.rows2D(dO, batch, head, qb, blockQ);
                    Value mask = a.mask ? blocks.maskBlock(batch, head, qb, kb,
                                                           blockQ, blockKV)
                                        : Value();
                    auto [p, dS] = blocks.probabilitiesAndGradients(
                        qBlock, kT, dOBlock, vT,
                        blocks.rows1D(lse, batch, head, qb, blockQ),
                        blocks.rows1D(d, batch, head, qb, blockQ), mask, batch,
                        head, qb, kb);
                    // dK += dSᵀ q, dV += Pᵀ dO
                    dS = blocks.productOperand(dS);
                    Value dK = blockMatmul(b, loc, dS, qBlock, acc[0],
                                           /*lhsTransposed=*/true);
                    Value dV =
                        blockMatmul(b, loc, blocks.productOperand(p), dOBlock,
                                    acc[1], /*lhsTransposed=*/true);
                    SmallVector<Value> yielded{dK, dV};
                    if (dqInKeysPass) {
                      // dQ[rows of the block] += dS k
                      Value dQ = blockMatmul(
                          b, loc, dS, kBlock,
                          blocks.rows2D(acc[2], batch, head, qb, blockQ));
                      OpFoldResult one = b.getIndexAttr(1);
                      yielded.push_back(tensor::InsertSliceOp::create(
                          b, loc, dQ, acc[2],
                          {batch, head, qb, b.getIndexAttr(0)},
                          {one, one, b.getIndexAttr(blockQ), dim},
                          {one, one, one, one}));
                    }
                    return yielded;
                  });
              scf::YieldOp::create(b, loc, yielded);
            }
            scf::YieldOp::create(b, loc, queries.getResults());
          }
          OpFoldResult one = b.getIndexAttr(1), zeroAttr = b.getIndexAttr(0);
          if (dqInKeysPass)
            dQAll.assign({heads.getResult(2)});
          for (auto [part, width] :
               llvm::zip_equal(heads.getResults().take_front(2),
                               std::array<OpFoldResult, 2>{dim, dimV})) {
            parts.push_back(part);
            offsets.push_back({batch, kvHead, kb, zeroAttr});
            sizes.push_back({one, one, b.getIndexAttr(blockKV), width});
          }
        });

    if (dqInKeysPass)
      return {unpad(keyGrads[2], a.qSizes), unpad(keyGrads[0], a.kSizes),
              unpad(keyGrads[1], a.vSizes)};

    // The queries pass (threads): dQ of each query block.
    Value queryIterations = arith::MulIOp::create(
        b, loc, batches,
        arith::MulIOp::create(b, loc,
                              arith::ConstantIndexOp::create(b, loc, hq),
                              numQ));
    SmallVector<Value> queryGrads = attn::loopWritingSlices(
        b, loc, queryIterations, {emptyLike(q)}, {},
        options.parallelQueryBlocks,
        [&](Value t, SmallVectorImpl<Value> &, SmallVectorImpl<Value> &parts,
            SmallVectorImpl<SmallVector<OpFoldResult>> &offsets,
            SmallVectorImpl<SmallVector<OpFoldResult>> &sizes) {
          std::array<Value, 3> where = split(b, t, hq, numQ);
          Value batch = where[0], head = where[1], block = where[2];
          Value qb = arith::MulIOp::create(b, loc, block, stepQ);
          Value kvHead = arith::DivUIOp::create(
              b, loc, head, arith::ConstantIndexOp::create(b, loc, groups));
          Value qBlock = blocks.rows2D(q, batch, head, qb, blockQ);
          Value dOBlock = blocks.rows2D(dO, batch, head, qb, blockQ);
          Value lseBlock = blocks.rows1D(lse, batch, head, qb, blockQ);
          Value dBlock = blocks.rows1D(d, batch, head, qb, blockQ);
          // The keys no row of the block sees are skipped: from the block
          // of key qb + d - left (the first row's leftmost) to
          // end = clamp(min(qb + blockQ, M) + d + right, 0, N) (right 0 with
          // causal).
          Value start = zeroIndex, end = keys;
          AffineExpr s0 = getAffineSymbolExpr(0, ctx),
                     s1 = getAffineSymbolExpr(1, ctx);
          if (std::optional<int64_t> right = a.rightReach()) {
            OpFoldResult lastRow = affine::makeComposedFoldedAffineMin(
                b, loc, AffineMap::get(0, 2, {s0 + blockQ, s1}, ctx),
                {qb, rows});
            OpFoldResult seen = affine::makeComposedFoldedAffineMax(
                b, loc,
                AffineMap::get(0, 2,
                               {s0 + s1 + *right, getAffineConstantExpr(0, ctx)},
                               ctx),
                {lastRow, a.diagonal});
            end = getValueOrCreateConstantIndexOp(
                b, loc,
                affine::makeComposedFoldedAffineMin(
                    b, loc, AffineMap::get(0, 2, {s0, s1}, ctx),
                    {seen, keys}));
          }
          if (a.windowLeft) {
            OpFoldResult first = affine::makeComposedFoldedAffineMax(
                b, loc,
                AffineMap::get(0, 2,
                               {(s0 + s1 - *a.windowLeft).floorDiv(blockKV) *
                                    blockKV,
                                getAffineConstantExpr(0, ctx)},
                               ctx),
                {qb, a.diagonal});
            start = getValueOrCreateConstantIndexOp(b, loc, first);
          }
          auto keyLoop =
              scf::ForOp::create(b, loc, start, end, stepKV,
                                 ValueRange{blocks.zeros({qRows, dim})});
          {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPointToStart(keyLoop.getBody());
            Value kb = keyLoop.getInductionVar();
            ValueRange acc = keyLoop.getRegionIterArgs();
            SmallVector<Value> dQ = blocks.unlessEmpty(
                batch, head, qb, kb, acc, [&]() -> SmallVector<Value> {
                  Value kBlock = blocks.rows2D(k, batch, kvHead, kb, blockKV);
                  Value vBlock = blocks.rows2D(v, batch, kvHead, kb, blockKV);
                  Value mask = a.mask ? blocks.maskBlock(batch, head, qb, kb,
                                                         blockQ, blockKV)
                                      : Value();
                  auto [p, dS] = blocks.probabilitiesAndGradients(
                      qBlock, blocks.transpose(kBlock), dOBlock,
                      blocks.transpose(vBlock), lseBlock, dBlock, mask, batch,
                      head, qb, kb);
                  (void)p;
                  // dQ += dS k
                  return {blockMatmul(b, loc, blocks.productOperand(dS), kBlock,
                                      acc[0])};
                });
            scf::YieldOp::create(b, loc, dQ);
          }
          OpFoldResult one = b.getIndexAttr(1);
          parts.push_back(keyLoop.getResult(0));
          offsets.push_back({batch, head, qb, b.getIndexAttr(0)});
          sizes.push_back({one, one, b.getIndexAttr(blockQ), dim});
        });

    return {unpad(queryGrads[0], a.qSizes), unpad(keyGrads[0], a.kSizes),
            unpad(keyGrads[1], a.vSizes)};
  }

  attn::AttentionLoweringOptions options;
};

} // namespace

bool attn::lowersToFlash(attn::AttentionBackwardOp op,
                         const AttentionLoweringOptions &options) {
  // A static 0 anywhere leaves the blocks nothing to slice: the
  // decomposition handles empty sizes.
  EmptySizes empty =
      emptySizes(op.getQuery(), op.getKey(), op.getValue(), op.getMask());
  return options.lowering == AttentionLowering::Flash && !empty.result &&
         !empty.keys && !empty.features;
}

void attn::populateAttentionBackwardToLinalgPatterns(
    RewritePatternSet &patterns, AttentionLoweringOptions options) {
  patterns.add<AttentionBackwardToFlash>(patterns.getContext(), options);
}
