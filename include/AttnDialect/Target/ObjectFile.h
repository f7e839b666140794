//===- ObjectFile.h - native objects from LLVM-dialect modules --*- C++ -*-===//
//
// The last level of the attn lowering, shared by the Python package's JIT,
// its on-disk cache and `attn-compile`: a module in the LLVM dialect becomes
// LLVM IR, is optimized for a target machine and emitted as a relocatable
// object (ELF, position-independent), which ORC loads in process or a linker
// turns into a shared library.
//
// MLIR's ExecutionEngine compiles and loads in one step and keeps its object
// to itself; a cache on disk and ahead-of-time libraries need the object
// bytes, so this emits them and the callers load or link them.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TARGET_OBJECTFILE_H
#define ATTN_TARGET_OBJECTFILE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/CodeGen.h"
#include "llvm/Support/Error.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>

namespace mlir::attn {

/// A target machine for `cpu` and `features` (empty: this host's CPU and all
/// of its features, as `-march=native`), position-independent code.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(llvm::CodeGenOptLevel optLevel, StringRef cpu = "",
                    StringRef features = "");

/// What code compiled for this host depends on: its triple, CPU name and
/// feature string (an object built for one is not loaded on another).
std::string hostTargetDescription();

/// The name of the packed wrapper of `_mlir_ciface_<name>`: a function
/// `void(void **args)` taking a pointer to each argument, as MLIR's
/// ExecutionEngine makes them, so that a caller can call any signature.
std::string packedWrapperName(StringRef name);

/// Translates `module` (LLVM dialect) to LLVM IR, adds a packed wrapper for
/// each `_mlir_ciface_` function when `packedWrappers`, optimizes it at
/// `optLevel` for `tm` and emits an object file. Failures are reported on
/// the module's location.
FailureOr<llvm::SmallVector<char, 0>>
emitObjectFile(ModuleOp module, llvm::TargetMachine &tm, unsigned optLevel,
               bool packedWrappers);

} // namespace mlir::attn

#endif // ATTN_TARGET_OBJECTFILE_H
