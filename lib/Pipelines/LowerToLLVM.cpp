//===- LowerToLLVM.cpp - the attn -> LLVM dialect pipeline ----------------===//
//
// attn ops -> linalg named ops -> one fused linalg.generic per op -> buffers
// -> loops -> LLVM dialect, ready for `mlir-translate --mlir-to-llvmir`.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Pipelines/Pipelines.h"

#include "AttnDialect/Conversion/Passes.h"
#include "AttnDialect/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void attn::buildLowerToFusedLinalgPipeline(OpPassManager &pm,
                                           const LowerToLLVMOptions &options) {
  // A module sharded over a grid of processes: one process's part, its
  // collectives MPI calls (a no-op without a grid).
  attn::ShardToMPIPassOptions mpi;
  mpi.implementation = options.mpi;
  pm.addPass(attn::createShardToMPIPass(mpi));
  // Decompose, fuse each reduction's elementwise prefix into it, then merge
  // a softmax's max and sum reductions into one.
  // The ops check their dynamic sizes (RuntimeVerifiableOpInterface).
  if (options.checked)
    pm.addPass(createGenerateRuntimeVerificationPass());
  attn::ConvertAttnToLinalgPassOptions toLinalg;
  toLinalg.attentionLowering = options.attention;
  toLinalg.blockQ = options.blockQ;
  toLinalg.blockKV = options.blockKV;
  toLinalg.parallelQueryBlocks = options.threads > 1;
  toLinalg.bf16Products = options.bf16Dot;
  pm.addPass(attn::createConvertAttnToLinalgPass(toLinalg));
  pm.addPass(createLinalgGeneralizeNamedOpsPass());
  pm.addPass(attn::createFuseElementwisePass());
  attn::FuseOnlineSoftmaxPassOptions online;
  online.minRowLength = options.onlineSoftmaxMinRow;
  online.shortDynamicRows = options.shortDynamicRows;
  pm.addPass(attn::createFuseOnlineSoftmaxPass(online));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void attn::buildLowerToLoopsPipeline(OpPassManager &pm,
                                     const LowerToLLVMOptions &options) {
  buildLowerToFusedLinalgPipeline(pm, options);
  // Softmax-like chains one row at a time (rows re-read from cache, a
  // softmax's exps computed once), row reductions with vector accumulators,
  // register-blocked contractions,
  // online softmax rows in lanes that LLVM vectorizes (each a no-op where
  // nothing fits).
  if (options.threads > 1) {
    attn::ParallelizeRowsPassOptions parallel;
    parallel.threads = options.threads;
    pm.addNestedPass<func::FuncOp>(attn::createParallelizeRowsPass(parallel));
  }
  attn::FuseRowsPassOptions fuseRows;
  fuseRows.cacheBytes = options.cacheBytes;
  pm.addNestedPass<func::FuncOp>(attn::createFuseRowsPass(fuseRows));
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(attn::createShareExponentialsPass());
  // Contractions first: a filled accumulator is still a fill then, which
  // the register tiles replace.
  attn::VectorizeContractionsPassOptions contractions;
  contractions.fma = options.reassoc;
  contractions.bf16Dot = options.bf16Dot;
  pm.addNestedPass<func::FuncOp>(
      attn::createVectorizeContractionsPass(contractions));
  attn::VectorizeReductionsPassOptions vectorize;
  vectorize.reassoc = options.reassoc;
  vectorize.cacheBytes = options.cacheBytes;
  pm.addNestedPass<func::FuncOp>(
      attn::createVectorizeReductionsPass(vectorize));
  // What a chunk loop computes from its row alone (a softmax row's 1/sum,
  // a flash row's shift) once per row, not per chunk: on tensors, reads
  // are pure and move.
  pm.addPass(createLoopInvariantCodeMotionPass());
  // Lanes sum a row in another order: only where sums may reassociate.
  if (options.reassoc)
    pm.addPass(attn::createSplitOnlineSoftmaxLanesPass());
  pm.addPass(attn::createEmitCInterfacePass());

  // Buffers. Identity layouts at function boundaries keep the C ABI simple
  // and the loads contiguous (a strided layout turns them into gathers).
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // A user's loop may carry an attn op's result to its next iteration (it
  // cannot be computed in place of its input): a new buffer each time.
  bufferize.allowReturnAllocsFromLoops = true;
  // A result computed into an empty tensor and inserted into a larger one
  // (a flash-attention block into the output) is computed in place.
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // Block-sized temporaries of loop bodies (flash attention's scores, a
  // softmax row's exps) allocated once, not per iteration.
  pm.addNestedPass<func::FuncOp>(bufferization::createBufferLoopHoistingPass());
  bufferization::buildBufferDeallocationPipeline(pm);
  // Returning an argument or a constant leaves bufferization.clone.
  pm.addPass(createConvertBufferizationToMemRefPass());
  // Large results streamed past the caches; what stays cached prefetched.
  pm.addNestedPass<func::FuncOp>(attn::createStreamResultsPass());
  if (options.prefetch)
    pm.addNestedPass<func::FuncOp>(attn::createPrefetchRowsPass());
  if (options.threads > 1) {
    pm.addPass(createForallToParallelLoopPass());
    ConvertSCFToOpenMPPassOptions openmp;
    openmp.numThreads = options.threads;
    pm.addPass(createConvertSCFToOpenMPPass(openmp));
    pm.addPass(attn::createScheduleDynamicallyPass());
    pm.addNestedPass<func::FuncOp>(attn::createSerializeSmallRegionsPass());
  }
  pm.addPass(attn::createMemRefCopyToLinalgPass());
  if (options.reassoc)
    pm.addPass(attn::createReassociateReductionsPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll()));
}

