//===- AttnUtils.h - IR building helpers shared by the attn libraries -*- C++
//-*-===//
//
// The one home of the helpers that the ops' decompositions (AggregatedOp
// InterfaceImpl.cpp), their tiles and the flash lowering all build with:
// constants, generics, maps, and the operands of an attention brought to
// rank 4.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNDIALECT_DIALECT_ATTN_ATTNUTILS_H
#define ATTNDIALECT_DIALECT_ATTN_ATTNUTILS_H

#include "AttnDialect/Dialect/Attn/AttnOps.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::attn {

Value floatConstant(OpBuilder &b, Location loc, Type type, double value);

/// -inf of the float type `type`.
Value negInfinity(OpBuilder &b, Location loc, Type type);

/// Whether the float `v` is -inf.
Value isNegInfinity(OpBuilder &b, Location loc, Value v);

/// The shift of a row whose running maximum is `x`: x, or 0 while x is -inf
/// (no entry seen yet), so that no -inf - -inf is formed.
Value safeShift(OpBuilder &b, Location loc, Value x);

/// exp(x - safeShift(max)).
Value expShifted(OpBuilder &b, Location loc, Value x, Value max);

/// exp(x) of an `x` never positive (`x - max`; -inf or NaN allowed), marked
/// attn.nonpositive for the cheaper expansion of --attn-approximate-math.
Value expNonPositive(OpBuilder &b, Location loc, Value x);

/// exp2(x) of an `x` never positive (`s - max`; -inf or NaN allowed), marked
/// attn.nonpositive for the cheaper expansion of --attn-approximate-math.
Value exp2NonPositive(OpBuilder &b, Location loc, Value x);

/// init + lhs rhs over (i, j, r) of 2-D blocks: lhs [i, r] ([r, i] with
/// `lhsTransposed`), rhs [r, j], init [i, j]. The form that
/// --attn-vectorize-contractions register-blocks.
Value blockMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs, Value init,
                  bool lhsTransposed = false);

/// A tensor of `sizes` filled with `value`.
Value filled(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
             Value value);

/// `x` with its elements extended or truncated to the float type
/// `elementType`, by an elementwise generic that fusion takes into its
/// consumer.
Value convertElements(OpBuilder &b, Location loc, Value x, Type elementType);

/// A linalg.generic with one result into `init`; `body` maps the input
/// elements and the accumulator to the yielded value.
Value buildGeneric(OpBuilder &b, Location loc, ValueRange inputs,
                   ArrayRef<AffineMap> inputMaps, Value init, AffineMap initMap,
                   ArrayRef<utils::IteratorType> iterators,
                   function_ref<Value(OpBuilder &, Location, ValueRange)> body);

/// An affine map of `numDims` dims selecting `dims` (-1: the constant 0).
AffineMap dimsMap(MLIRContext *ctx, unsigned numDims, ArrayRef<int64_t> dims);

/// The grouped-query map of key/value: (b, h, x, y) -> (b, h floordiv G, x, y)
/// over the dims `batch, head, row, col` of a `numDims`-dim iteration space.
AffineMap groupedMap(MLIRContext *ctx, unsigned numDims, int64_t groups,
                     unsigned row, unsigned col);

/// The map reading `mask` (same rank as the iteration space) over the
/// iteration space: its unit dims broadcast.
AffineMap broadcastMap(MLIRContext *ctx, Value mask);

/// `x` with leading unit dims up to `rank`.
Value expandToRank(OpBuilder &b, Location loc, Value x, int64_t rank);

/// `x` of rank 1 to 4 with leading unit dims up to rank 4.
Value expandToRank4(OpBuilder &b, Location loc, Value x);

/// `x` without its leading `drop` dims, all static 1: a rank-reducing
/// slice.
Value dropLeadingUnitDims(OpBuilder &b, Location loc, Value x, int64_t drop);

/// `x` back to `rank`, folding its leading unit dims.
Value collapseToRank(OpBuilder &b, Location loc, Value x, int64_t rank);

