//===- AttnOps.cpp - attn op verification and type inference --------------===//
//
// Type inference only drops the last dimension of the first operand; the
// verifiers check every rule, the result type included, so that each broken
// rule gives exactly one diagnostic at the op's location, whether the op was
// written in custom or generic form.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Dialect/Attn/AttnOps.h"
#include "AttnDialect/Dialect/Attn/AttnUtils.h"
#include "AttnDialect/Dialect/Attn/ShapeRules.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

/// `type` without its last dimension.
static RankedTensorType dropLastDim(RankedTensorType type) {
  return RankedTensorType::get(type.getShape().drop_back(),
                               type.getElementType());
}

/// Infers the type of a reduction of `input` over its last dimension.
static LogicalResult inferReductionType(std::optional<Location> loc,
                                        StringRef opName, StringRef inputName,
                                        Value input,
                                        SmallVectorImpl<Type> &inferred) {
  // The custom parser infers before anything is verified, so the operand may
  // be of any type here.
  auto type = dyn_cast<RankedTensorType>(input.getType());
  if (!type || type.getRank() < 1)
    return emitOptionalError(loc, "'", opName, "' op expects ", inputName,
                             " of rank >= 1 (a last dimension to reduce), got ",
                             input.getType());
  inferred.push_back(dropLastDim(type));
  return success();
}

/// Checks that `op`'s result type is `expected`, described by `what`.
static LogicalResult verifyResultType(Operation *op, Type expected,
                                      StringRef what) {
  Type result = op->getResult(0).getType();
  if (result == expected)
    return success();
  return op->emitOpError("expects result type ")
         << expected << " (" << what << "), got " << result;
}

/// Checks that `type` has the element type of `reference`.
static LogicalResult verifySameElementType(Operation *op, StringRef name,
                                           RankedTensorType type,
                                           StringRef refName,
                                           RankedTensorType reference) {
  if (type.getElementType() == reference.getElementType())
    return success();
  return op->emitOpError("expects ")
         << name << " element type " << type.getElementType() << " to match "
         << refName << " element type " << reference.getElementType();
}

/// Checks an additive mask of `scores`: of scores' element type, and either
/// [M, N] (the trailing two dims, broadcast over the others) or of scores'
/// shape.
static LogicalResult verifyAdditiveMask(Operation *op, StringRef scoresName,
                                        RankedTensorType scores,
                                        RankedTensorType mask) {
  if (failed(verifySameElementType(op, "mask", mask, scoresName, scores)))
    return failure();
  int64_t rank = scores.getRank(), maskRank = mask.getRank();
  if (maskRank != rank && maskRank != 2)
    return op->emitOpError("expects mask of rank 2 ([M, N]) or of the rank of ")
           << scoresName << " (" << rank << "), got " << mask;
  if (maskRank > rank)
    return op->emitOpError("expects mask rank (")
           << maskRank << ") <= " << scoresName << " rank (" << rank << ")";
  return verifySizeRules(
      op, [](const SizeRule &rule) { return rule.lhsName == "mask"; });
}

/// Checks that an explicit causal diagonal comes with `causal`.
static LogicalResult verifyDiagonal(Operation *op, bool causal,
                                    Value diagonal) {
  if (diagonal && !causal)
    return op->emitOpError("expects 'diagonal' only with 'causal' (it places "
                           "the causal mask's diagonal)");
  return success();
}

/// Checks the masks of a softmax-family op.
static LogicalResult verifyRowMasks(Operation *op, RankedTensorType input,
                                    Value mask, bool causal, Value diagonal) {
  if (failed(verifyDiagonal(op, causal, diagonal)))
    return failure();
  if (mask && failed(verifyAdditiveMask(
                  op, "input", input, cast<RankedTensorType>(mask.getType()))))
    return failure();
  if (causal && input.getRank() < 2)
    return op->emitOpError("expects input of rank >= 2 ([..., M, N]) to be "
                           "causally masked, got ")
           << input;
  return success();
}

//===----------------------------------------------------------------------===//
// MaskedMaxOp
//===----------------------------------------------------------------------===//

LogicalResult MaskedMaxOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  return inferReductionType(loc, getOperationName(), "scores",
                            adaptor.getScores(), inferred);
}

LogicalResult MaskedMaxOp::verify() {
  RankedTensorType scores = getScores().getType();
  if (failed(verifyAdditiveMask(*this, "scores", scores, getMask().getType())))
    return failure();
  return verifyResultType(*this, dropLastDim(scores),
                          "scores without its last dimension");
}

//===----------------------------------------------------------------------===//
// SumSqOp
//===----------------------------------------------------------------------===//

LogicalResult SumSqOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  return inferReductionType(loc, getOperationName(), "input",
                            adaptor.getInput(), inferred);
}

LogicalResult SumSqOp::verify() {
  return verifyResultType(*this, dropLastDim(getInput().getType()),
                          "input without its last dimension");
}

//===----------------------------------------------------------------------===//
// XentOp
//===----------------------------------------------------------------------===//

LogicalResult XentOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &inferred) {
  return inferReductionType(loc, getOperationName(), "p", adaptor.getP(),
                            inferred);
}

LogicalResult XentOp::verify() {
  RankedTensorType p = getP().getType(), q = getQ().getType();
  if (failed(verifySameElementType(*this, "q", q, "p", p)))
    return failure();
  if (q.getRank() != p.getRank())
    return emitOpError("expects q of the rank of p (")
           << p.getRank() << "), got " << q;
  if (failed(verifySizeRules(*this, [](const SizeRule &) { return true; })))
    return failure();
  return verifyResultType(*this, dropLastDim(p),
                          "p without its last dimension");
}