void attn::buildLowerToLLVMPipeline(OpPassManager &pm,
                                    const LowerToLLVMOptions &options) {
  buildLowerToLoopsPipeline(pm, options);
  if (options.fastMath)
    pm.addPass(attn::createApproximateMathPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  ConvertVectorToLLVMPassOptions toLLVM;
  // The 16 x 16 squares of a transpose (--attn-vectorize-reductions) as 64
  // two-source shuffles rather than 256 element moves.
  toLLVM.vectorTransposeLowering =
      vector::VectorTransposeLowering::Shuffle16x16;
  toLLVM.x86Vector = options.bf16Dot;
  pm.addPass(createConvertVectorToLLVMPass(toLLVM));
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  // scf must be lowered to cf before the LLVM conversions, which ignore it;
  // after memref lowering, which keeps OpenMP's alloca scopes one block.
  pm.addPass(createSCFToControlFlowPass());
  attn::LowerRuntimeChecksPassOptions checks;
  checks.defineHandler = !options.externalCheckHandler;
  pm.addPass(attn::createLowerRuntimeChecksPass(checks));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  // Upstream's runtime verification of tensor ops (slices of the caller's
  // own code) compares with the index dialect.
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  if (options.threads > 1)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  // Boolean masks are bytes in memory; LLVM's i1 vectors are bits.
  pm.addPass(attn::createBoolVectorsAsBytesPass());
  pm.addPass(createCanonicalizerPass());
}

/// Option values no pipeline can use; reported like an unparsable option.
static LogicalResult
checkOptions(const attn::LowerToLLVMOptions &options,
             function_ref<LogicalResult(const Twine &)> errorHandler) {
  if (options.threads < 1)
    return errorHandler("threads must be at least 1, got " +
                        Twine(options.threads));
  if (options.blockQ < 1 || options.blockKV < 1)
    return errorHandler("block-q and block-kv must be positive, got " +
                        Twine(options.blockQ) + " and " +
                        Twine(options.blockKV));
  if (options.cacheBytes < 0)
    return errorHandler("cache-bytes must not be negative, got " +
                        Twine(options.cacheBytes));
  if (options.onlineSoftmaxMinRow < 0)
    return errorHandler("online-softmax-min-row must not be negative, got " +
                        Twine(options.onlineSoftmaxMinRow));
  return success();
}

/// PassPipelineRegistration with the options checked before building.
static void registerPipeline(StringRef name, StringRef description,
                             void (*build)(OpPassManager &,
                                           const attn::LowerToLLVMOptions &)) {
  registerPassPipeline(
      name, description,
      [build](OpPassManager &pm, StringRef text,
              function_ref<LogicalResult(const Twine &)> errorHandler) {
        attn::LowerToLLVMOptions options;
        if (failed(options.parseFromString(text)) ||
            failed(checkOptions(options, errorHandler)))
          return failure();
        build(pm, options);
        return success();
      },
      [](function_ref<void(const detail::PassOptions &)> optionHandler) {
        optionHandler(attn::LowerToLLVMOptions());
      });
}

void attn::registerPipelines() {
  registerPipeline(
      "attn-lower-to-fused-linalg",
      "Lower attn ops to fused linalg on tensors: one linalg.generic per "
      "reduction (a long row's softmax max and sum as one online reduction)",
      buildLowerToFusedLinalgPipeline);
  registerPipeline(
      "attn-lower-to-loops",
      "Lower attn ops to loops on buffers: --attn-lower-to-fused-linalg, "
      "row-fused and vectorized reductions, threads, C interfaces, "
      "bufferization, deallocation, loops",
      buildLowerToLoopsPipeline);
  registerPipeline(
      "attn-lower-to-llvm",
      "Lower attn ops to the LLVM dialect: --attn-lower-to-loops, polynomial "
      "exp/log, runtime checks, LLVM (ready for mlir-translate)",
      buildLowerToLLVMPipeline);
}
