//===- AttnCore.cpp - the _attn_core Python extension ---------------------===//
//
// The C++ half of the `attn` Python package: parses MLIR with the attn
// dialect, runs attn's pipelines, translates to LLVM IR, compiles a module
// to an object file (AttnTarget) and loads objects with ORC's LLJIT so that
// their functions can be called on numpy arrays through their C interfaces
// (`_mlir_ciface_<name>`, through packed wrappers). Compiling and loading
// are separate steps so that the package can keep objects on disk.
//
// MLIR's own Python bindings are not packaged on this platform, so this is
// deliberately small: text in, text or arrays out. Diagnostics become
// `CompileError` with the MLIR message and location.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/InitAttn.h"
#include "AttnDialect/Support/InputLimits.h"
#include "AttnDialect/Target/ObjectFile.h"
#include "BufferCache.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <map>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace py = pybind11;
using namespace mlir;

namespace {

/// A parse, verification, pass or JIT failure, with MLIR's diagnostics.
struct CompileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Registers dialects, passes and LLVM targets once per process.
const DialectRegistry &globalRegistry() {
  static DialectRegistry *registry = [] {
    registerAllPasses();
    attn::registerAttnPassesAndPipelines();
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    auto *r = new DialectRegistry();
    attn::registerAttnDialect(*r);
    registerAllDialects(*r);
    registerAllExtensions(*r);
    registerAllToLLVMIRTranslations(*r);
    return r;
  }();
  return *registry;
}

/// Prints `loc` as `file:line:col` where it has one.
void printLocation(llvm::raw_ostream &os, Location loc) {
  if (auto fileLoc = loc->findInstanceOf<FileLineColLoc>())
    os << fileLoc.getFilename().getValue() << ":" << fileLoc.getLine() << ":"
       << fileLoc.getColumn();
  else
    os << loc;
}

/// An MLIR context that records every diagnostic as "loc: error: message".
class Session {
public:
  Session() : context(globalRegistry(), MLIRContext::Threading::DISABLED) {
    context.loadAllAvailableDialects();
    handler = context.getDiagEngine().registerHandler([this](Diagnostic &d) {
      std::string text;
      llvm::raw_string_ostream os(text);
      printLocation(os, d.getLocation());
      os << ": ";
      switch (d.getSeverity()) {
      case DiagnosticSeverity::Error:
        os << "error: ";
        break;
      case DiagnosticSeverity::Warning:
        os << "warning: ";
        break;
      case DiagnosticSeverity::Note:
        os << "note: ";
        break;
      case DiagnosticSeverity::Remark:
        os << "remark: ";
        break;
      }
      os << d;
      for (Diagnostic &note : d.getNotes()) {
        os << "\n";
        printLocation(os, note.getLocation());
        os << ": note: " << note;
      }
      diagnostics.push_back(text);
      return success();
    });
  }
  ~Session() { context.getDiagEngine().eraseHandler(handler); }

  /// Throws CompileError with `what` and the diagnostics so far.
  [[noreturn]] void fail(const std::string &what) {
    std::string message = what;
    for (const std::string &d : diagnostics)
      message += "\n" + d;
    diagnostics.clear();
    throw CompileError(message);
  }

  OwningOpRef<ModuleOp> parse(const std::string &source) {
    // Text that would crash MLIR's parser is refused at its location.
    if (std::optional<attn::InputProblem> problem =
            attn::findParserCrashHazard(source)) {
      llvm::StringRef before =
          llvm::StringRef(source).take_front(problem->offset);
      unsigned line = before.count('\n') + 1;
      unsigned column = problem->offset - (before.rfind('\n') + 1) + 1;
      emitError(FileLineColLoc::get(&context, "<source>", line, column))
          << problem->message;
      fail("cannot parse the MLIR source");
    }
    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(source, ParserConfig(&context), "<source>");
    if (!module)
      fail("cannot parse the MLIR source");
    return module;
  }

