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
      llvm::cl::desc("Query rows per block of the flash lowering (at most: "
                     "fewer static queries make a block of the next "
                     "multiple of 16)"),
      llvm::cl::init(64)};
  PassOptions::Option<bool> reassoc{
      *this, "reassoc",
      llvm::cl::desc("Let sums reassociate (vector lanes, FMA): faster, "
                     "rounded differently from the in-order sum; a "
                     "NaN-ignoring max (maxnumf) may return NaN"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> fastMath{
      *this, "approximate-math",
      llvm::cl::desc("Inline polynomial exp and log (vectorizable) instead "
                     "of libm calls"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> checked{
      *this, "checked",
      llvm::cl::desc("Check at run time that dynamic sizes of attn operands "
                     "agree (a failed check reports and aborts)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> externalCheckHandler{
      *this, "external-check-handler",
      llvm::cl::desc("Leave attn_check_failed to the embedder (the JIT) "
                     "instead of defining it"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> onlineSoftmaxMinRow{
      *this, "online-softmax-min-row",
      llvm::cl::desc("Merge a softmax's max and sum into one online pass for "
                     "rows of at least this many elements; shorter rows are "
                     "computed one at a time and re-read from cache"),
      llvm::cl::init(65536)};
  PassOptions::Option<bool> shortDynamicRows{
      *this, "short-dynamic-rows",
      llvm::cl::desc("Dynamic row lengths stay below online-softmax-min-row "
                     "(rows computed one at a time); otherwise they get the "
                     "online pass"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> threads{
      *this, "threads",
      llvm::cl::desc("Split rows across this many threads (OpenMP; the code "
                     "then needs libomp)"),
      llvm::cl::init(1)};
  PassOptions::Option<int64_t> cacheBytes{
      *this, "cache-bytes",
      llvm::cl::desc("Bytes of a broadcast operand (a mask) that blocks of "
                     "rows keep in cache: half the target core's L2 (the "
                     "Python JIT passes the host's; 0: no blocking)"),
      llvm::cl::init(262144)};
  PassOptions::Option<bool> prefetch{
      *this, "prefetch",
      llvm::cl::desc("Software-prefetch the next row of an input while "
                     "computing on this one (--attn-prefetch-rows)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> blockKV{
      *this, "block-kv",
      llvm::cl::desc("Keys per block of the flash lowering (at most: fewer "
                     "static keys make a block of the next multiple of 16)"),
      llvm::cl::init(64)};
  PassOptions::Option<bool> bf16Dot{
      *this, "bf16-dot",
      llvm::cl::desc("bf16 attention multiplies bf16 q, k, v and "
                     "probabilities with the AVX512_BF16 dot product "
                     "(vdpbf16ps) instead of widening them to f32; the code "
                     "then runs only on CPUs with AVX512_BF16 (the Python "
                     "JIT sets it where the host has it)"),
      llvm::cl::init(false)};
  PassOptions::Option<std::string> mpi{
      *this, "mpi",
      llvm::cl::desc("The MPI implementation whose ABI a sharded module "
                     "(shard dialect annotations) calls: MPICH (also Intel "
                     "MPI, MVAPICH) or OpenMPI; a module's own "
                     "\"MPI:Implementation\" DLTI entry wins"),
      llvm::cl::init("MPICH")};
};

/// The levels of the attn lowering; each pipeline extends the one before.
/// All take a pass manager anchored on `builtin.module`, and options in
/// range (threads >= 1, block sizes >= 1, online-softmax-min-row >= 0), as
/// the registered pipelines check when they parse them.

/// attn ops -> linalg named ops -> fused generics, on tensors.
void buildLowerToFusedLinalgPipeline(OpPassManager &pm,
                                     const LowerToLLVMOptions &options);

/// ... -> C interfaces, buffers, loops (scf, memref).
void buildLowerToLoopsPipeline(OpPassManager &pm,
                               const LowerToLLVMOptions &options);

/// ... -> LLVM dialect, ready for `mlir-translate --mlir-to-llvmir`.
void buildLowerToLLVMPipeline(OpPassManager &pm,
                              const LowerToLLVMOptions &options);

/// Registers `--attn-lower-to-fused-linalg`, `--attn-lower-to-loops` and
/// `--attn-lower-to-llvm`.
void registerPipelines();

} // namespace attn
} // namespace mlir

#endif // ATTNDIALECT_PIPELINES_PIPELINES_H
