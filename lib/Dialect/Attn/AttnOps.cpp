//===- AttnOps.cpp - attn op verification and type inference --------------===//
//
// Every shape and element-type rule of an attn op is checked while its
// result type is inferred, so a broken rule is reported once, at the op's
// location, whether the op was parsed, built, or verified.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Dialect/Attn/AttnOps.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::attn;

/// Formats a dimension for a diagnostic: `?` for dynamic sizes.
static std::string dimToString(int64_t dim) {
  return ShapedType::isDynamic(dim) ? std::string("?") : std::to_string(dim);
}

/// The type of a reduction over the last dimension of `type`.
static RankedTensorType dropLastDim(RankedTensorType type) {
  return RankedTensorType::get(type.getShape().drop_back(),
                               type.getElementType());
}

/// Checks that `type` has at least rank 1, so there is a last dimension to
/// reduce over.
static LogicalResult verifyReducible(std::optional<Location> loc,
                                     StringRef opName, StringRef operandName,
                                     RankedTensorType type) {
  if (type.getRank() >= 1)
    return success();
  return emitOptionalError(loc, "'attn.", opName, "' op expects ", operandName,
                           " of rank >= 1 (a last dimension to reduce), got ",
                           type);
}

/// Checks that `other` has the element type of `reference`.
static LogicalResult verifySameElementType(std::optional<Location> loc,
                                           StringRef opName, StringRef name,
                                           RankedTensorType type,
                                           StringRef refName,
                                           RankedTensorType reference) {
  if (type.getElementType() == reference.getElementType())
    return success();
  return emitOptionalError(loc, "'attn.", opName, "' op expects ", name,
                           " element type ", type.getElementType(),
                           " to match ", refName, " element type ",
                           reference.getElementType());
}

/// Checks that dimension `i` of `type` and dimension `j` of `reference` agree
/// where both are static.
static LogicalResult verifyDimMatch(std::optional<Location> loc,
                                    StringRef opName, StringRef name,
                                    RankedTensorType type, int64_t i,
                                    StringRef refName,
                                    RankedTensorType reference, int64_t j) {
  int64_t a = type.getDimSize(i), b = reference.getDimSize(j);
  if (ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b)
    return success();
  return emitOptionalError(loc, "'attn.", opName, "' op expects ", name,
                           " dimension ", i, " (", dimToString(a),
                           ") to match ", refName, " dimension ", j, " (",
                           dimToString(b), ")");
}

//===----------------------------------------------------------------------===//
// MaskedMaxOp
//===----------------------------------------------------------------------===//

LogicalResult MaskedMaxOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  auto scores = cast<RankedTensorType>(adaptor.getScores().getType());
  auto mask = cast<RankedTensorType>(adaptor.getMask().getType());
  StringRef op = "masked_max";
  if (failed(verifyReducible(loc, op, "scores", scores)) ||
      failed(verifySameElementType(loc, op, "mask", mask, "scores", scores)))
    return failure();

  // The mask is either [M, N], broadcast over the leading dims of scores, or
  // exactly the shape of scores.
  int64_t rank = scores.getRank(), maskRank = mask.getRank();
  if (maskRank != rank && maskRank != 2)
    return emitOptionalError(
        loc, "'attn.masked_max' op expects mask of rank 2 ([M, N]) or of the "
             "rank of scores (",
        rank, "), got ", mask);
  if (maskRank > rank)
    return emitOptionalError(loc,
                             "'attn.masked_max' op expects mask rank (",
                             maskRank, ") <= scores rank (", rank, ")");
  for (int64_t i = 0; i < maskRank; ++i)
    if (failed(verifyDimMatch(loc, op, "mask", mask, i, "scores", scores,
                              rank - maskRank + i)))
      return failure();

  inferred.push_back(dropLastDim(scores));
  return success();
}

//===----------------------------------------------------------------------===//
// SumSqOp
//===----------------------------------------------------------------------===//

LogicalResult SumSqOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  if (failed(verifyReducible(loc, "sum_sq", "input", input)))
    return failure();
  inferred.push_back(dropLastDim(input));
  return success();
}

//===----------------------------------------------------------------------===//
// XentOp
//===----------------------------------------------------------------------===//

LogicalResult XentOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &inferred) {
  auto p = cast<RankedTensorType>(adaptor.getP().getType());
  auto q = cast<RankedTensorType>(adaptor.getQ().getType());
  if (failed(verifyReducible(loc, "xent", "p", p)) ||
      failed(verifySameElementType(loc, "xent", "q", q, "p", p)))
    return failure();
  if (q.getRank() != p.getRank())
    return emitOptionalError(loc, "'attn.xent' op expects q of the rank of p (",
                             p.getRank(), "), got ", q);
  for (int64_t i = 0, e = p.getRank(); i < e; ++i)
    if (failed(verifyDimMatch(loc, "xent", "q", q, i, "p", p, i)))
      return failure();
  inferred.push_back(dropLastDim(p));
  return success();
}

#define GET_OP_CLASSES
#include "AttnDialect/Dialect/Attn/AttnOps.cpp.inc"
