//===- TargetMPI.cpp - name the MPI ABI, keep collectives on the world ----===//
//
// Between `convert-shard-to-mpi` and the `mpi` dialect's lowering to calls:
// the lowering asks the module which MPI implementation's ABI to call
// (a DLTI entry), and upstream splits a new communicator for every
// collective, which this pass folds away where the split keeps every process.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/DLTI/DLTI.h"
#include "mlir/Dialect/MPI/IR/MPI.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_TARGETMPIPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

constexpr StringLiteral kImplementationKey = "MPI:Implementation";

// comm_split(comm_world, constant color, key) -> comm_world, when only
// all-reduces (indifferent to the ranks' order) use the new communicator.
struct FoldWorldSplit : OpRewritePattern<mpi::CommSplitOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(mpi::CommSplitOp split,
                                PatternRewriter &rewriter) const override {
    auto world = split.getComm().getDefiningOp<mpi::CommWorldOp>();
    if (!world || !matchPattern(split.getColor(), m_Constant()) ||
        (split.getRetval() && !split.getRetval().use_empty()))
      return failure();
    for (Operation *user : split.getNewcomm().getUsers())
      if (!isa<mpi::AllReduceOp>(user))
        return failure();
    rewriter.replaceAllUsesWith(split.getNewcomm(), world.getResult());
    rewriter.eraseOp(split);
    return success();
  }
};

// memref.alloc(memref.dim %src, kDynamic, ...) -> memref.alloc(memref.dim
// %src, p, ...) with p the position of each dynamic size: LLVM 22's
// convert-shard-to-mpi sizes an all-reduce's buffer by the dimension
// numbered ShapedType::kDynamic (out of bounds) instead of its own.
struct FixCollectiveBufferSizes : OpRewritePattern<memref::AllocOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::AllocOp alloc,
                                PatternRewriter &rewriter) const override {
    MemRefType type = alloc.getType();
    SmallVector<Value> sizes(alloc.getDynamicSizes());
    bool changed = false;
    unsigned next = 0;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (!type.isDynamicDim(d))
        continue;
      Value &size = sizes[next++];
      auto dim = size.getDefiningOp<memref::DimOp>();
      std::optional<int64_t> index =
          dim ? getConstantIntValue(dim.getIndex()) : std::nullopt;
      if (!index || *index != ShapedType::kDynamic ||
          cast<MemRefType>(dim.getSource().getType()).getRank() !=
              type.getRank())
        continue;
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPoint(alloc);
      size = memref::DimOp::create(rewriter, dim.getLoc(), dim.getSource(), d);
      changed = true;
    }
    if (!changed)
      return failure();
    rewriter.modifyOpInPlace(
        alloc, [&] { alloc.getDynamicSizesMutable().assign(sizes); });
    return success();
  }
};

struct TargetMPIPass : attn::impl::TargetMPIPassBase<TargetMPIPass> {
  using TargetMPIPassBase::TargetMPIPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    if (implementation != "MPICH" && implementation != "OpenMPI") {
      module.emitError() << "unknown MPI implementation '" << implementation
                         << "' (expected MPICH or OpenMPI)";
      return signalPassFailure();
    }
    // A grid is a compile-time fact: once partitioned and converted, no op
    // refers to it and it has no LLVM form.
    SymbolTableCollection symbols;
    SymbolUserMap users(symbols, module);
    for (auto grid : llvm::make_early_inc_range(module.getOps<shard::GridOp>()))
      if (users.getUsers(grid).empty())
        grid.erase();

    bool usesMPI = module
                       .walk([](Operation *op) {
                         return isa<mpi::MPIDialect>(op->getDialect())
                                    ? WalkResult::interrupt()
                                    : WalkResult::advance();
                       })
                       .wasInterrupted();
    if (!usesMPI)
      return;

    // The implementation, unless the module names one.
    auto key = StringAttr::get(ctx, kImplementationKey);
    auto map = module->getAttrOfType<MapAttr>(DLTIDialect::kMapAttrName);
    SmallVector<DataLayoutEntryInterface> entries;
    if (map)
      llvm::append_range(entries, map.getEntries());
    if (!map || failed(map.query(key))) {
      entries.push_back(
          DataLayoutEntryAttr::get(key, StringAttr::get(ctx, implementation)));
      module->setAttr(DLTIDialect::kMapAttrName, MapAttr::get(ctx, entries));
    }

    RewritePatternSet patterns(ctx);
    patterns.add<FoldWorldSplit, FixCollectiveBufferSizes>(ctx);
    if (failed(applyPatternsGreedily(module, std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