/// Dropout of an attention's probabilities (`dropout = p rng %state`): the
/// keep bit of score (b, h, i, j) is a hash of the state and the indices.
struct Dropout {
  double p = 0.0;
  Value key; // i32: the state [seed, offset] hashed; null without dropout
  /// The indices (b, h, i, j) of the op's first score in the attention's.
  SmallVector<Value> origin;
  explicit operator bool() const { return key != nullptr; }
};

/// The generator state `rng` ([seed, offset], tensor<2xi64>) hashed into
/// an i32 key.
Value dropoutKey(OpBuilder &b, Location loc, Value rng);

/// The i32 key of the scores of row `row` of query head `head` of batch
/// `batch` (index values).
Value dropoutRowKey(OpBuilder &b, Location loc, Value key, Value batch,
                    Value head, Value row);

/// 1 / (1 - p) where dropout keeps score `col` (an index) of the row of
/// `rowKey`, 0 where it drops it; a float of `type`.
Value dropoutFactor(OpBuilder &b, Location loc, Value rowKey, Value col,
                    double p, Type type);

/// The operands of an attention at rank 4 and what its lowerings need.
struct AttentionOperands {
  Value q, k, v, mask; // rank 4; mask null or rank 4
  int64_t groups;      // query heads per key/value head
  Value scale;
  Type elementType;
  SmallVector<OpFoldResult> qSizes, kSizes, vSizes;
  bool causal;
  // Sliding window: key j is hidden from query i when j < i + d - left or
  // j > i + d + right (none: unbounded on that side).
  std::optional<int64_t> windowLeft, windowRight;
  std::optional<double> softcap; // s -> softcap * tanh(s / softcap)
  Value slopes; // ALiBi: s -= slopes[h] |i + d - j| ([H]) or null
  // The op's score_mod and mask_mod regions (null when empty), evaluated at
  // the scores' absolute indices: `origin` (batch, head, row, key offsets
  // of these operands in the whole attention; empty: all 0) plus their own.
  Region *scoreMod = nullptr, *maskMod = nullptr;
  SmallVector<Value> origin;
  // The block mask [B | 1, H | 1, blocks of rows, blocks of keys] (rank 4)
  // of blocks of blockMaskRows x blockMaskKeys, or null.
  Value blockMask;
  int64_t blockMaskRows = 0, blockMaskKeys = 0;
  Value diagonal;       // d: the key aligned with each query row
  bool defaultDiagonal; // diagonal == N - M
  bool zeroRows;
  Dropout dropout;

  /// Whether a score depends on where its key is from the diagonal (causal,
  /// window, ALiBi): then `diagonal` is set.
  bool positional() const {
    return causal || windowLeft || windowRight || slopes;
  }
  /// Whether the scores go through a user region.
  bool hasRegions() const { return scoreMod || maskMod; }
  /// Whether keys are hidden by their position (causal or window).
  bool hidesByPosition() const { return causal || windowLeft || windowRight; }
  /// The furthest key right of the diagonal a row sees, if bounded
  /// (causal: 0).
  std::optional<int64_t> rightReach() const {
    if (causal)
      return windowRight ? std::min<int64_t>(*windowRight, 0) : 0;
    return windowRight;
  }
};

/// The operands of `op` at rank 4, its scale (1 / sqrt(max(D, 1)) unless
/// given) and causal diagonal (N - M unless given). Fails when the head
/// counts are dynamic (heads are grouped through an affine floordiv), which
/// the lowering pass reports before it rewrites anything.
FailureOr<AttentionOperands> prepareAttention(OpBuilder &b, AttentionOp op);
FailureOr<AttentionOperands> prepareAttention(OpBuilder &b,
                                              OnlineAttentionOp op);
/// (`computeType`: the scores' and the scale's type when it is not the
/// operands', f32 for a backward with bf16 products.)
FailureOr<AttentionOperands> prepareAttention(OpBuilder &b,
                                              AttentionBackwardOp op,
                                              Type computeType = {});