//===----------------------------------------------------------------------===//
// Softmax family
//===----------------------------------------------------------------------===//

/// Infers the type of a row-wise op that keeps the shape of its input.
static LogicalResult inferSameType(std::optional<Location> loc,
                                   StringRef opName, Value input,
                                   SmallVectorImpl<Type> &inferred) {
  // Reuses the reduction's rank check; the result keeps the last dimension.
  if (failed(inferReductionType(loc, opName, "input", input, inferred)))
    return failure();
  inferred.back() = input.getType();
  return success();
}

LogicalResult SoftmaxOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  return inferSameType(loc, getOperationName(), adaptor.getInput(), inferred);
}

/// Checks a softmax-family op whose result has the type of its input.
template <typename OpT> static LogicalResult verifySameTypeRowOp(OpT op) {
  RankedTensorType input = op.getInput().getType();
  if (failed(verifyRowMasks(op, input, op.getMask(), op.getCausal(),
                            op.getDiagonal())))
    return failure();
  return verifyResultType(op, input, "the type of input");
}

LogicalResult SoftmaxOp::verify() { return verifySameTypeRowOp(*this); }

LogicalResult LogSoftmaxOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &inferred) {
  return inferSameType(loc, getOperationName(), adaptor.getInput(), inferred);
}

LogicalResult LogSoftmaxOp::verify() { return verifySameTypeRowOp(*this); }

LogicalResult LogSumExpOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  return inferReductionType(loc, getOperationName(), "input",
                            adaptor.getInput(), inferred);
}

LogicalResult LogSumExpOp::verify() {
  RankedTensorType input = getInput().getType();
  if (failed(
          verifyRowMasks(*this, input, getMask(), getCausal(), getDiagonal())))
    return failure();
  return verifyResultType(*this, dropLastDim(input),
                          "input without its last dimension");
}

//===----------------------------------------------------------------------===//
// XentLogitsOp
//===----------------------------------------------------------------------===//

/// Checks that `ignore` is a value of the targets' integer type.
static LogicalResult verifyIgnoreIndex(Operation *op, RankedTensorType target,
                                       int64_t ignore) {
  unsigned width = target.getElementType().getIntOrFloatBitWidth();
  if (width < 64 && (ignore < -(int64_t(1) << (width - 1)) ||
                     ignore >= (int64_t(1) << (width - 1))))
    return op->emitOpError("expects ignore_index (")
           << ignore << ") to fit the target element type "
           << target.getElementType();
  return success();
}

/// Checks the options of a cross-entropy of logits (xent_logits,
/// linear_xent and their backwards): the ranges of label_smoothing, z_loss
/// and softcap, and a class `weight` [C] of the `logits`' element type.
static LogicalResult verifyXentOptions(Operation *op, RankedTensorType logits,
                                       Value weight, double smoothing,
                                       double zLoss,
                                       std::optional<APFloat> softcap) {
  if (weight) {
    auto weightType = cast<RankedTensorType>(weight.getType());
    if (weightType.getRank() != 1)
      return op->emitOpError("expects weight of rank 1 (one per class), got ")
             << weightType;
    if (failed(verifySameElementType(op, "weight", weightType, "the logits",
                                     logits)))
      return failure();
  }
  if (!(smoothing >= 0.0 && smoothing <= 1.0))
    return op->emitOpError("expects label_smoothing in [0, 1], got ")
           << smoothing;
  if (!(zLoss >= 0.0 && std::isfinite(zLoss)))
    return op->emitOpError("expects a finite z_loss >= 0, got ") << zLoss;
  if (softcap && !(softcap->convertToDouble() > 0.0 &&
                   std::isfinite(softcap->convertToDouble())))
    return op->emitOpError("expects a positive, finite softcap, got ")
           << softcap->convertToDouble();
  return success();
}

/// The loss type: per row, or one rank-0 value for a sum or mean.
static RankedTensorType xentLogitsType(RankedTensorType logits,
                                       Reduction reduction) {
  if (reduction == Reduction::None)
    return dropLastDim(logits);
  return RankedTensorType::get({}, logits.getElementType());
}

LogicalResult XentLogitsOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &inferred) {
  if (failed(inferReductionType(loc, getOperationName(), "logits",
                                adaptor.getLogits(), inferred)))
    return failure();
  // While parsing, a default-valued attribute that was not written is not
  // set yet: read it as its default.
  Reduction reduction = Reduction::Mean;
  if (ReductionAttr attr = adaptor.getReductionAttr())
    reduction = attr.getValue();
  inferred.back() = xentLogitsType(
      cast<RankedTensorType>(adaptor.getLogits().getType()), reduction);
  return success();
}

/// Checks the targets of a cross-entropy of `logits`: class indices of the
/// rows' rank (ignore_index of their type), or probabilities of the
/// logits' rank and element type.
static LogicalResult verifyClassTargets(Operation *op, RankedTensorType logits,
                                        RankedTensorType target,
                                        int64_t ignoreIndex) {
  if (isa<FloatType>(target.getElementType())) {
    if (target.getRank() != logits.getRank())
      return op->emitOpError("expects class probabilities of the logits' "
                             "rank (")
             << logits.getRank() << "), got " << target;
    return verifySameElementType(op, "class probabilities", target, "logits",
                                 logits);
  }
  if (target.getRank() != logits.getRank() - 1)
    return op->emitOpError("expects target of rank ")
           << logits.getRank() - 1
           << " (logits without the class dimension), got " << target;
  return verifyIgnoreIndex(op, target, ignoreIndex);
}

