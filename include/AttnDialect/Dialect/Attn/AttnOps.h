//===- AttnOps.h - attn dialect ops -----------------------------*- C++ -*-===//

#ifndef ATTNDIALECT_DIALECT_ATTN_ATTNOPS_H
#define ATTNDIALECT_DIALECT_ATTN_ATTNOPS_H

#include "AttnDialect/Dialect/Attn/AttnDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/RuntimeVerifiableOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"

#include "AttnDialect/Dialect/Attn/AttnEnums.h.inc"

#define GET_OP_CLASSES
#include "AttnDialect/Dialect/Attn/AttnOps.h.inc"

namespace mlir::attn {
/// Attaches the shard dialect's ShardingInterface to the ops that have a loop
/// nest (ShardingInterfaceImpl.cpp); the dialect does so when it loads.
void attachShardingInterfaces(MLIRContext *ctx);
} // namespace mlir::attn

#endif // ATTNDIALECT_DIALECT_ATTN_ATTNOPS_H
