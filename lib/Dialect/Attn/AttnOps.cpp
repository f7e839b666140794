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
  inferred.push_back(
      RankedTensorType::get(type.getShape().drop_back(), type.getElementType()));
  return success();
}

/// Checks that `op`'s result type is `input`'s type without its last dim.
static LogicalResult verifyResultType(Operation *op, StringRef inputName,
                                      Value input) {
  SmallVector<Type, 1> inferred;
  if (failed(inferReductionType(op->getLoc(), op->getName().getStringRef(),
                                inputName, input, inferred)))
    return failure();
  Type result = op->getResult(0).getType();
  if (result == inferred.front())
    return success();
  return op->emitOpError("expects result type ")
         << inferred.front() << " (" << inputName
         << " without its last dimension), got " << result;
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
  RankedTensorType scores = getScores().getType(), mask = getMask().getType();
  if (failed(verifySameElementType(*this, "mask", mask, "scores", scores)))
    return failure();

  // The mask is either [M, N], broadcast over the leading dims of scores, or
  // exactly the shape of scores.
  int64_t rank = scores.getRank(), maskRank = mask.getRank();
  if (maskRank != rank && maskRank != 2)
    return emitOpError("expects mask of rank 2 ([M, N]) or of the rank of "
                       "scores (")
           << rank << "), got " << mask;
  if (maskRank > rank)
    return emitOpError("expects mask rank (")
           << maskRank << ") <= scores rank (" << rank << ")";
  for (int64_t i = 0; i < maskRank; ++i)
    if (failed(verifyDimMatch(*this, "mask", mask, i, "scores", scores,
                              rank - maskRank + i)))
      return failure();
  return verifyResultType(*this, "scores", getScores());
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
  return verifyResultType(*this, "input", getInput());
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
  return verifyResultType(*this, "p", getP());
}

#define GET_OP_CLASSES
#include "AttnDialect/Dialect/Attn/AttnOps.cpp.inc"
