//===- EmitCInterface.cpp - mark functions for a C interface --------------===//
//
// C and C++ callers reach compiled attn functions through the
// `_mlir_ciface_<name>` wrappers that --convert-func-to-llvm emits for
// functions carrying `llvm.emit_c_interface`; this pass sets that attribute
// on every function with a body.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::attn {
#define GEN_PASS_DEF_EMITCINTERFACEPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
struct EmitCInterfacePass
    : attn::impl::EmitCInterfacePassBase<EmitCInterfacePass> {
  void runOnOperation() override {
    UnitAttr unit = UnitAttr::get(&getContext());
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isDeclaration())
        func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(), unit);
  }
};
} // namespace
