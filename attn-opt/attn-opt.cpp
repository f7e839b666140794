//===- attn-opt.cpp - the attn optimizer driver ---------------------------===//
//
// mlir-opt with the attn dialect, its passes and pipelines registered next to
// every upstream dialect, extension and pass. The input is checked for what
// would crash MLIR 22's parser (AttnDialect/Support/InputLimits.h) before
// MlirOptMain parses it: such an input gets one diagnostic at its location.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/InitAttn.h"
#include "AttnDialect/Support/InputLimits.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

#include <cstdlib>

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::attn::registerAttnPassesAndPipelines();

  mlir::DialectRegistry registry;
  mlir::attn::registerAttnDialect(registry);
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);

  // MlirOptMain(argc, argv, ...) with a check of the input between reading
  // and parsing it.
  auto [inputFilename, outputFilename] = mlir::registerAndParseCLIOptions(
      argc, argv, "attn optimizer driver\n", registry);
  llvm::InitLLVM y(argc, argv);
  mlir::MlirOptMainConfig config =
      mlir::MlirOptMainConfig::createFromCLOptions();
  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> file =
      mlir::openInputFile(inputFilename, &errorMessage);
  if (!file) {
    llvm::errs() << errorMessage << "\n";
    return EXIT_FAILURE;
  }
  if (std::optional<mlir::attn::InputProblem> problem =
          mlir::attn::findParserCrashHazard(file->getBuffer())) {
    llvm::SourceMgr sources;
    const char *at = file->getBufferStart() + problem->offset;
    sources.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
    sources.PrintMessage(llvm::SMLoc::getFromPointer(at),
                         llvm::SourceMgr::DK_Error, problem->message);
    return EXIT_FAILURE;
  }
  std::unique_ptr<llvm::ToolOutputFile> output =
      mlir::openOutputFile(outputFilename, &errorMessage);
  if (!output) {
    llvm::errs() << errorMessage << "\n";
    return EXIT_FAILURE;
  }
  if (mlir::failed(
          mlir::MlirOptMain(output->os(), std::move(file), registry, config)))
    return EXIT_FAILURE;
  output->keep();
  return EXIT_SUCCESS;
}
