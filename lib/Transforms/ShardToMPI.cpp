//===- ShardToMPI.cpp - a sharded module as one process's part ------------===//
//
// Upstream's sharding passes, run only on a module that has a grid: they
// refuse functions they cannot shard (external declarations, calls), which
// every unsharded program may hold.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Shard/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"

namespace mlir::attn {
#define GEN_PASS_DEF_SHARDTOMPIPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

struct ShardToMPIPass : attn::impl::ShardToMPIPassBase<ShardToMPIPass> {
  using ShardToMPIPassBase::ShardToMPIPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (module.getOps<shard::GridOp>().empty())
      return;
    OpPassManager pipeline(ModuleOp::getOperationName());
    pipeline.addNestedPass<func::FuncOp>(shard::createShardingPropagation());
    pipeline.addNestedPass<func::FuncOp>(shard::createPartition());
    pipeline.addPass(createConvertShardToMPIPass());
    attn::TargetMPIPassOptions target;
    target.implementation = implementation;
    pipeline.addPass(attn::createTargetMPIPass(target));
    ConvertToLLVMPassOptions toLLVM;
    toLLVM.filterDialects = {"mpi"};
    pipeline.addPass(createConvertToLLVMPass(toLLVM));
    if (failed(runPipeline(pipeline, module)))
      signalPassFailure();
  }
};

} // namespace
