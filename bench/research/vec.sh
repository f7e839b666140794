#!/bin/sh
# usage: vec.sh in.mlir schedule.mlir out_prefix [extra-step]
# attn -> fused linalg -> transform schedule -> bufferize -> LLVM dialect -> .o
set -e
A=/work/main/build/bin/attn-opt; O=/usr/lib/llvm-22/bin/mlir-opt
in=$1; sched=$2; out=$3
ONLINE=--attn-fuse-online-softmax; [ -n "$NOONLINE" ] && ONLINE=--canonicalize
$A "$in" --convert-attn-to-linalg --linalg-generalize-named-ops --linalg-fuse-elementwise-ops \
   $ONLINE $EXTRA --canonicalize --cse --attn-emit-c-interface -o $out.fused.mlir
$A $out.fused.mlir --transform-preload-library=transform-library-paths=$sched --transform-interpreter \
   --canonicalize --cse -o $out.vec.mlir
# optional IR tweak hook (fastmath flags / polynomial approx) on the vector-level tensor IR
cp $out.vec.mlir $out.vec2.mlir
if [ -n "$FM" ]; then sh -c "$FM" < $out.vec.mlir > $out.vec2.mlir; fi
if [ -n "$POLY" ]; then $O $out.vec2.mlir --test-math-polynomial-approximation -o $out.vec3.mlir; mv $out.vec3.mlir $out.vec2.mlir; fi
$A $out.vec2.mlir \
  --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
  --buffer-deallocation-pipeline --convert-linalg-to-loops \
  --convert-vector-to-scf=full-unroll --lower-affine --convert-scf-to-cf --expand-strided-metadata --lower-affine \
  --convert-vector-to-llvm --finalize-memref-to-llvm --convert-math-to-llvm --convert-arith-to-llvm \
  --convert-cf-to-llvm --convert-func-to-llvm --convert-ub-to-llvm --reconcile-unrealized-casts --canonicalize \
  -o $out.llvm.mlir
/usr/lib/llvm-22/bin/mlir-translate --mlir-to-llvmir $out.llvm.mlir -o $out.ll
clang-22 -O3 -march=native -Wno-override-module -c $out.ll -o $out.o
