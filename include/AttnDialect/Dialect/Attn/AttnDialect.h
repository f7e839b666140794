//===- AttnDialect.h - attn dialect -----------------------------*- C++ -*-===//

#ifndef ATTNDIALECT_DIALECT_ATTN_ATTNDIALECT_H
#define ATTNDIALECT_DIALECT_ATTN_ATTNDIALECT_H

#include "mlir/IR/Dialect.h"

#include "AttnDialect/Dialect/Attn/AttnOpsDialect.h.inc"

#endif // ATTNDIALECT_DIALECT_ATTN_ATTNDIALECT_H