  /// Runs the textual pass pipeline `pipeline` (passes nested on
  /// builtin.module, comma-separated) on `module`.
  void run(ModuleOp module, const std::string &pipeline) {
    PassManager pm(&context, ModuleOp::getOperationName());
    std::string error;
    llvm::raw_string_ostream errorStream(error);
    if (failed(parsePassPipeline(pipeline, pm, errorStream)))
      fail("invalid pass pipeline '" + pipeline + "': " + error);
    if (failed(pm.run(module)))
      fail("pass pipeline '" + pipeline + "' failed");
  }

  MLIRContext context;

private:
  DiagnosticEngine::HandlerID handler;
  std::vector<std::string> diagnostics;
};

std::string print(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  op->print(os);
  return text;
}

/// `source` after `pipeline`, printed.
std::string lower(const std::string &source, const std::string &pipeline) {
  Session session;
  OwningOpRef<ModuleOp> module = session.parse(source);
  if (!pipeline.empty())
    session.run(*module, pipeline);
  return print(*module);
}

/// The result types of the first attn op in `source`, as the op infers and
/// its verifier accepts them: the size rules live in the compiler, and the
/// Python ops ask it (a broken rule raises CompileError with the verifier's
/// diagnostic).
std::vector<std::string> inferResultTypes(const std::string &source) {
  Session session;
  OwningOpRef<ModuleOp> module = session.parse(source);
  std::vector<std::string> types;
  // Pre-order: the op itself, not the attn.yield of one of its regions.
  module->walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (op->getDialect() && op->getDialect()->getNamespace() == "attn") {
      for (Type type : op->getResultTypes()) {
        std::string text;
        llvm::raw_string_ostream os(text);
        type.print(os);
        types.push_back(text);
      }
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (types.empty())
    session.fail("no attn op in the source");
  return types;
}

/// LLVM IR of `source` after `pipeline`, which must reach the LLVM dialect.
std::string translateToLLVMIR(const std::string &source,
                              const std::string &pipeline) {
  Session session;
  OwningOpRef<ModuleOp> module = session.parse(source);
  if (!pipeline.empty())
    session.run(*module, pipeline);
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(*module, llvmContext);
  if (!llvmModule)
    session.fail("cannot translate the module to LLVM IR");
  std::string text;
  llvm::raw_string_ostream os(text);
  llvmModule->print(os, nullptr);
  return text;
}

/// Where a failed runtime check of the compiled code jumps back to, and its
/// message: compiled with `external-check-handler`, the code calls
/// attn_check_failed, which this extension provides.
thread_local std::jmp_buf *checkJump = nullptr;
thread_local std::string checkMessage;
thread_local bool checkOutOfMemory = false;
/// The buffers a guarded call has allocated on its own thread and not freed
/// yet: released if it jumps back, whose code would have freed them.
thread_local std::vector<void *> *callAllocations = nullptr;

/// The compiled code's malloc and free (see BufferCache.h); results handed
/// to numpy are released here too. Keeps at most 1 GiB of freed buffers.
attn_jit::BufferCache &bufferCache() {
  static auto *cache = new attn_jit::BufferCache(size_t(1) << 30);
  return *cache;
}

/// Whether the calling thread is inside an OpenMP parallel region, of one
/// thread or more (libomp is loaded once a kernel compiled with threads is).
static bool inParallelRegion() {
  auto level =
      reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "omp_get_level"));
  return level && level() > 0;
}

extern "C" void *attnMalloc(size_t size) {
  void *p = bufferCache().allocate(size);
  if (!p && size != 0) {
    // The cache's freed buffers may be what is missing.
    bufferCache().trim();
    p = bufferCache().allocate(size);
  }
  if (p && callAllocations)
    callAllocations->push_back(p);
  if (p || size == 0)
    return p;
  // The compiled code does not check malloc: back to the caller with a
  // MemoryError, or, inside an OpenMP region (no way out of it), stop with a
  // message. The message goes straight to the thread's storage: no object
  // of this frame is alive when longjmp leaves it (its temporaries die with
  // the statement), so no destructor is skipped.
  checkMessage =
      "out of memory: cannot allocate " + std::to_string(size) + " bytes";
  if (!checkJump || inParallelRegion()) {
    std::fprintf(stderr, "attn: %s\n", checkMessage.c_str());
    std::abort();
  }
  checkOutOfMemory = true;
  std::longjmp(*checkJump, 1);
}

