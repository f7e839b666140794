//===- AttnDialect.cpp - attn dialect registration ------------------------===//

#include "AttnDialect/Dialect/Attn/AttnDialect.h"
#include "AttnDialect/Dialect/Attn/AttnOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::attn;

#include "AttnDialect/Dialect/Attn/AttnOpsDialect.cpp.inc"

void AttnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "AttnDialect/Dialect/Attn/AttnOps.cpp.inc"
      >();
  attachShardingInterfaces(getContext());
}

LogicalResult AttnDialect::verifyOperationAttribute(Operation *op,
                                                    NamedAttribute attr) {
  // Each attn attribute is a unit attribute stating a fact about one kind
  // of op's operand.
  StringRef name = attr.getName().getValue();
  auto expect = [&](StringRef opName,
                    StringRef loweredName = {}) -> LogicalResult {
    if (!isa<UnitAttr>(attr.getValue()))
      return op->emitError() << "'" << name << "' must be a unit attribute";
    StringRef actual = op->getName().getStringRef();
    if (actual != opName && actual != loweredName)
      return op->emitError()
             << "'" << name << "' applies to '" << opName << "' only";
    return success();
  };
  // An exp or exp2 left to LLVM (f64) keeps the attribute on its intrinsic.
  if (name == kNonPositiveAttrName) {
    if (!isa<UnitAttr>(attr.getValue()))
      return op->emitError() << "'" << name << "' must be a unit attribute";
    if (isa<math::ExpOp, math::Exp2Op>(op) ||
        llvm::is_contained({"llvm.intr.exp", "llvm.intr.exp2"},
                           op->getName().getStringRef()))
      return success();
    return op->emitError() << "'" << name
                           << "' applies to 'math.exp' and 'math.exp2' only";
  }
  if (name == kDenormalScaledAttrName)
    return expect(math::LogOp::getOperationName());
  return op->emitError() << "unknown attn attribute '" << name << "'";
}
