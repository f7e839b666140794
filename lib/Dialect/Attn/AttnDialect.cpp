//===- AttnDialect.cpp - attn dialect registration ------------------------===//

#include "AttnDialect/Dialect/Attn/AttnDialect.h"
#include "AttnDialect/Dialect/Attn/AttnOps.h"

using namespace mlir;
using namespace mlir::attn;

#include "AttnDialect/Dialect/Attn/AttnOpsDialect.cpp.inc"

void AttnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "AttnDialect/Dialect/Attn/AttnOps.cpp.inc"
      >();
}
