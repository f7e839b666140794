//===- attn-compile.cpp - attn programs to shared libraries ---------------===//
//
// Compiles an attn program ahead of time: `--attn-lower-to-llvm` with the
// given pipeline options, LLVM IR optimized for the target CPU (this host's
// by default), an object file, and, unless the output ends in `.o`, a
// shared library linked by clang. `--header` writes the C declarations of
// the library's entry points (`_mlir_ciface_<name>`) and of the memref
// descriptors they take, for C and C++ callers:
//
//   attn-compile model.mlir -o libmodel.so --header model.h \
//     --options "threads=2 attention=flash"
//
// A program sharded over a grid of processes (shard dialect annotations)
// compiles to one process's part: the header declares the functions with
// their per-process shapes, and the library links the MPI implementation
// its calls follow (libmpich, or libmpi for Open MPI).
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/InitAttn.h"
#include "AttnDialect/Support/InputLimits.h"
#include "AttnDialect/Target/ObjectFile.h"

#include "mlir/Dialect/DLTI/DLTI.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Shard/Transforms/Passes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

#include <set>

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input.mlir>"),
                                      cl::init("-"));
static cl::opt<std::string> outputFile("o", cl::desc("Output: a shared "
                                                     "library, or an object "
                                                     "file if it ends in .o"),
                                       cl::value_desc("file"), cl::Required);
static cl::opt<std::string>
    headerFile("header", cl::desc("Write the C declarations of the entry "
                                  "points to this file"),
               cl::value_desc("file.h"));
static cl::opt<std::string> pipelineOptions(
    "options",
    cl::desc("Options of --attn-lower-to-llvm, e.g. \"threads=2 "
             "attention=flash\" (see attn-opt --help)"),
    cl::value_desc("options"));
static cl::opt<std::string>
    targetCpu("mcpu", cl::desc("Target CPU (default: this host's)"),
              cl::value_desc("cpu"));
static cl::opt<std::string>
    targetFeatures("mattr",
                   cl::desc("Target features with --mcpu, e.g. +avx2,+fma"),
                   cl::value_desc("features"));
static cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimization level"),
                                  cl::Prefix, cl::init(3));
static cl::opt<std::string>
    linker("cc", cl::desc("The C compiler that links the shared library"),
           cl::init("clang-22"));

/// The C type of a memref element type, or "" if C has none here.
static std::string cTypeOf(Type type) {
  if (type.isF32())
    return "float";
  if (type.isF64())
    return "double";
  if (type.isF16() || type.isBF16())
    return "uint16_t"; // the bits of a half or bfloat16
  if (auto integer = dyn_cast<IntegerType>(type)) {
    switch (integer.getWidth()) {
    case 1:
    case 8:
      return "int8_t";
    case 16:
      return "int16_t";
    case 32:
      return "int32_t";
    case 64:
      return "int64_t";
    }
  }
  return "";
}

static std::string typeSuffix(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  type.print(os);
  return text;
}

/// The descriptor type name of a ranked `type`, e.g. attn_memref_2d_f32.
static std::string descriptorName(ShapedType type) {
  return "attn_memref_" + std::to_string(type.getRank()) + "d_" +
         typeSuffix(type.getElementType());
}

static std::string printed(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  type.print(os);
  return text;
}

