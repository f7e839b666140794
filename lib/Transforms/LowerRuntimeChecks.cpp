//===- LowerRuntimeChecks.cpp - cf.assert to attn_check_failed ------------===//
//
// A failed check calls attn_check_failed(message, length), which either the
// module defines (stderr, then abort: unlike puts, nothing is left in a
// buffer) or the embedder provides (the Python package raises an exception).
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Transforms/Passes.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::attn {
#define GEN_PASS_DEF_LOWERRUNTIMECHECKSPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kHandler = "attn_check_failed";

/// Declares (and defines, if `define`) attn_check_failed in `module`:
///   write(2, message, length); write(2, "\n", 1); abort();
LLVM::LLVMFuncOp getOrCreateHandler(ModuleOp module, bool define) {
  if (auto existing = module.lookupSymbol<LLVM::LLVMFuncOp>(kHandler))
    return existing;
  MLIRContext *ctx = module.getContext();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = module.getLoc();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto i64 = IntegerType::get(ctx, 64);
  auto i32 = IntegerType::get(ctx, 32);
  auto voidType = LLVM::LLVMVoidType::get(ctx);
  auto handler = LLVM::LLVMFuncOp::create(
      b, loc, kHandler, LLVM::LLVMFunctionType::get(voidType, {ptr, i64}));
  if (!define)
    return handler;

  auto write = LLVM::LLVMFuncOp::create(
      b, loc, "write", LLVM::LLVMFunctionType::get(i64, {i32, ptr, i64}));
  auto abort = LLVM::LLVMFuncOp::create(
      b, loc, "abort", LLVM::LLVMFunctionType::get(voidType, {}));
  handler.setLinkage(LLVM::Linkage::LinkonceODR);
  Block *entry = handler.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  Value stderrFd = LLVM::ConstantOp::create(b, loc, i32, 2);
  LLVM::CallOp::create(b, loc, write,
                       ValueRange{stderrFd, entry->getArgument(0),
                                  entry->getArgument(1)});
  Value newline = LLVM::createGlobalString(loc, b, "attn_check_newline", "\n",
                                           LLVM::Linkage::Internal);
  Value one = LLVM::ConstantOp::create(b, loc, i64, 1);
  LLVM::CallOp::create(b, loc, write, ValueRange{stderrFd, newline, one});
  LLVM::CallOp::create(b, loc, abort, ValueRange{});
  LLVM::UnreachableOp::create(b, loc);
  return handler;
}

struct LowerRuntimeChecksPass
    : attn::impl::LowerRuntimeChecksPassBase<LowerRuntimeChecksPass> {
  using LowerRuntimeChecksPassBase::LowerRuntimeChecksPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<cf::AssertOp> asserts;
    module.walk([&](cf::AssertOp op) { asserts.push_back(op); });
    if (asserts.empty())
      return;
    LLVM::LLVMFuncOp handler = getOrCreateHandler(module, defineHandler);
    auto i64 = IntegerType::get(&getContext(), 64);
    unsigned counter = 0;
    for (cf::AssertOp op : asserts) {
      // before: ... cf.cond_br %ok, ^after, ^failed
      // ^failed: attn_check_failed(msg, len); unreachable
      OpBuilder b(op);
      Location loc = op.getLoc();
      Block *before = op->getBlock();
      Block *after = before->splitBlock(op);
      Block *failed = b.createBlock(after);
      b.setInsertionPointToStart(failed);
      std::string name = ("attn_check_message_" + Twine(counter++)).str();
      while (module.lookupSymbol(name))
        name = ("attn_check_message_" + Twine(counter++)).str();
      Value message = LLVM::createGlobalString(loc, b, name, op.getMsg(),
                                               LLVM::Linkage::Internal);
      Value length = LLVM::ConstantOp::create(b, loc, i64, op.getMsg().size());
      LLVM::CallOp::create(b, loc, handler, ValueRange{message, length});
      LLVM::UnreachableOp::create(b, loc);
      b.setInsertionPointToEnd(before);
      cf::CondBranchOp::create(b, loc, op.getArg(), after, failed);
      op.erase();
    }
  }
};

} // namespace