LogicalResult XentLogitsOp::verify() {
  RankedTensorType logits = getLogits().getType();
  RankedTensorType target = getTarget().getType();
  if (failed(verifyClassTargets(*this, logits, target, getIgnoreIndex())))
    return failure();
  if (failed(verifyXentOptions(*this, logits, getWeight(),
                               getLabelSmoothing().convertToDouble(),
                               getZLoss().convertToDouble(), getSoftcap())))
    return failure();
  if (failed(verifySizeRules(*this, [](const SizeRule &) { return true; })))
    return failure();
  return verifyResultType(*this, xentLogitsType(logits, getReduction()),
                          getReduction() == Reduction::None
                              ? "logits without the class dimension"
                              : "a rank-0 tensor for a sum or mean");
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

/// `query`'s type with its last dimension replaced by `value`'s.
static Type attentionResultType(Type query, Type value) {
  auto q = dyn_cast<RankedTensorType>(query);
  auto v = dyn_cast<RankedTensorType>(value);
  if (!q || !v || q.getRank() < 1 || v.getRank() < 1)
    return {};
  SmallVector<int64_t> shape(q.getShape());
  shape.back() = v.getShape().back();
  return RankedTensorType::get(shape, q.getElementType());
}

/// The row logsumexp of an attention of `query`: [..., M], f32 for f16 and
/// bf16 (the precision the backward recomputes probabilities in).
static RankedTensorType attentionLseType(RankedTensorType query) {
  Type element = query.getElementType();
  if (isa<Float16Type, BFloat16Type>(element))
    element = Float32Type::get(query.getContext());
  return RankedTensorType::get(query.getShape().drop_back(), element);
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  Type result = attentionResultType(adaptor.getQuery().getType(),
                                    adaptor.getValue().getType());
  if (!result)
    return emitOptionalError(
        loc, "'", getOperationName(),
        "' op expects ranked query and value tensors of rank >= 1");
  inferred.push_back(result);
  if (adaptor.getWithLse())
    inferred.push_back(attentionLseType(
        cast<RankedTensorType>(adaptor.getQuery().getType())));
  return success();
}

/// The rules attention and its online form share: ranks, element types,
/// sizes (`sizeRules`), heads, diagonal, scale and mask.
/// Checks an attention's `score_mod` region, `(score: T, b, h, i, j:
/// index) -> T`, and `mask_mod` region, `(b, h, i, j: index) -> i1`, with T
/// the compute type of `query` (f64 for f64, else f32).
static LogicalResult verifyModRegions(Operation *op, RankedTensorType q,
                                      Region &scoreMod, Region &maskMod) {
  MLIRContext *ctx = op->getContext();
  Type compute = q.getElementType().isF64() ? Type(Float64Type::get(ctx))
                                            : Type(Float32Type::get(ctx));
  Type index = IndexType::get(ctx);
  auto check = [&](Region &region, StringRef name, ArrayRef<Type> arguments,
                   Type yielded, StringRef signature) -> LogicalResult {
    if (region.empty())
      return success();
    Block &body = region.front();
    if (body.getArgumentTypes() != TypeRange(arguments))
      return op->emitOpError("expects the ")
             << name << " region's arguments to be " << signature << ", got ("
             << body.getArgumentTypes() << ")";
    auto yield = body.mightHaveTerminator()
                     ? dyn_cast<YieldOp>(body.getTerminator())
                     : YieldOp();
    if (!yield || yield.getValues().size() != 1 ||
        yield.getValues().front().getType() != yielded)
      return op->emitOpError("expects the ")
             << name << " region to end with 'attn.yield' of one " << yielded;
    return success();
  };
  if (failed(check(scoreMod, "score_mod", {compute, index, index, index, index},
                   compute,
                   "(score, batch, head, query, key): the compute type (f32, "
                   "f64 for f64 operands) and four index")))
    return failure();
  return check(maskMod, "mask_mod", {index, index, index, index},
               IntegerType::get(ctx, 1),
               "(batch, head, query, key): four index");
}

/// Checks a block mask `[B | 1, Hq | 1, ceil(M / bq), ceil(N / bkv)]` (of
/// the query's rank) and its block sizes `[bq, bkv]`, given together.
static LogicalResult verifyBlockMask(Operation *op, RankedTensorType q,
                                     RankedTensorType k, Value blockMask,
                                     std::optional<ArrayRef<int64_t>> sizes) {
  if (bool(blockMask) != bool(sizes))
    return op->emitOpError("expects 'block_mask' with its block sizes");
  if (!blockMask)
    return success();
  if (sizes->size() != 2 || (*sizes)[0] < 1 || (*sizes)[1] < 1)
    return op->emitOpError("expects block mask sizes [queries, keys], both "
                           "positive");
  auto type = cast<RankedTensorType>(blockMask.getType());
  int64_t rank = q.getRank();
  if (type.getRank() != rank)
    return op->emitOpError("expects a block mask of the query's rank (")
           << rank << "), got " << type;
  auto blocks = [](int64_t size, int64_t block) -> int64_t {
    return ShapedType::isDynamic(size) ? size
                                       : (size + block - 1) / block;
  };
  int64_t want[] = {blocks(q.getDimSize(rank - 2), (*sizes)[0]),
                    blocks(k.getDimSize(rank - 2), (*sizes)[1])};
  for (int64_t i = 0; i < 2; ++i) {
    int64_t got = type.getDimSize(rank - 2 + i);
    if (!ShapedType::isDynamic(got) && !ShapedType::isDynamic(want[i]) &&
        got != want[i])
      return op->emitOpError("expects ")
             << want[i] << (i == 0 ? " query" : " key")
             << " blocks in the block mask (dimension " << rank - 2 + i
             << "), got " << got;
  }
  for (int64_t d = 0; d < rank - 2; ++d) {
    int64_t got = type.getDimSize(d), size = q.getDimSize(d);
    if (got != 1 && !ShapedType::isDynamic(got) &&
        !ShapedType::isDynamic(size) && got != size)
      return op->emitOpError("expects block mask dimension ")
             << d << " to be 1 or the query's (" << size << "), got " << got;
  }
  return success();
}

template <typename OpT> static LogicalResult verifyBlockMaskOf(OpT op) {
  if constexpr (std::is_same_v<OpT, OnlineAttentionOp>)
    return success();
  else
    return verifyBlockMask(op, op.getQuery().getType(), op.getKey().getType(),
                           op.getBlockMask(), op.getBlockMaskSizes());
}

/// Checks the score options of an attention: a window `[left, right]` of
/// sizes >= -1 (-1 unbounded), a positive finite softcap, ALiBi slopes [Hq]
/// of the query's type, and a diagonal only where it places something.
static LogicalResult
verifyScoreOptions(Operation *op, RankedTensorType q, bool causal,
                   Value diagonal, std::optional<ArrayRef<int64_t>> window,
                   std::optional<APFloat> softcap, Value slopes,
                   RankedTensorType scores, StringRef scoresName) {
  if (window) {
    if (window->size() != 2)
      return op->emitOpError("expects 'window' as [left, right] (two sizes), "
                             "got ")
             << window->size() << " values";
    for (int64_t size : *window)
      if (size < -1)
        return op->emitOpError("expects window sizes >= 0, or -1 for "
                               "unbounded, got ")
               << size;
  }
  if (softcap && !(softcap->isFinite() && softcap->convertToDouble() > 0.0))
    return op->emitOpError("expects a positive finite softcap, got ")
           << softcap->convertToDouble();
  if (slopes) {
    auto type = cast<RankedTensorType>(slopes.getType());
    if (failed(verifySameElementType(op, "alibi slopes", type, scoresName,
                                     scores)))
      return failure();
    // Rank 3 and 4: one per query head (a size rule); rank 2 has one head.
    if (q.getRank() == 2 && !type.isDynamicDim(0) && type.getDimSize(0) != 1)
      return op->emitOpError("expects one alibi slope (a query of rank 2 is "
                             "one head), got ")
             << type;
  }
  if (diagonal && !causal && !window && !slopes)
    return op->emitOpError("expects 'diagonal' only with 'causal', 'window' "
                           "or 'alibi' (it places their diagonal)");
  return success();
}

/// An additive mask has the element type of `scores` (named `scoresName`):
/// the query's, or an online step's state's where its operands are narrower.
static LogicalResult verifyAttentionOperands(
    Operation *op, RankedTensorType q, RankedTensorType k, RankedTensorType v,
    Value mask, std::optional<APFloat> scale, bool causal, Value diagonal,
    RankedTensorType scores, StringRef scoresName) {
  int64_t rank = q.getRank();
  if (rank < 2 || rank > 4)
    return op->emitOpError("expects query of rank 2 ([M, D]), 3 ([H, M, D]) "
                           "or 4 ([B, H, M, D]), got ")
           << q;
  if (k.getRank() != rank || v.getRank() != rank)
    return op->emitOpError("expects key and value of the rank of query (")
           << rank << "), got " << k << " and " << v;
  if (failed(verifySameElementType(op, "key", k, "query", q)) ||
      failed(verifySameElementType(op, "value", v, "query", q)))
    return failure();

  // [B, H, M, D] / [B, H, N, D] / [B, H, N, Dv]: batch, heads, rows, features.
  if (failed(verifySizeRules(
          op, [](const SizeRule &rule) { return rule.lhsName != "mask"; })))
    return failure();
  if (rank >= 3) {
    int64_t h = rank - 3;
    int64_t hq = q.getDimSize(h), hkv = k.getDimSize(h);
    if (!ShapedType::isDynamic(hq) && !ShapedType::isDynamic(hkv) &&
        (hkv == 0 || hq % hkv != 0))
      return op->emitOpError("expects the query heads (")
             << hq << ") to be a multiple of the key/value heads (" << hkv
             << ")";
  }

  if (scale) {
    if (!scale->isFinite())
      return op->emitOpError("expects a finite scale, got ")
             << scale->convertToDouble();
    // The scores are scaled in f32 (f64 for f64 inputs): 1e39 is no f32.
    Type computeType = q.getElementType();
    if (!computeType.isF64())
      computeType = Float32Type::get(op->getContext());
    APFloat converted = *scale;
    bool losesInfo;
    converted.convert(cast<FloatType>(computeType).getFloatSemantics(),
                      APFloat::rmNearestTiesToEven, &losesInfo);
    if (!converted.isFinite())
      return op->emitOpError("expects a scale finite in ")
             << computeType << ", got " << scale->convertToDouble();
  }

  if (mask) {
    // Broadcastable to the scores [..., M, N] by numpy rules.
    auto maskType = cast<RankedTensorType>(mask.getType());
    // Boolean (keeps where true) or additive of the scores' type.
    if (!maskType.getElementType().isInteger(1) &&
        failed(verifySameElementType(op, "mask", maskType, scoresName, scores)))
      return failure();
    if (maskType.getRank() > rank)
      return op->emitOpError("expects mask of rank <= ")
             << rank << " (broadcastable to the scores), got " << maskType;
    if (failed(verifySizeRules(
            op, [](const SizeRule &rule) { return rule.lhsName == "mask"; })))
      return failure();
  }
  return success();
}

/// Checks `dropout = p rng %state`: both or neither, p in [0, 1).
static LogicalResult verifyDropout(Operation *op, std::optional<APFloat> p,
                                   Value rng) {
  if (bool(p) != bool(rng))
    return op->emitOpError("expects 'dropout' and 'rng' together (the "
                           "probability and the generator state)");
  if (p && !(p->convertToDouble() >= 0.0 && p->convertToDouble() < 1.0))
    return op->emitOpError("expects a dropout probability in [0, 1), got ")
           << p->convertToDouble();
  return success();
}

LogicalResult AttentionOp::verify() {
  RankedTensorType q = getQuery().getType(), v = getValue().getType();
  if (failed(verifyAttentionOperands(*this, q, getKey().getType(), v, getMask(),
                                     getScale(), getCausal(), getDiagonal(), q,
                                     "query")) ||
      failed(verifyScoreOptions(*this, q, getCausal(), getDiagonal(),
                                getWindow(), getSoftcap(), getAlibiSlopes(), q,
                                "query")) ||
      failed(verifyModRegions(*this, q, getScoreMod(), getMaskMod())) ||
      failed(verifyBlockMaskOf(*this)))
    return failure();
  if (failed(verifyResultType(*this, attentionResultType(q, v),
                              "query with the last dimension of value")) ||
      failed(verifyDropout(*this, getDropoutP(), getRng())))
    return failure();
  if (getWithLse() != bool(getLse()))
    return emitOpError("expects ")
           << (getWithLse() ? "two results with 'with_lse'"
                            : "one result without 'with_lse'");
  if (getLse() && getLse().getType() != attentionLseType(q))
    return emitOpError("expects lse type ")
           << attentionLseType(q)
           << " (query without its features, f32 for f16 and bf16), got "
           << getLse().getType();
  return success();
}

//===----------------------------------------------------------------------===//
// OnlineAttentionOp
//===----------------------------------------------------------------------===//

LogicalResult
OnlineAttentionOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                    Adaptor adaptor,
                                    SmallVectorImpl<Type> &inferred) {
  llvm::append_values(inferred, adaptor.getAcc().getType(),
                      adaptor.getMax().getType(), adaptor.getSum().getType());
  return success();
}

