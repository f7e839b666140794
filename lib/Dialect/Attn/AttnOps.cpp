//===- AttnOps.cpp - attn op verification and type inference --------------===//
//
// Type inference only drops the last dimension of the first operand; the
// verifiers check every rule, the result type included, so that each broken
// rule gives exactly one diagnostic at the op's location, whether the op was
// written in custom or generic form.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Dialect/Attn/AttnOps.h"

#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace mlir::attn;

/// Formats a dimension for a diagnostic: `?` for dynamic sizes.
static std::string dimToString(int64_t dim) {
  return ShapedType::isDynamic(dim) ? std::string("?") : std::to_string(dim);
}

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

/// Checks that dimension `i` of `type` and dimension `j` of `reference` agree
/// where both are static.
static LogicalResult verifyDimMatch(Operation *op, StringRef name,
                                    RankedTensorType type, int64_t i,
                                    StringRef refName,
                                    RankedTensorType reference, int64_t j) {
  int64_t a = type.getDimSize(i), b = reference.getDimSize(j);
  if (ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b)
    return success();
  return op->emitOpError("expects ")
         << name << " dimension " << i << " (" << dimToString(a)
         << ") to match " << refName << " dimension " << j << " ("
         << dimToString(b) << ")";
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
  for (int64_t i = 0; i < maskRank; ++i)
    if (failed(verifyDimMatch(op, "mask", mask, i, scoresName, scores,
                              rank - maskRank + i)))
      return failure();
  return success();
}

/// Checks the masks of a softmax-family op.
static LogicalResult verifyRowMasks(Operation *op, RankedTensorType input,
                                    Value mask, bool causal) {
  if (mask && failed(verifyAdditiveMask(
                  op, "input", input,
                  cast<RankedTensorType>(mask.getType()))))
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
                            adaptor.getScores(),
                            inferred);
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
                            adaptor.getInput(),
                            inferred);
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
  for (int64_t i = 0, e = p.getRank(); i < e; ++i)
    if (failed(verifyDimMatch(*this, "q", q, i, "p", p, i)))
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

LogicalResult SoftmaxOp::verify() {
  RankedTensorType input = getInput().getType();
  if (failed(verifyRowMasks(*this, input, getMask(), getCausal())))
    return failure();
  return verifyResultType(*this, input, "the type of input");
}

LogicalResult LogSoftmaxOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &inferred) {
  return inferSameType(loc, getOperationName(), adaptor.getInput(), inferred);
}

LogicalResult LogSoftmaxOp::verify() {
  RankedTensorType input = getInput().getType();
  if (failed(verifyRowMasks(*this, input, getMask(), getCausal())))
    return failure();
  return verifyResultType(*this, input, "the type of input");
}

LogicalResult LogSumExpOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  return inferReductionType(loc, getOperationName(), "input",
                            adaptor.getInput(), inferred);
}

LogicalResult LogSumExpOp::verify() {
  RankedTensorType input = getInput().getType();
  if (failed(verifyRowMasks(*this, input, getMask(), getCausal())))
    return failure();
  return verifyResultType(*this, dropLastDim(input),
                          "input without its last dimension");
}

//===----------------------------------------------------------------------===//
// XentLogitsOp
//===----------------------------------------------------------------------===//

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

LogicalResult XentLogitsOp::verify() {
  RankedTensorType logits = getLogits().getType();
  RankedTensorType target = getTarget().getType();
  if (target.getRank() != logits.getRank() - 1)
    return emitOpError("expects target of rank ")
           << logits.getRank() - 1 << " (logits without the class dimension), got "
           << target;
  for (int64_t i = 0, e = target.getRank(); i < e; ++i)
    if (failed(verifyDimMatch(*this, "target", target, i, "logits", logits, i)))
      return failure();
  return verifyResultType(*this, xentLogitsType(logits, getReduction()),
                          getReduction() == Reduction::None
                              ? "logits without the class dimension"
                              : "a rank-0 tensor for a sum or mean");
}

#include "AttnDialect/Dialect/Attn/AttnEnums.cpp.inc"

#define GET_OP_CLASSES
#include "AttnDialect/Dialect/Attn/AttnOps.cpp.inc"