extern "C" void attnFree(void *p) {
  if (callAllocations) {
    auto it = std::find(callAllocations->rbegin(), callAllocations->rend(), p);
    if (it != callAllocations->rend())
      callAllocations->erase(std::next(it).base());
  }
  bufferCache().release(p);
}

extern "C" void attnCheckFailed(const char *message, int64_t length) {
  checkMessage.assign(message, length);
  // Checks run before the op they guard; the generated code holds no
  // resources but the buffers of earlier ops, which the guarded call frees.
  std::longjmp(*checkJump, 1);
}

/// A compiled function's packed wrapper: it takes a pointer to each
/// argument (and to the results).
using PackedFunction = void (*)(void **);

/// Calls a packed function; false if a runtime check failed.
bool invokeGuarded(PackedFunction function, void **args) {
  std::jmp_buf buffer;
  std::vector<void *> allocations;
  checkJump = &buffer;
  checkOutOfMemory = false;
  callAllocations = &allocations;
  if (setjmp(buffer)) {
    checkJump = nullptr;
    callAllocations = nullptr;
    for (void *p : allocations)
      bufferCache().release(p);
    return false;
  }
  function(args);
  checkJump = nullptr;
  callAllocations = nullptr;
  return true;
}

/// The type of one argument or result of a compiled function.
struct TensorSignature {
  std::string elementType;    // "f32", "f64", "f16", "bf16", "i32", "i64", ...
  std::vector<int64_t> shape; // -1 for a dynamic size
};

/// The numpy dtype of an MLIR element type name.
py::dtype dtypeOf(const std::string &elementType) {
  static const std::map<std::string, const char *> names = {
      {"f16", "float16"}, {"f32", "float32"}, {"f64", "float64"},
      {"i8", "int8"},     {"i16", "int16"},   {"i32", "int32"},
      {"i64", "int64"},   {"i1", "bool"},
      // numpy has no bfloat16: its bits, in uint16.
      {"bf16", "uint16"}};
  // Made once per type: numpy parses the name each time otherwise.
  static std::map<std::string, py::dtype> *made =
      new std::map<std::string, py::dtype>();
  if (auto known = made->find(elementType); known != made->end())
    return known->second;
  auto it = names.find(elementType);
  if (it == names.end())
    throw py::type_error("element type " + elementType + " has no numpy dtype");
  return made->emplace(elementType, py::dtype(it->second)).first->second;
}

using FunctionSignatures =
    std::map<std::string, std::pair<std::vector<TensorSignature>,
                                    std::vector<TensorSignature>>>;

/// The tensor signatures of `module`'s public functions, before lowering.
FunctionSignatures tensorSignatures(Session &session, ModuleOp module) {
  FunctionSignatures signatures;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isDeclaration() || func.isPrivate())
      continue;
    auto &sig = signatures[func.getName().str()];
    auto convert = [&](Type type) {
      TensorSignature t;
      auto shaped = dyn_cast<ShapedType>(type);
      if (shaped && shaped.hasRank() &&
          isa<RankedTensorType, MemRefType>(type)) {
        llvm::raw_string_ostream os(t.elementType);
        shaped.getElementType().print(os);
        for (int64_t d : shaped.getShape())
          t.shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
      } else {
        session.fail("function @" + func.getName().str() +
                     " takes or returns a non-tensor type; only ranked "
                     "tensors can be passed from Python");
      }
      return t;
    };
    for (Type t : func.getArgumentTypes())
      sig.first.push_back(convert(t));
    for (Type t : func.getResultTypes())
      sig.second.push_back(convert(t));
  }
  return signatures;
}