LogicalResult OnlineAttentionOp::verify() {
  RankedTensorType q = getQuery().getType();
  int64_t rank = q.getRank();
  // The state's ranks first: the size rules read its dimensions.
  auto expectRank = [&](StringRef name, RankedTensorType type, int64_t expected,
                        StringRef shape) -> LogicalResult {
    if (type.getRank() == expected)
      return success();
    return emitOpError("expects ") << name << " of rank " << expected << " ("
                                   << shape << "), got " << type;
  };
  if (rank >= 2 && rank <= 4 &&
      (failed(expectRank("acc", getAcc().getType(), rank,
                         "the query's with the value's features")) ||
       failed(expectRank("max", getMax().getType(), rank - 1,
                         "the query's without its features")) ||
       failed(expectRank("sum", getSum().getType(), rank - 1,
                         "the query's without its features"))))
    return failure();
  // bf16 or f16 operands with an f32 state: the scores, mask and slopes
  // are of the state's type.
  RankedTensorType acc = getAcc().getType();
  bool mixed = q.getElementType() != acc.getElementType();
  RankedTensorType scores = mixed ? acc : q;
  StringRef scoresName = mixed ? "acc" : "query";
  if (failed(verifyAttentionOperands(
          *this, q, getKey().getType(), getValue().getType(), getMask(),
          getScale(), getCausal(), getDiagonal(), scores, scoresName)) ||
      failed(verifyScoreOptions(*this, q, getCausal(), getDiagonal(),
                                getWindow(), getSoftcap(), getAlibiSlopes(),
                                scores, scoresName)) ||
      failed(verifyModRegions(*this, scores, getScoreMod(), getMaskMod())) ||
      failed(verifyBlockMaskOf(*this)))
    return failure();
  if (failed(verifyDropout(*this, getDropoutP(), getRng())))
    return failure();
  bool placed = getRng() || !getScoreMod().empty() || !getMaskMod().empty();
  if (getOrigin().size() != (placed ? 4u : 0u))
    return emitOpError("expects ")
           << (placed ? "4 origin indices (batch, head, row, key) with "
                        "'dropout' or a score_mod or mask_mod region"
                      : "no origin without 'dropout' or a region")
           << ", got " << getOrigin().size();
  Type element = acc.getElementType();
  if (!element.isF32() && !element.isF64())
    return emitOpError("expects an f32 or f64 state, got ")
           << element;
  if (mixed && !(element.isF32() &&
                 isa<BFloat16Type, Float16Type>(q.getElementType())))
    return emitOpError("expects query, key and value of the state's type, or "
                       "bf16 or f16 with an f32 state, got ")
           << q.getElementType() << " with " << element;
  for (auto [name, type] : {std::pair<StringRef, RankedTensorType>{
                                "max", getMax().getType()},
                            {"sum", getSum().getType()}})
    if (failed(verifySameElementType(*this, name, type, "acc", acc)))
      return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// Gradients
//===----------------------------------------------------------------------===//

/// Checks that `operand` is a tensor over the rows of `ref` (its rank less
/// one) with `ref`'s element type.
static LogicalResult verifyRowsOperand(Operation *op, StringRef name,
                                       RankedTensorType operand,
                                       StringRef refName,
                                       RankedTensorType ref) {
  if (operand.getRank() != ref.getRank() - 1)
    return op->emitOpError("expects ")
           << name << " of rank " << ref.getRank() - 1 << " (" << refName
           << " without its last dimension), got " << operand;
  return verifySameElementType(op, name, operand, refName, ref);
}

/// Checks that `operand` has the type of `ref` but for dynamic sizes (the
/// size rules check those).
static LogicalResult verifyLikeOperand(Operation *op, StringRef name,
                                       RankedTensorType operand,
                                       StringRef refName,
                                       RankedTensorType ref) {
  if (operand.getRank() != ref.getRank())
    return op->emitOpError("expects ")
           << name << " of the rank of " << refName << " (" << ref.getRank()
           << "), got " << operand;
  return verifySameElementType(op, name, operand, refName, ref);
}

/// Checks every size rule of `op` whose sizes are static.
static LogicalResult verifyAllSizeRules(Operation *op) {
  return verifySizeRules(op, [](const SizeRule &) { return true; });
}

/// Infers the gradient's type: that of the forward op's operand `input`.
static LogicalResult inferGradientType(std::optional<Location> loc,
                                       StringRef opName, StringRef inputName,
                                       Value input,
                                       SmallVectorImpl<Type> &inferred) {
  if (failed(inferReductionType(loc, opName, inputName, input, inferred)))
    return failure();
  inferred.back() = input.getType();
  return success();
}

LogicalResult
SoftmaxBackwardOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                    Adaptor adaptor,
                                    SmallVectorImpl<Type> &inferred) {
  return inferGradientType(loc, getOperationName(), "output",
                           adaptor.getOutput(), inferred);
}

