//===- Pipelines.h - attn pass pipelines ------------------------*- C++ -*-===//

#ifndef ATTNDIALECT_PIPELINES_PIPELINES_H
#define ATTNDIALECT_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;

namespace attn {

/// Options of `--attn-lower-to-llvm`.
struct LowerToLLVMOptions : public PassPipelineOptions<LowerToLLVMOptions> {};

/// Adds attn ops -> linalg -> fused generics -> buffers -> loops -> LLVM
/// dialect to `pm`, which must be anchored on `builtin.module`.
void buildLowerToLLVMPipeline(OpPassManager &pm,
                              const LowerToLLVMOptions &options);

/// Registers `--attn-lower-to-llvm`.
void registerLowerToLLVMPipeline();

} // namespace attn
} // namespace mlir

#endif // ATTNDIALECT_PIPELINES_PIPELINES_H