/// `compute()`'s values where `condition` holds, else `unchanged` (of the
/// same types): an scf.if that skips work whose result is known.
SmallVector<Value> computedIf(OpBuilder &b, Location loc, Value condition,
                              ValueRange unchanged,
                              function_ref<SmallVector<Value>()> compute);

/// The kind of the block mask's block (`a.blockMask`) holding query block
/// `qb` of head `h` of batch `batch` and key block `kb`: 0 empty, 1
/// partial, 2 full.
Value blockMaskKind(OpBuilder &b, Location loc, const AttentionOperands &a,
                    Value batch, Value h, Value qb, Value kb);

/// What a size that is a static 0 in any operand (the others agree at run
/// time) leaves of an attention.
struct EmptySizes {
  bool result;   // no batch, query head, query row or value feature
  bool keys;     // no key (N)
  bool features; // no query/key feature (D)
};

EmptySizes emptySizes(AttentionOp op);
EmptySizes emptySizes(Value query, Value key, Value value, Value mask);

/// The result of an attention that a static 0 size leaves nothing to
/// compute (no result element, or rows that see no key), or null.
Value emptyAttentionResult(OpBuilder &b, AttentionOp op);

/// The row logsumexp (`with_lse`) of an attention whose batch, query heads
/// or query rows are a static 0 (an empty tensor), or null.
Value emptyAttentionLse(OpBuilder &b, AttentionOp op);

/// The logsumexp of each query row's scaled, masked scores [B, H, M] at
/// rank 4, +inf for a row that sees no key (`with_lse`): from all the
/// scores, as the decomposed lowering computes them.
Value attentionLse(OpBuilder &b, Location loc, const AttentionOperands &a);

/// Scores of the query rows from `rowOffset` and keys from `colOffset` (the
/// last two dims of `scores`, queries first; keys first with `keyMajor`, on
/// a 2-D block):
///   s = softcap(s * scale) - slope |i + d - j| + mask
/// with `score_mod` applied after ALiBi, and -inf where a key is hidden
/// (causal, window, a false boolean mask, `mask_mod`).
/// Without `scale`, the scores are scaled already. The mask is laid out
/// queries first (key-major scores read it transposed). A 2-D block is of
/// batch `batch` and query head `head` (null: `a.origin`'s), its ALiBi slope
/// `a.slopes[head]` (`head` null: its only entry).
Value maskedScores(OpBuilder &b, Location loc, const AttentionOperands &a,
                   Value scores, Value mask, Value rowOffset, Value colOffset,
                   Value causalOffset, Value scale, bool keyMajor = false,
                   Value batch = Value(), Value head = Value());

/// The value a single-block region yields for `arguments`, its operations
/// cloned at `b`'s insertion point (those `prebuilt` maps already computed
/// elsewhere are not).
Value inlineRegion(OpBuilder &b, Region &region, ValueRange arguments,
                   const IRMapping *prebuilt = nullptr);

/// A score_mod region's value for `arguments` and its derivative with
/// respect to the score (the first argument), by forward-mode rules over
/// its ops (see firstNonDifferentiable), both built at `b`.
std::pair<Value, Value> differentiateRegion(OpBuilder &b, Region &region,
                                            ValueRange arguments,
                                            const IRMapping *prebuilt = nullptr);

/// The first op of a score_mod region whose float result depends on the
/// score and has no derivative rule (addf, subf, mulf, divf, negf, select,
/// maximumf, minimumf, maxnumf, minnumf, extf, truncf, tanh, exp, log,
/// sqrt, absf), or null.
Operation *firstNonDifferentiable(Region &scoreMod);

/// maskedScores and, in `*derivative`, d s / d u of each final score with
/// respect to its scaled product u = q·k * scale (through the softcap and
/// score_mod; 0 where the score is hidden; null when it is 1 everywhere).
Value maskedScoresAndDerivative(OpBuilder &b, Location loc,
                                const AttentionOperands &a, Value scores,
                                Value mask, Value rowOffset, Value colOffset,
                                Value causalOffset, Value scale,
                                Value *derivative, bool keyMajor = false,
                                Value batch = Value(), Value head = Value());