/// Checks the backward op of softmax or log_softmax: grad like output.
template <typename OpT> static LogicalResult verifyOutputBackward(OpT op) {
  RankedTensorType output = op.getOutput().getType();
  if (failed(verifyLikeOperand(op, "grad", op.getGrad().getType(), "output",
                               output)) ||
      failed(verifyAllSizeRules(op)))
    return failure();
  return verifyResultType(op, output, "the type of output");
}

LogicalResult SoftmaxBackwardOp::verify() {
  return verifyOutputBackward(*this);
}

LogicalResult LogSoftmaxBackwardOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  return inferGradientType(loc, getOperationName(), "output",
                           adaptor.getOutput(), inferred);
}

LogicalResult LogSoftmaxBackwardOp::verify() {
  return verifyOutputBackward(*this);
}

LogicalResult LogSumExpBackwardOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  return inferGradientType(loc, getOperationName(), "input",
                           adaptor.getInput(), inferred);
}

LogicalResult LogSumExpBackwardOp::verify() {
  RankedTensorType input = getInput().getType();
  if (failed(verifyRowsOperand(*this, "grad", getGrad().getType(), "input",
                               input)) ||
      failed(verifyRowsOperand(*this, "output", getOutput().getType(), "input",
                               input)) ||
      failed(verifyRowMasks(*this, input, getMask(), getCausal(),
                            getDiagonal())) ||
      failed(verifyAllSizeRules(*this)))
    return failure();
  return verifyResultType(*this, input, "the type of input");
}

