#!/bin/sh
# usage: lower.sh in.llvm.mlir out.o   (LLVM dialect -> object)
set -e
/usr/lib/llvm-22/bin/mlir-translate --mlir-to-llvmir "$1" -o "${2%.o}.ll"
clang-22 -O3 -march=native -Wno-override-module -c "${2%.o}.ll" -o "$2"