/// Clones `from`'s score_mod and mask_mod regions into `to`'s (both
/// attention ops).
void copyModRegions(Operation *from, Operation *to);

/// Makes `op`'s score_mod and mask_mod regions see their query index
/// clamped to `lastRow` and their key index to `lastKey` (values defined
/// above `op`): a lowering that pads the rows and keys to whole blocks
/// evaluates the regions on padding too, whose scores it drops or hides,
/// and a region reading a captured tensor by index must stay in bounds.
void clampModIndices(OpBuilder &b, Operation *op, Value lastRow,
                     Value lastKey);

/// init + sum over the last of 5 loops (b, h, i, x, r) of lhs * rhs: lhs
/// read as (b, h, i, r), rhs through `rhsMap` (grouped heads).
Value accumulateProducts(OpBuilder &b, Location loc, Value lhs, Value rhs,
                         AffineMap rhsMap, Value init);

/// q kᵀ over (b, h, i, j, d) into a zero-filled [B, H, rows, cols].
Value queryKeyProduct(OpBuilder &b, Location loc, const AttentionOperands &a,
                      Value q, Value k);

/// acc + p v over (b, h, i, e, j) into `init` [B, H, rows, Dv].
Value probabilityValueProduct(OpBuilder &b, Location loc,
                              const AttentionOperands &a, Value p, Value v,
                              Value init);

/// A class target of xent_logits: whether it is `ignoreIndex`, its index,
/// and whether it is a class in [0, numClasses).
struct TargetClass {
  Value ignored, index, zeroIndex, inRange;
};
TargetClass classifyTarget(OpBuilder &b, Location loc, Value target,
                           int64_t ignoreIndex, Value numClasses);

/// Each row's loss from its logsumexp `lse` and target logit `picked` (as
/// merged from parts of its classes): 0 for an ignored target, NaN for one
/// outside [0, numClasses), else lse - picked + zLoss lse².
Value lossesFromLse(OpBuilder &b, Location loc, Value target, Value lse,
                    Value picked, int64_t ignoreIndex, Value numClasses,
                    double zLoss);

/// Per-row cross-entropy `losses` (of the rows of `target`) combined by
/// `reduction`: as they are, or their sum or mean over the rows whose
/// target is not `ignoreIndex`, formed in f64 and rounded once to
/// `elementType` (0 / 0 = NaN for a mean of no kept row). With
/// `rowWeights`, the mean divides by the kept rows' weights, not their
/// count.
Value reduceLosses(OpBuilder &b, Location loc, Value losses, Value target,
                   int64_t ignoreIndex, Reduction reduction, Type elementType,
                   Value rowWeights = {});

/// The options of a cross-entropy of logits (xent_logits, linear_xent and
/// their backwards).
struct XentOptions {
  int64_t ignoreIndex;
  Reduction reduction;
  double smoothing; // label_smoothing e
  double zLoss;     // zl
  std::optional<double> softcap;
};
XentOptions xentOptions(XentLogitsOp op);
XentOptions xentOptions(XentLogitsBackwardOp op);
XentOptions xentOptions(LinearXentOp op);
XentOptions xentOptions(LinearXentBackwardOp op);

/// cap tanh(z / cap) of a logit `z` with a softcap, `z` itself without.
Value capLogit(OpBuilder &b, Location loc, Value z, const XentOptions &options);

/// The class weights of each row: `weight[t]` [rows] (read at class 0 where
/// the target is not a class; its loss drops it).
Value targetWeights(OpBuilder &b, Location loc, const XentOptions &options,
                    Value weight, Value target, Value numClasses);

/// sum_c weight[c], a rank-0 tensor.
Value totalWeight(OpBuilder &b, Location loc, Value weight);