LogicalResult
SumSqBackwardOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                  Adaptor adaptor,
                                  SmallVectorImpl<Type> &inferred) {
  return inferGradientType(loc, getOperationName(), "input",
                           adaptor.getInput(), inferred);
}

LogicalResult SumSqBackwardOp::verify() {
  RankedTensorType input = getInput().getType();
  if (failed(verifyRowsOperand(*this, "grad", getGrad().getType(), "input",
                               input)) ||
      failed(verifyAllSizeRules(*this)))
    return failure();
  return verifyResultType(*this, input, "the type of input");
}

LogicalResult MaskedMaxBackwardOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  return inferGradientType(loc, getOperationName(), "scores",
                           adaptor.getScores(), inferred);
}

LogicalResult MaskedMaxBackwardOp::verify() {
  RankedTensorType scores = getScores().getType();
  if (failed(verifyRowsOperand(*this, "grad", getGrad().getType(), "scores",
                               scores)) ||
      failed(verifyRowsOperand(*this, "output", getOutput().getType(),
                               "scores", scores)) ||
      failed(verifyAdditiveMask(*this, "scores", scores, getMask().getType())) ||
      failed(verifyAllSizeRules(*this)))
    return failure();
  return verifyResultType(*this, scores, "the type of scores");
}

LogicalResult
XentBackwardOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                 Adaptor adaptor,
                                 SmallVectorImpl<Type> &inferred) {
  if (failed(inferGradientType(loc, getOperationName(), "p", adaptor.getP(),
                               inferred)))
    return failure();
  inferred.push_back(adaptor.getP().getType());
  return success();
}

LogicalResult XentBackwardOp::verify() {
  RankedTensorType p = getP().getType();
  if (failed(verifyLikeOperand(*this, "q", getQ().getType(), "p", p)) ||
      failed(verifyRowsOperand(*this, "grad", getGrad().getType(), "p", p)) ||
      failed(verifyAllSizeRules(*this)))
    return failure();
  for (Value result : getResults())
    if (result.getType() != p)
      return emitOpError("expects result types ")
             << p << " (the type of p), got " << result.getType();
  return success();
}

LogicalResult XentLogitsBackwardOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  return inferGradientType(loc, getOperationName(), "logits",
                           adaptor.getLogits(), inferred);
}