/// The C header of `module`'s public functions (before lowering).
static LogicalResult writeHeader(ModuleOp module, llvm::raw_ostream &os,
                                 StringRef guardName) {
  std::string guard = "ATTN_";
  for (char c : guardName)
    guard += std::isalnum(static_cast<unsigned char>(c)) ? std::toupper(c) : '_';
  guard += "_H";
  std::string types, functions;
  llvm::raw_string_ostream typesOs(types), functionsOs(functions);
  std::set<std::string> defined;
  auto describe = [&](func::FuncOp func, Type type) -> FailureOr<std::string> {
    auto shaped = dyn_cast<ShapedType>(type);
    if (!shaped || !shaped.hasRank() || !isa<RankedTensorType, MemRefType>(type) ||
        cTypeOf(shaped.getElementType()).empty())
      return func.emitError("attn-compile --header: ")
             << "a C caller cannot pass " << type
             << "; entry points take and return ranked tensors of f16, bf16, "
                "f32, f64 or integers";
    std::string name = descriptorName(shaped);
    if (defined.insert(name).second) {
      typesOs << "#ifndef " << name << "_DEFINED\n#define " << name
              << "_DEFINED\n"
              << "typedef struct {\n  " << cTypeOf(shaped.getElementType())
              << " *allocated, *aligned;\n  int64_t offset;\n";
      if (shaped.getRank() > 0)
        typesOs << "  int64_t sizes[" << shaped.getRank() << "], strides["
                << shaped.getRank() << "];\n";
      typesOs << "} " << name << ";\n#endif\n\n";
    }
    return name;
  };
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isDeclaration() || func.isPrivate())
      continue;
    std::string name = func.getName().str();
    SmallVector<std::string> params;
    functionsOs << "/* @" << name << "(";
    llvm::interleaveComma(func.getArgumentTypes(), functionsOs,
                          [&](Type t) { functionsOs << printed(t); });
    functionsOs << ") -> (";
    llvm::interleaveComma(func.getResultTypes(), functionsOs,
                          [&](Type t) { functionsOs << printed(t); });
    functionsOs << ") */\n";
    ArrayRef<Type> results = func.getResultTypes();
    if (results.size() == 1) {
      FailureOr<std::string> d = describe(func, results[0]);
      if (failed(d))
        return failure();
      params.push_back(*d + " *result");
    } else if (results.size() > 1) {
      functionsOs << "typedef struct {\n";
      for (auto [i, t] : llvm::enumerate(results)) {
        FailureOr<std::string> d = describe(func, t);
        if (failed(d))
          return failure();
        functionsOs << "  " << *d << " r" << i << ";\n";
      }
      functionsOs << "} " << name << "_results;\n";
      params.push_back(name + "_results *results");
    }
    for (auto [i, t] : llvm::enumerate(func.getArgumentTypes())) {
      FailureOr<std::string> d = describe(func, t);
      if (failed(d))
        return failure();
      params.push_back(*d + " *arg" + std::to_string(i));
    }
    functionsOs << "void _mlir_ciface_" << name << "(";
    llvm::interleaveComma(params, functionsOs);
    functionsOs << ");\n\n";
  }
  os << "/* Generated by attn-compile: the C interface of a library of attn\n"
        "   functions. A tensor is passed as a memref descriptor (its buffer,\n"
        "   offset, sizes and strides in elements); results are written to\n"
        "   the first argument, their buffers allocated with malloc: the\n"
        "   caller frees `allocated`. f16 and bf16 elements are their bits. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stdint.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << types << functions
     << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
  return success();
}