/// The per-row losses and lse [rows] from each row's shift `ms` (its max,
/// 0 while -inf), sum `s` of exp(z - ms), target logit `zt`, and, with
/// label smoothing, `sumWZ` = sum_c w[c] z[c]; with class weights, the
/// rows' `wt` = w[t] and the rank-0 `totalW` = sum_c w[c] (null without):
///   lse  = ms + log s
///   loss = (1 - e) wt ((ms - zt) + log s) + e/C (W lse - sumWZ) + zl lse²
/// (W = C without weights), 0 where the target is ignored, NaN where it is
/// out of range. The lse only `withLse` (null otherwise).
std::pair<Value, Value> xentLosses(OpBuilder &b, Location loc,
                                   const XentOptions &options, Value target,
                                   Value ms, Value s, Value sumWZ, Value zt,
                                   Value wt, Value totalW, Value numClasses,
                                   bool withLse);

/// What each row's logits' gradients need, [rows] of the element type of
/// `lse`: `g` the gradient reaching the row's loss (grad[...], grad, or
/// grad / kept for a mean, kept the kept rows' w[t]; 0 for an ignored
/// target, NaN for one out of range), `a = g ((1 - e) w[t] + e W / C +
/// 2 zl lse)` (the probabilities' coefficient) and `targetShare = g (1 -
/// e) w[t]`.
struct XentRowGradients {
  Value g, a, targetShare;
};
XentRowGradients xentRowGradients(OpBuilder &b, Location loc,
                                  const XentOptions &options, Value grad,
                                  Value target, Value lse, Value wt,
                                  Value totalW, Value numClasses);

/// The gradient of one raw logit `z` (before the cap) of a row whose
/// probabilities are p = exp(cap(z) - shift) inverseSum (the row's max and
/// 1 / sum of exp(z - max), which keep every digit of p; or its lse and
/// null, which keep those of lse), with `g`, `a` and `targetShare`
/// (xentRowGradients); `isTarget` (i1) whether its class is the target,
/// `classWeight` its w[c] (null: 1), `numClasses` a float:
///   dz = a p - targetShare [isTarget] - g e w[c] / C
/// times 1 - tanh²(z / cap) with a softcap.
Value xentLogitGradient(OpBuilder &b, Location loc, const XentOptions &options,
                        Value z, Value shift, Value inverseSum, Value g,
                        Value a, Value targetShare, Value isTarget,
                        Value classWeight, Value numClasses);

/// Each token's target logit cap(hidden[n] · classifier[t] + bias[t]) [N]
/// of a linear_xent: one dot product per token (read at class 0 where the
/// target is not a class; the loss drops it).
Value linearXentTargetLogits(OpBuilder &b, Location loc,
                             const XentOptions &options, Value hidden,
                             Value classifier, Value bias, Value target);

/// A loop over [0, count) whose iterations each write the slices of
/// `outs` that `body` returns (at the offsets and sizes it gives): an
/// scf.forall when `parallel`, an scf.for otherwise, which may also carry
/// `carried` values from one iteration to the next (`body` updates them in
/// place). `body` gets the induction variable, the carried values, and
/// appends each out's part, offsets and sizes. Returns the outs, then the
/// carried values.
using SliceWriter = function_ref<void(
    Value, SmallVectorImpl<Value> &, SmallVectorImpl<Value> &,
    SmallVectorImpl<SmallVector<OpFoldResult>> &,
    SmallVectorImpl<SmallVector<OpFoldResult>> &)>;
SmallVector<Value> loopWritingSlices(OpBuilder &b, Location loc, Value count,
                                     ValueRange outs, ValueRange carried,
                                     bool parallel, SliceWriter body);

/// `size` rounded up to a multiple of `block`.
OpFoldResult roundUp(OpBuilder &b, Location loc, OpFoldResult size,
                     int64_t block);

/// `x` grown to `sizes`, the elements past it along dim d set to
/// `padding[d]` (where several dims are past, the first one's); `x` if it
/// has the sizes already, and, where a size is dynamic, `x` itself when the
/// sizes turn out equal at run time (an scf.if: a copy only when needed).
Value padTo(OpBuilder &b, Location loc, Value x, ArrayRef<OpFoldResult> sizes,
            ArrayRef<Value> padding);

} // namespace mlir::attn

#endif // ATTNDIALECT_DIALECT_ATTN_ATTNUTILS_H