LogicalResult XentLogitsBackwardOp::verify() {
  RankedTensorType logits = getLogits().getType();
  RankedTensorType target = getTarget().getType();
  RankedTensorType grad = getGrad().getType();
  if (failed(verifyClassTargets(*this, logits, target, getIgnoreIndex())))
    return failure();
  if (getReduction() == Reduction::None) {
    if (failed(verifyRowsOperand(*this, "grad", grad, "logits", logits)))
      return failure();
  } else {
    if (grad.getRank() != 0)
      return emitOpError("expects a rank-0 grad (the gradient of a ")
             << stringifyReduction(getReduction()) << "), got " << grad;
    if (failed(verifySameElementType(*this, "grad", grad, "logits", logits)))
      return failure();
  }
  if (failed(verifyXentOptions(*this, logits, getWeight(),
                               getLabelSmoothing().convertToDouble(),
                               getZLoss().convertToDouble(), getSoftcap())) ||
      failed(verifyAllSizeRules(*this)))
    return failure();
  return verifyResultType(*this, logits, "the type of logits");
}

//===----------------------------------------------------------------------===//
// AttentionBackwardOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionBackwardOp::inferReturnTypes(
    MLIRContext *, std::optional<Location>, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  llvm::append_values(inferred, adaptor.getQuery().getType(),
                      adaptor.getKey().getType(),
                      adaptor.getValue().getType());
  return success();
}

LogicalResult AttentionBackwardOp::verify() {
  // The gradient goes through score_mod by its ops' derivative rules.
  if (!getScoreMod().empty())
    if (Operation *op = firstNonDifferentiable(getScoreMod()))
      return emitOpError("expects a score_mod differentiable with respect to "
                         "the score (addf, subf, mulf, divf, negf, select, "
                         "maximumf, minimumf, extf, truncf, tanh, exp, log, "
                         "sqrt, absf of it), got '")
             << op->getName() << "'";
  RankedTensorType q = getQuery().getType(), v = getValue().getType();
  if (failed(verifyAttentionOperands(*this, q, getKey().getType(), v,
                                     getMask(), getScale(), getCausal(),
                                     getDiagonal(), q, "query")) ||
      failed(verifyScoreOptions(*this, q, getCausal(), getDiagonal(),
                                getWindow(), getSoftcap(), getAlibiSlopes(), q,
                                "query")) ||
      failed(verifyModRegions(*this, q, getScoreMod(), getMaskMod())) ||
      failed(verifyBlockMaskOf(*this)))
    return failure();
  // grad and output are the forward's result type, lse its rows'.
  Type outputType = attentionResultType(q, v);
  for (auto [name, value] : {std::pair<StringRef, Value>{"grad", getGrad()},
                             {"output", getOutput()}})
    if (failed(verifyLikeOperand(*this, name,
                                 cast<RankedTensorType>(value.getType()),
                                 "the attention's result",
                                 cast<RankedTensorType>(outputType))))
      return failure();
  RankedTensorType lse = getLse().getType(), lseType = attentionLseType(q);
  if (lse.getRank() != lseType.getRank() ||
      lse.getElementType() != lseType.getElementType())
    return emitOpError("expects lse of rank ")
           << lseType.getRank() << " with " << lseType.getElementType()
           << " elements (query without its features; f32 for f16 and bf16), "
              "got "
           << lse;
  if (failed(verifyAllSizeRules(*this)) ||
      failed(verifyDropout(*this, getDropoutP(), getRng())))
    return failure();
  for (auto [result, operand] :
       llvm::zip_equal(getResults(), ValueRange{getQuery(), getKey(),
                                                getValue()}))
    if (result.getType() != operand.getType())
      return emitOpError("expects result types of query, key and value, got ")
             << result.getType() << " for " << operand.getType();
  return success();
}

LogicalResult AttentionBackwardOp::reifyResultShapes(
    OpBuilder &b, ReifiedRankedShapedTypeDims &shapes) {
  for (Value operand : {getQuery(), getKey(), getValue()})
    shapes.push_back(tensor::getMixedSizes(b, getLoc(), operand));
  return success();
}

//===----------------------------------------------------------------------===//
// LinearXentOp and LinearXentBackwardOp
//===----------------------------------------------------------------------===//

/// The per-token loss or a rank-0 sum or mean, of the hidden states' type.
static RankedTensorType linearXentLossType(RankedTensorType hidden,
                                           Reduction reduction) {
  if (reduction == Reduction::None)
    return dropLastDim(hidden);
  return RankedTensorType::get({}, hidden.getElementType());
}

/// Each token's lse: [N], f32 for f16 and bf16.
static RankedTensorType linearXentLseType(RankedTensorType hidden) {
  return attentionLseType(hidden);
}

/// The rules linear_xent and its backward share: ranks, element types,
/// sizes, ignore_index and the options.
template <typename OpT>
static LogicalResult verifyLinearXentOperands(OpT op) {
  RankedTensorType hidden = op.getHidden().getType();
  RankedTensorType classifier = op.getClassifier().getType();
  RankedTensorType target = op.getTarget().getType();
  if (hidden.getRank() != 2)
    return op.emitOpError("expects hidden of rank 2 ([N, D]), got ") << hidden;
  if (classifier.getRank() != 2)
    return op.emitOpError("expects classifier of rank 2 ([V, D]), got ")
           << classifier;
  if (target.getRank() != 1)
    return op.emitOpError("expects target of rank 1 ([N]), got ") << target;
  if (failed(verifySameElementType(op, "classifier", classifier, "hidden",
                                   hidden)))
    return failure();
  if (Value bias = op.getBias()) {
    auto biasType = cast<RankedTensorType>(bias.getType());
    if (biasType.getRank() != 1)
      return op.emitOpError("expects bias of rank 1 ([V]), got ") << biasType;
    if (failed(verifySameElementType(op, "bias", biasType, "hidden", hidden)))
      return failure();
  }
  if (failed(verifyIgnoreIndex(op, target, op.getIgnoreIndex())) ||
      failed(verifyXentOptions(op, hidden, op.getWeight(),
                               op.getLabelSmoothing().convertToDouble(),
                               op.getZLoss().convertToDouble(),
                               op.getSoftcap())))
    return failure();
  return verifyAllSizeRules(op);
}

