#!/bin/sh
# Builds every measured variant into $R (default /tmp/r). Run from bench/research.
set -e
R=${R:-/tmp/r}; mkdir -p $R
A=/work/main/build/bin/attn-opt
for k in masked_max sum_sq xent softmax; do sed -n "/func.func @$k(/,/^}/p" big.mlir > $R/big_$k.mlir; done
CC="clang-22 -O3 -march=native"
MAXFM_NSZ="sed -E 's/(arith.maximumf [^:]*) : vector/\1 fastmath<nsz> : vector/; s/(vector.reduction <maximumf>, [^:]*) :/\1 fastmath<nsz> :/'"
MAXFM_NNAN="sed -E 's/(arith.maximumf [^:]*) : vector/\1 fastmath<nnan,nsz> : vector/; s/(vector.reduction <maximumf>, [^:]*) :/\1 fastmath<nnan,nsz> :/'"
ADDFM="sed -E 's/(vector.reduction <add>, [^:]*) :/\1 fastmath<reassoc> :/'"
# baseline: today's pipeline
$A big.mlir --attn-lower-to-llvm -o $R/base.llvm.mlir && ./lower.sh $R/base.llvm.mlir $R/base.o && $CC bench.c $R/base.o -lm -o $R/b_base
# hand-written C (bench/kernels.c), -ffast-math
$CC -ffast-math -w -c ../kernels.c -o $R/kff.o && $CC -c cwrap.c -o $R/cwrap.o && $CC bench.c $R/kff.o $R/cwrap.o -lm -o $R/b_cff
# 1 thread
./vec.sh $R/big_sum_sq.mlir t_sumsq.mlir $R/ss && $CC bench.c $R/ss.o -lm -o $R/b_ss
FM="$ADDFM" ./vec.sh $R/big_sum_sq.mlir t_sumsq.mlir $R/ss_r && $CC bench.c $R/ss_r.o -lm -o $R/b_ss_r
./vec.sh $R/big_masked_max.mlir t_masked_max.mlir $R/mm && $CC bench.c $R/mm.o -lm -o $R/b_mm
FM="$MAXFM_NSZ" ./vec.sh $R/big_masked_max.mlir t_masked_max.mlir $R/mm_nsz && $CC bench.c $R/mm_nsz.o -lm -o $R/b_mm_nsz
FM="$MAXFM_NNAN" ./vec.sh $R/big_masked_max.mlir t_masked_max.mlir $R/mm_nnan && $CC bench.c $R/mm_nnan.o -lm -o $R/b_mm_nnan
./vec.sh $R/big_xent.mlir t_xent.mlir $R/xe && $CC bench.c $R/xe.o -lm -o $R/b_xe
POLY=1 ./vec.sh $R/big_xent.mlir t_xent.mlir $R/xe_p && $CC bench.c $R/xe_p.o -lm -o $R/b_xe_p
POLY=1 ./vec.sh $R/big_softmax.mlir t_softmax_online_normonly.mlir $R/smo_p && $CC bench.c $R/smo_p.o -lm -o $R/b_smo_p
./vec.sh $R/big_softmax.mlir t_softmax_online_normonly.mlir $R/smo && $CC bench.c $R/smo.o -lm -o $R/b_smo
NOONLINE=1 ./vec.sh $R/big_softmax.mlir t_softmax_rowfused.mlir $R/smr && $CC bench.c $R/smr.o -lm -o $R/b_smr
NOONLINE=1 POLY=1 ./vec.sh $R/big_softmax.mlir t_softmax_rowfused.mlir $R/smr_p && $CC bench.c $R/smr_p.o -lm -o $R/b_smr_p
# 2 threads (OpenMP)
./vec_omp.sh $R/big_sum_sq.mlir t_sumsq_omp.mlir $R/ss_omp && $CC -fopenmp bench.c $R/ss_omp.o -lm -o $R/b_ss_omp
FM="$MAXFM_NNAN" ./vec_omp.sh $R/big_masked_max.mlir t_masked_max_omp.mlir $R/mm_omp_nnan && $CC -fopenmp bench.c $R/mm_omp_nnan.o -lm -o $R/b_mm_omp_nnan
./vec_omp.sh $R/big_masked_max.mlir t_masked_max_omp.mlir $R/mm_omp && $CC -fopenmp bench.c $R/mm_omp.o -lm -o $R/b_mm_omp
POLY=1 ./vec_omp.sh $R/big_xent.mlir t_xent_omp.mlir $R/xe_omp_p && $CC -fopenmp bench.c $R/xe_omp_p.o -lm -o $R/b_xe_omp_p
NOONLINE=1 POLY=1 ./vec_omp.sh $R/big_softmax.mlir t_softmax_rowfused_omp.mlir $R/smr_omp_p && $CC -fopenmp bench.c $R/smr_omp_p.o -lm -o $R/b_smr_omp_p
echo built
# extras: today's pipeline with its new options; lane-split online softmax
$A big.mlir '--attn-lower-to-llvm=reassoc approximate-math' -o $R/basefm.llvm.mlir && ./lower.sh $R/basefm.llvm.mlir $R/basefm.o && $CC bench.c $R/basefm.o -lm -o $R/b_basefm
EXTRA="--attn-split-online-softmax-lanes=lanes=16" POLY=1 ./vec.sh $R/big_softmax.mlir t_softmax_lanes.mlir $R/sml && $CC bench.c $R/sml.o -lm -o $R/b_sml
