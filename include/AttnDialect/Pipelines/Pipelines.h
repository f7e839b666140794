//===- Pipelines.h - attn pass pipelines ------------------------*- C++ -*-===//

#ifndef ATTNDIALECT_PIPELINES_PIPELINES_H
#define ATTNDIALECT_PIPELINES_PIPELINES_H

#include "AttnDialect/Conversion/Passes.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;

namespace attn {

/// Options of `--attn-lower-to-llvm`.
struct LowerToLLVMOptions : public PassPipelineOptions<LowerToLLVMOptions> {
  PassOptions::Option<AttentionLowering> attention{
      *this, "attention", llvm::cl::desc("How attn.attention is lowered"),
      llvm::cl::init(AttentionLowering::Flash),
      llvm::cl::values(
          clEnumValN(AttentionLowering::Flash, "flash",
                     "blocked online softmax, no [M, N] scores"),
          clEnumValN(AttentionLowering::Decomposed, "decomposed",
                     "q kᵀ, softmax, p v over all [M, N] scores"))};
  PassOptions::Option<int64_t> blockQ{
      *this, "block-q",
      llvm::cl::desc("Query rows per block of the flash lowering"),
      llvm::cl::init(64)};
  PassOptions::Option<int64_t> blockKV{
      *this, "block-kv",
      llvm::cl::desc("Keys per block of the flash lowering"),
      llvm::cl::init(64)};
};

/// Adds attn ops -> linalg -> fused generics -> buffers -> loops -> LLVM
/// dialect to `pm`, which must be anchored on `builtin.module`.
void buildLowerToLLVMPipeline(OpPassManager &pm,
                              const LowerToLLVMOptions &options);

/// Registers `--attn-lower-to-llvm`.
void registerLowerToLLVMPipeline();

} // namespace attn
} // namespace mlir

#endif // ATTNDIALECT_PIPELINES_PIPELINES_H