py::dict signaturesToPython(const FunctionSignatures &signatures) {
  py::dict result;
  for (auto &[name, sig] : signatures) {
    auto toList = [](const std::vector<TensorSignature> &types) {
      py::list list;
      for (const TensorSignature &t : types)
        list.append(py::make_tuple(t.elementType, t.shape));
      return list;
    };
    result[py::str(name)] =
        py::make_tuple(toList(sig.first), toList(sig.second));
  }
  return result;
}

FunctionSignatures signaturesFromPython(const py::dict &dict) {
  FunctionSignatures signatures;
  for (auto [name, sig] : dict) {
    auto pair = sig.cast<py::tuple>();
    if (pair.size() != 2)
      throw py::value_error("a signature is (arguments, results)");
    auto fromList = [](py::handle list) {
      std::vector<TensorSignature> types;
      for (py::handle item : list) {
        auto t = item.cast<py::tuple>();
        types.push_back(TensorSignature{t[0].cast<std::string>(),
                                        t[1].cast<std::vector<int64_t>>()});
      }
      return types;
    };
    signatures[name.cast<std::string>()] = {fromList(pair[0]),
                                            fromList(pair[1])};
  }
  return signatures;
}

/// Compiles `source` through `pipeline` (to the LLVM dialect) into an object
/// file for this host, with a packed wrapper per public function; returns
/// the object's bytes and the functions' tensor signatures.
py::tuple compileObject(const std::string &source, const std::string &pipeline,
                        int optLevel) {
  Session session;
  OwningOpRef<ModuleOp> module = session.parse(source);
  FunctionSignatures signatures = tensorSignatures(session, *module);
  session.run(*module, pipeline);
  // Optimize for this host (AVX-512 where there is one): without its
  // target machine LLVM's vectorizers see no vector registers.
  auto tm = attn::createTargetMachine(
      static_cast<llvm::CodeGenOptLevel>(optLevel));
  if (!tm)
    session.fail("cannot target this host: " + llvm::toString(tm.takeError()));
  FailureOr<llvm::SmallVector<char, 0>> object;
  {
    py::gil_scoped_release release;
    object = attn::emitObjectFile(*module, **tm, optLevel,
                                  /*packedWrappers=*/true);
  }
  if (failed(object))
    session.fail("cannot compile the module to native code");
  return py::make_tuple(py::bytes(object->data(), object->size()),
                        signaturesToPython(signatures));
}

/// An object file compiled by compileObject, loaded into this process with
/// ORC; its functions take and return arrays.
class JitModule {
public:
  JitModule(const py::bytes &object, const py::dict &signatureDict,
            const std::vector<std::string> &sharedLibs)
      : signatures(signaturesFromPython(signatureDict)) {
    auto fail = [](const std::string &what, llvm::Error error) {
      throw CompileError(what + ": " + llvm::toString(std::move(error)));
    };
    globalRegistry(); // the native target
    auto created = llvm::orc::LLJITBuilder().create();
    if (!created)
      fail("cannot create a JIT", created.takeError());
    jit = std::move(*created);
    llvm::orc::JITDylib &dylib = jit->getMainJITDylib();
    char prefix = jit->getDataLayout().getGlobalPrefix();
    // The compiled code's malloc, free and check handler are this
    // extension's; libm and libc come from the process, libomp is loaded.
    llvm::orc::SymbolMap symbols;
    auto define = [&](const char *name, void *address) {
      symbols[jit->mangleAndIntern(name)] = {
          llvm::orc::ExecutorAddr::fromPtr(address),
          llvm::JITSymbolFlags::Exported};
    };
    define("attn_check_failed", reinterpret_cast<void *>(&attnCheckFailed));
    define("malloc", reinterpret_cast<void *>(&attnMalloc));
    define("free", reinterpret_cast<void *>(&attnFree));
    if (llvm::Error error = dylib.define(llvm::orc::absoluteSymbols(symbols)))
      fail("cannot define the runtime's symbols", std::move(error));
    for (const std::string &lib : sharedLibs) {
      auto generator = llvm::orc::DynamicLibrarySearchGenerator::Load(
          lib.c_str(), prefix);
      if (!generator)
        fail("cannot load " + lib, generator.takeError());
      dylib.addGenerator(std::move(*generator));
    }
    auto process =
        llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(prefix);
    if (!process)
      fail("cannot search this process", process.takeError());
    dylib.addGenerator(std::move(*process));
    std::string_view bytes(object);
    objectSize = bytes.size();
    if (llvm::Error error = jit->addObjectFile(llvm::MemoryBuffer::getMemBufferCopy(
            llvm::StringRef(bytes.data(), bytes.size()), "attn-kernel")))
      fail("cannot load the object", std::move(error));
    // Resolve every function now: a broken object fails here, not at a call.
    for (auto &[name, sig] : signatures)
      packedFunction(name);
  }