LogicalResult LinearXentOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &inferred) {
  auto hidden = dyn_cast<RankedTensorType>(adaptor.getHidden().getType());
  if (!hidden || hidden.getRank() < 1)
    return emitOptionalError(loc, "'", getOperationName(),
                             "' op expects a ranked hidden tensor [N, D]");
  // A default-valued attribute not written is not set while parsing.
  Reduction reduction = Reduction::Mean;
  if (ReductionAttr attr = adaptor.getReductionAttr())
    reduction = attr.getValue();
  inferred.push_back(linearXentLossType(hidden, reduction));
  if (adaptor.getWithLse())
    inferred.push_back(linearXentLseType(hidden));
  return success();
}

LogicalResult LinearXentOp::verify() {
  RankedTensorType hidden = getHidden().getType();
  if (failed(verifyLinearXentOperands(*this)))
    return failure();
  if (failed(verifyResultType(*this, linearXentLossType(hidden, getReduction()),
                              getReduction() == Reduction::None
                                  ? "hidden without its features"
                                  : "a rank-0 tensor for a sum or mean")))
    return failure();
  if (getWithLse() != bool(getLse()))
    return emitOpError("expects ")
           << (getWithLse() ? "two results with 'with_lse'"
                            : "one result without 'with_lse'");
  if (getLse() && getLse().getType() != linearXentLseType(hidden))
    return emitOpError("expects lse type ")
           << linearXentLseType(hidden)
           << " (one per token, f32 for f16 and bf16), got "
           << getLse().getType();
  return success();
}

LogicalResult LinearXentOp::reifyResultShapes(
    OpBuilder &b, ReifiedRankedShapedTypeDims &shapes) {
  OpFoldResult tokens = tensor::getMixedSize(b, getLoc(), getHidden(), 0);
  shapes.push_back(getReduction() == Reduction::None
                       ? SmallVector<OpFoldResult>{tokens}
                       : SmallVector<OpFoldResult>{});
  if (getLse())
    shapes.push_back({tokens});
  return success();
}

LogicalResult LinearXentBackwardOp::inferReturnTypes(
    MLIRContext *, std::optional<Location>, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  inferred.push_back(adaptor.getHidden().getType());
  inferred.push_back(adaptor.getClassifier().getType());
  if (adaptor.getBias())
    inferred.push_back(adaptor.getBias().getType());
  return success();
}

LogicalResult LinearXentBackwardOp::verify() {
  RankedTensorType hidden = getHidden().getType();
  RankedTensorType grad = getGrad().getType(), lse = getLse().getType();
  // The ranks of grad and lse first: the size rules read their dimensions.
  if (getReduction() == Reduction::None) {
    if (failed(verifyRowsOperand(*this, "grad", grad, "hidden", hidden)))
      return failure();
  } else {
    if (grad.getRank() != 0)
      return emitOpError("expects a rank-0 grad (the gradient of a ")
             << stringifyReduction(getReduction()) << "), got " << grad;
    if (failed(verifySameElementType(*this, "grad", grad, "hidden", hidden)))
      return failure();
  }
  RankedTensorType lseType = linearXentLseType(hidden);
  if (lse.getRank() != lseType.getRank() ||
      lse.getElementType() != lseType.getElementType())
    return emitOpError("expects lse of rank ")
           << lseType.getRank() << " with " << lseType.getElementType()
           << " elements (one per token; f32 for f16 and bf16), got " << lse;
  if (failed(verifyLinearXentOperands(*this)))
    return failure();
  if (std::optional<APFloat> eps = getGradFilter();
      eps && !(eps->convertToDouble() >= 0.0 &&
               std::isfinite(eps->convertToDouble())))
    return emitOpError("expects a finite grad_filter >= 0, got ")
           << eps->convertToDouble();
  SmallVector<Value> operands{getHidden(), getClassifier()};
  if (getBias())
    operands.push_back(getBias());
  if (getNumResults() != operands.size())
    return emitOpError("expects ")
           << operands.size() << " results (the gradients of hidden, "
           << "classifier" << (getBias() ? " and bias" : "") << "), got "
           << getNumResults();
  for (auto [result, operand] : llvm::zip_equal(getResults(), operands))
    if (result.getType() != operand.getType())
      return emitOpError("expects result types of hidden, classifier and "
                         "bias, got ")
             << result.getType() << " for " << operand.getType();
  return success();
}

LogicalResult LinearXentBackwardOp::reifyResultShapes(
    OpBuilder &b, ReifiedRankedShapedTypeDims &shapes) {
  shapes.push_back(tensor::getMixedSizes(b, getLoc(), getHidden()));
  shapes.push_back(tensor::getMixedSizes(b, getLoc(), getClassifier()));
  if (getBias())
    shapes.push_back(tensor::getMixedSizes(b, getLoc(), getBias()));
  return success();
}

#include "AttnDialect/Dialect/Attn/AttnEnums.cpp.inc"

#define GET_OP_CLASSES
#include "AttnDialect/Dialect/Attn/AttnOps.cpp.inc"
