#!/bin/sh
# like vec.sh but for schedules with scf.forall (OpenMP, 2 threads). Link with -fopenmp.
set -e
A=/work/main/build/bin/attn-opt; O=/usr/lib/llvm-22/bin/mlir-opt
in=$1; sched=$2; out=$3
ONLINE=--attn-fuse-online-softmax; [ -n "$NOONLINE" ] && ONLINE=--canonicalize
$A "$in" --convert-attn-to-linalg --linalg-generalize-named-ops --linalg-fuse-elementwise-ops \
   $ONLINE --canonicalize --cse --attn-emit-c-interface -o $out.fused.mlir
$A $out.fused.mlir --transform-preload-library=transform-library-paths=$sched --transform-interpreter \
   --canonicalize --cse -o $out.vec.mlir
cp $out.vec.mlir $out.vec2.mlir
if [ -n "$FM" ]; then sh -c "$FM" < $out.vec.mlir > $out.vec2.mlir; fi
if [ -n "$POLY" ]; then $O $out.vec2.mlir --test-math-polynomial-approximation -o $out.vec3.mlir; mv $out.vec3.mlir $out.vec2.mlir; fi
$A $out.vec2.mlir \
  --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
  --buffer-deallocation-pipeline --scf-forall-to-parallel --convert-scf-to-openmp \
  --convert-vector-to-scf=full-unroll --convert-linalg-to-loops --lower-affine --expand-strided-metadata --lower-affine \
  --convert-vector-to-llvm --finalize-memref-to-llvm --convert-scf-to-cf \
  --convert-math-to-llvm --convert-arith-to-llvm --convert-cf-to-llvm --convert-openmp-to-llvm \
  --convert-func-to-llvm --convert-ub-to-llvm --reconcile-unrealized-casts --canonicalize \
  -o $out.llvm.mlir
/usr/lib/llvm-22/bin/mlir-translate --mlir-to-llvmir $out.llvm.mlir -o $out.ll
clang-22 -O3 -march=native -Wno-override-module -c $out.ll -o $out.o
