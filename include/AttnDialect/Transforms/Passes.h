//===- Passes.h - attn transform passes -------------------------*- C++ -*-===//

#ifndef ATTNDIALECT_TRANSFORMS_PASSES_H
#define ATTNDIALECT_TRANSFORMS_PASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
namespace attn {

#define GEN_PASS_DECL
#include "AttnDialect/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "AttnDialect/Transforms/Passes.h.inc"

} // namespace attn
} // namespace mlir

#endif // ATTNDIALECT_TRANSFORMS_PASSES_H