  size_t getObjectSize() const { return objectSize; }

  py::dict getSignatures() const { return signaturesToPython(signatures); }

  /// Calls `name` on C-contiguous arrays already checked against its
  /// signature; returns its results as arrays that own their memory.
  py::list call(const std::string &name, const std::vector<py::array> &args) {
    auto it = signatures.find(name);
    if (it == signatures.end())
      throw py::value_error("no public function @" + name + " in the module");
    const auto &[inputs, outputs] = it->second;
    if (args.size() != inputs.size())
      throw py::value_error("@" + name + " takes " +
                            std::to_string(inputs.size()) + " arrays");

    // One memref descriptor per argument: allocated and aligned pointers,
    // offset, sizes, strides (in elements).
    std::vector<std::vector<int64_t>> descriptors;
    std::vector<void *> descriptorPointers;
    for (const py::array &array : args) {
      if (!(array.flags() & py::array::c_style))
        throw py::value_error("arrays must be C-contiguous");
      std::vector<int64_t> d;
      auto data = reinterpret_cast<int64_t>(array.data());
      d.push_back(data);
      d.push_back(data);
      d.push_back(0);
      for (py::ssize_t i = 0; i < array.ndim(); ++i)
        d.push_back(array.shape(i));
      for (py::ssize_t i = 0; i < array.ndim(); ++i)
        d.push_back(array.strides(i) / array.itemsize());
      descriptors.push_back(std::move(d));
    }
    // The results: one struct of descriptors, laid out one after another.
    size_t resultWords = 0;
    for (const TensorSignature &t : outputs)
      resultWords += 3 + 2 * t.shape.size();
    std::vector<int64_t> results(resultWords, 0);

    // _mlir_ciface_<name>(results*, arg0*, arg1*, ...) through its packed
    // wrapper, which takes a pointer to each argument.
    std::vector<void *> pointers;
    void *resultPointer = results.data();
    if (!outputs.empty())
      pointers.push_back(&resultPointer);
    for (auto &d : descriptors)
      descriptorPointers.push_back(d.data());
    for (void *&p : descriptorPointers)
      pointers.push_back(&p);
    PackedFunction function = packedFunction(name);
    bool passed;
    {
      py::gil_scoped_release release;
      passed = invokeGuarded(function, pointers.data());
    }
    if (!passed && checkOutOfMemory) {
      PyErr_SetString(PyExc_MemoryError, checkMessage.c_str());
      throw py::error_already_set();
    }
    if (!passed)
      throw py::value_error("runtime check failed: " + checkMessage);

    py::list arrays;
    size_t word = 0;
    std::map<int64_t, py::object> owners;
    for (const TensorSignature &t : outputs) {
      int64_t *d = results.data() + word;
      word += 3 + 2 * t.shape.size();
      py::dtype dtype = dtypeOf(t.elementType);
      size_t rank = t.shape.size();
      std::vector<py::ssize_t> shape, strides;
      for (size_t i = 0; i < rank; ++i) {
        shape.push_back(d[3 + i]);
        strides.push_back(d[3 + rank + i] * dtype.itemsize());
      }
      auto *allocated = reinterpret_cast<void *>(d[0]);
      char *aligned = reinterpret_cast<char *>(d[1]) + d[2] * dtype.itemsize();
      // A result that is an input's buffer (or lives in one) is copied: the
      // caller owns neither.
      bool aliasesInput = false;
      for (const py::array &a : args) {
        auto *begin = static_cast<const char *>(a.data());
        if (aligned >= begin && aligned < begin + a.nbytes())
          aliasesInput = true;
      }
      if (aliasesInput) {
        py::array view(dtype, shape, strides, aligned);
        arrays.append(view.attr("copy")());
        continue;
      }
      // Results returned from one allocation share one owner.
      auto key = reinterpret_cast<int64_t>(allocated);
      auto owner = owners.find(key);
      if (owner == owners.end())
        owner = owners
                    .emplace(key, py::capsule(allocated,
                                              [](void *p) { attnFree(p); }))
                    .first;
      arrays.append(py::array(dtype, shape, strides, aligned, owner->second));
    }
    return arrays;
  }

private:
  /// The packed wrapper of @name, looked up in the JIT once: a lookup
  /// costs about as much as a small kernel's whole call.
  PackedFunction packedFunction(const std::string &name) {
    auto [it, inserted] = packedFunctions.try_emplace(name, nullptr);
    if (inserted) {
      auto address = jit->lookup(attn::packedWrapperName(name));
      if (!address) {
        packedFunctions.erase(it);
        throw CompileError("cannot call @" + name + ": " +
                           llvm::toString(address.takeError()));
      }
      it->second = address->toPtr<PackedFunction>();
    }
    return it->second;
  }