/// Links `object` into the shared library `output` with the C compiler;
/// libomp when the code runs on threads.
static LogicalResult linkSharedLibrary(ModuleOp lowered, StringRef object,
                                       StringRef output) {
  // Threads are omp dialect ops until translation makes them libomp calls.
  bool usesOpenMP = false;
  lowered.walk([&](Operation *op) {
    if (op->getDialect() && op->getDialect()->getNamespace() == "omp")
      usesOpenMP = true;
  });
  // Collectives are calls of MPI functions, of the implementation the
  // module names (attn-target-mpi).
  bool usesMPI =
      llvm::any_of(lowered.getOps<LLVM::LLVMFuncOp>(), [](LLVM::LLVMFuncOp f) {
        return f.getName().starts_with("MPI_");
      });
  std::string mpiLibrary = "-lmpich";
  if (auto map = lowered->getAttrOfType<MapAttr>("dlti.map"))
    if (FailureOr<Attribute> name = map.query(
            StringAttr::get(lowered.getContext(), "MPI:Implementation"));
        succeeded(name) && isa<StringAttr>(*name) &&
        cast<StringAttr>(*name).getValue() == "OpenMPI")
      mpiLibrary = "-lmpi";
  auto program = llvm::sys::findProgramByName(linker);
  if (!program) {
    llvm::errs() << "attn-compile: cannot find the linker '" << linker
                 << "' (--cc)\n";
    return failure();
  }
  std::string libDir = "/usr/lib/llvm-22/lib";
  SmallVector<std::string> args = {*program, "-shared", "-o", output.str(),
                                   object.str(), "-lm"};
  if (usesMPI)
    args.push_back(mpiLibrary);
  if (usesOpenMP) {
    args.push_back(libDir + "/libomp.so");
    args.push_back("-Wl,-rpath," + libDir);
  }
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  std::string error;
  int status = llvm::sys::ExecuteAndWait(*program, argRefs, std::nullopt, {},
                                         0, 0, &error);
  if (status != 0) {
    llvm::errs() << "attn-compile: linking " << output << " failed"
                 << (error.empty() ? "" : ": " + error) << "\n";
    return failure();
  }
  return success();
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAllPasses();
  attn::registerAttnPassesAndPipelines();
  cl::ParseCommandLineOptions(argc, argv,
                              "attn-compile: attn programs to shared "
                              "libraries with a C header\n");
  DialectRegistry registry;
  attn::registerAttnDialect(registry);
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  std::string error;
  auto input = openInputFile(inputFile, &error);
  if (!input) {
    llvm::errs() << "attn-compile: " << error << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  StringRef text = input->getBuffer();
  if (std::optional<attn::InputProblem> problem =
          attn::findParserCrashHazard(text)) {
    sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
    sourceMgr.PrintMessage(
        llvm::SMLoc::getFromPointer(text.data() + problem->offset),
        llvm::SourceMgr::DK_Error, problem->message);
    return 1;
  }
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!module)
    return 1;

  if (!headerFile.empty()) {
    // A sharded program's functions as one process sees them.
    OwningOpRef<ModuleOp> described = module->clone();
    if (!described->getOps<shard::GridOp>().empty()) {
      PassManager partition(&context, ModuleOp::getOperationName());
      partition.addNestedPass<func::FuncOp>(shard::createShardingPropagation());
      partition.addNestedPass<func::FuncOp>(shard::createPartition());
      if (failed(partition.run(*described)))
        return 1;
    }
    std::string header;
    llvm::raw_string_ostream os(header);
    if (failed(writeHeader(*described, os, llvm::sys::path::stem(headerFile))))
      return 1;
    auto out = openOutputFile(headerFile, &error);
    if (!out) {
      llvm::errs() << "attn-compile: " << error << "\n";
      return 1;
    }
    out->os() << header;
    out->keep();
  }

  PassManager pm(&context, ModuleOp::getOperationName());
  std::string pipeline = "attn-lower-to-llvm";
  if (!pipelineOptions.empty())
    pipeline += "{" + pipelineOptions + "}";
  if (failed(parsePassPipeline(pipeline, pm, llvm::errs())))
    return 1;
  if (failed(pm.run(*module)))
    return 1;

  auto tm = attn::createTargetMachine(
      static_cast<llvm::CodeGenOptLevel>(std::min(optLevel.getValue(), 3u)),
      targetCpu, targetFeatures);
  if (!tm) {
    llvm::errs() << "attn-compile: cannot create the target machine: "
                 << llvm::toString(tm.takeError()) << "\n";
    return 1;
  }
  FailureOr<llvm::SmallVector<char, 0>> object = attn::emitObjectFile(
      *module, **tm, optLevel, /*packedWrappers=*/false);
  if (failed(object))
    return 1;

  bool objectOnly = StringRef(outputFile).ends_with(".o");
  std::string objectPath = outputFile;
  llvm::SmallString<128> temporary;
  if (!objectOnly) {
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
            "attn-compile", "o", temporary)) {
      llvm::errs() << "attn-compile: cannot create a temporary file: "
                   << ec.message() << "\n";
      return 1;
    }
    objectPath = temporary.str().str();
  }
  {
    auto out = openOutputFile(objectPath, &error);
    if (!out) {
      llvm::errs() << "attn-compile: " << error << "\n";
      return 1;
    }
    out->os().write(object->data(), object->size());
    out->keep();
  }
  if (objectOnly)
    return 0;
  LogicalResult linked = linkSharedLibrary(*module, objectPath, outputFile);
  llvm::sys::fs::remove(objectPath);
  return succeeded(linked) ? 0 : 1;
}
