//===- InitAttn.h - register everything attn provides -----------*- C++ -*-===//
//
// One place for the tools (attn-opt, the Python extension) to register the
// attn dialect, its passes and its pipelines.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNDIALECT_INITATTN_H
#define ATTNDIALECT_INITATTN_H

#include "AttnDialect/Conversion/Passes.h"
#include "AttnDialect/Dialect/Attn/AttnDialect.h"
#include "AttnDialect/Pipelines/Pipelines.h"
#include "AttnDialect/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"

namespace mlir::attn {

/// Adds the attn dialect to `registry`.
inline void registerAttnDialect(DialectRegistry &registry) {
  registry.insert<AttnDialect>();
}

/// Registers the attn passes and pipelines with the global pass registry.
inline void registerAttnPassesAndPipelines() {
  registerAttnConversionPasses();
  registerAttnTransformsPasses();
  registerPipelines();
}

} // namespace mlir::attn

#endif // ATTNDIALECT_INITATTN_H