  FunctionSignatures signatures;
  std::unique_ptr<llvm::orc::LLJIT> jit;
  size_t objectSize = 0;
  std::map<std::string, PackedFunction> packedFunctions;
};

} // namespace

PYBIND11_MODULE(_attn_core, m) {
  m.doc() = "attn compiler core: parse, lower, translate and JIT MLIR";
  static py::exception<CompileError> compileError(m, "CompileError",
                                                  PyExc_RuntimeError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p)
        std::rethrow_exception(p);
    } catch (const CompileError &e) {
      PyErr_SetString(compileError.ptr(), e.what());
    }
  });

  m.def("lower", &lower, py::arg("source"), py::arg("pipeline"),
        "Parses `source`, runs the comma-separated `pipeline` of passes on "
        "builtin.module, and returns the printed module.");
  m.def("infer_result_types", &inferResultTypes, py::arg("source"),
        "Parses and verifies `source` and returns the result types of its "
        "first attn op (CompileError with the verifier's diagnostic if a "
        "rule is broken).");
  m.def("translate_to_llvmir", &translateToLLVMIR, py::arg("source"),
        py::arg("pipeline"),
        "Runs `pipeline`, which must reach the LLVM dialect, and returns the "
        "module as LLVM IR text.");
  m.def("compile_object", &compileObject, py::arg("source"),
        py::arg("pipeline"), py::arg("opt_level") = 3,
        "Compiles `source` through `pipeline` into an object file for this "
        "host; returns (object bytes, signatures of the public functions).");
  m.def("host_target", &attn::hostTargetDescription,
        "This host's triple, CPU and features, which compiled code depends on.");
  m.attr("llvm_version") = LLVM_VERSION_STRING;
  py::class_<JitModule>(m, "JitModule")
      .def(py::init<const py::bytes &, const py::dict &,
                    const std::vector<std::string> &>(),
           py::arg("object"), py::arg("signatures"),
           py::arg("shared_libs") = std::vector<std::string>())
      .def_property_readonly("signatures", &JitModule::getSignatures)
      .def_property_readonly("object_size", &JitModule::getObjectSize)
      .def("call", &JitModule::call, py::arg("name"), py::arg("args"));
  m.def(
      "buffer_cache_bytes", [] { return bufferCache().bytesCached(); },
      "Bytes of freed result and temporary buffers kept for reuse.");
  m.def(
      "trim_buffer_cache", [] { bufferCache().trim(); },
      "Frees the buffers kept for reuse.");
}
