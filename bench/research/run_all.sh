#!/bin/sh
# Runs every variant built by build_all.sh. Waits up to 60 s for no other process using > 30% CPU;
# lines marked LOADED ran while someone else was busy (their numbers are less reliable,
# 2-thread ones especially).
R=${R:-/tmp/r}
busy() { ps -eo pcpu=,pid= | awk '$1 > 30 {n++} END {print n + 0}'; }
run() { i=0; while [ "$(busy)" -gt 0 ] && [ $i -lt 12 ]; do sleep 5; i=$((i+1)); done
  b=$(busy); printf '%-14s %s ' "$1" "$([ $b -gt 0 ] && echo LOADED || echo quiet)"; $R/$1 $2 | tr '\n' ' '; echo; }
for k in masked_max sum_sq xent softmax; do run b_base $k; run b_basefm $k; run b_cff $k; done
run b_ss sum_sq; run b_ss_r sum_sq; run b_ss_omp sum_sq
run b_mm masked_max; run b_mm_nsz masked_max; run b_mm_nnan masked_max; run b_mm_omp masked_max; run b_mm_omp_nnan masked_max
run b_xe xent; run b_xe_p xent; run b_xe_omp_p xent
run b_smo softmax; run b_smo_p softmax; run b_smr softmax; run b_smr_p softmax; run b_sml softmax; run b_smr_omp_p softmax
