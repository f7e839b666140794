//===- ObjectFile.cpp - native objects from LLVM-dialect modules ----------===//

#include "AttnDialect/Target/ObjectFile.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
attn::createTargetMachine(llvm::CodeGenOptLevel optLevel, StringRef cpu,
                          StringRef features) {
  static bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialized;
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  if (!cpu.empty()) {
    builder->setCPU(cpu.str());
    builder->getFeatures() = llvm::SubtargetFeatures(features);
  }
  // Objects go into shared libraries as well as into the JIT.
  builder->setRelocationModel(llvm::Reloc::PIC_);
  builder->setCodeGenOptLevel(optLevel);
  return builder->createTargetMachine();
}

std::string attn::hostTargetDescription() {
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder) {
    llvm::consumeError(builder.takeError());
    return "unknown host";
  }
  return builder->getTargetTriple().str() + " " + builder->getCPU() + " " +
         builder->getFeatures().getString();
}

std::string attn::packedWrapperName(StringRef name) {
  return ("_attn_packed_" + name).str();
}

/// Adds `void _attn_packed_<f>(ptr args)` for each `_mlir_ciface_<f>`:
/// args[i] points to argument i (each a pointer to a memref descriptor or
/// to the results' struct).
static void addPackedWrappers(llvm::Module &module) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::IRBuilder<> builder(ctx);
  llvm::Type *ptr = builder.getPtrTy();
  SmallVector<llvm::Function *> interfaces;
  for (llvm::Function &f : module)
    if (!f.isDeclaration() && f.getName().starts_with("_mlir_ciface_"))
      interfaces.push_back(&f);
  for (llvm::Function *f : interfaces) {
    auto *type = llvm::FunctionType::get(builder.getVoidTy(), {ptr}, false);
    auto *wrapper = llvm::Function::Create(
        type, llvm::GlobalValue::ExternalLinkage,
        attn::packedWrapperName(
            f->getName().drop_front(StringRef("_mlir_ciface_").size())),
        module);
    builder.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", wrapper));
    llvm::Value *args = wrapper->getArg(0);
    SmallVector<llvm::Value *> operands;
    for (auto [i, param] : llvm::enumerate(f->args())) {
      llvm::Value *slot = builder.CreateConstGEP1_64(ptr, args, i);
      llvm::Value *pointer = builder.CreateLoad(ptr, slot);
      operands.push_back(builder.CreateLoad(param.getType(), pointer));
    }
    llvm::Value *result = builder.CreateCall(f, operands);
    if (!f->getReturnType()->isVoidTy()) {
      llvm::Value *slot = builder.CreateConstGEP1_64(ptr, args, f->arg_size());
      builder.CreateStore(result, builder.CreateLoad(ptr, slot));
    }
    builder.CreateRetVoid();
  }
}

FailureOr<llvm::SmallVector<char, 0>>
attn::emitObjectFile(ModuleOp module, llvm::TargetMachine &tm,
                     unsigned optLevel, bool packedWrappers) {
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule)
    return module.emitError("cannot translate the module to LLVM IR");
  ExecutionEngine::setupTargetTripleAndDataLayout(llvmModule.get(), &tm);
  // bf16 dot products (the bf16-dot pipeline option) are instructions the
  // target CPU must have: LLVM's code generator aborts on them otherwise.
  for (llvm::Function &function : *llvmModule)
    if (function.getName().starts_with("llvm.x86.avx512bf16.") &&
        !tm.getMCSubtargetInfo()->checkFeatures("+avx512bf16"))
      return module.emitError("the module uses AVX512_BF16 dot products "
                              "(the bf16-dot pipeline option), which target "
                              "CPU '")
             << tm.getTargetCPU()
             << "' does not have: compile without bf16-dot, or for a CPU "
                "with avx512bf16";
  if (packedWrappers)
    addPackedWrappers(*llvmModule);
  auto optimize = makeOptimizingTransformer(optLevel, /*sizeLevel=*/0, &tm);
  if (llvm::Error error = optimize(llvmModule.get()))
    return module.emitError("cannot optimize the LLVM IR: ")
           << llvm::toString(std::move(error));
  llvm::SmallVector<char, 0> object;
  llvm::raw_svector_ostream os(object);
  llvm::legacy::PassManager codegen;
  if (tm.addPassesToEmitFile(codegen, os, nullptr,
                             llvm::CodeGenFileType::ObjectFile))
    return module.emitError("the target cannot emit object files");
  codegen.run(*llvmModule);
  return object;
}
