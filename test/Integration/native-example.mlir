// The README's main job as a test: examples/reductions.mlir compiled ahead
// of time by attn-compile to a shared library and a header, called from C
// in a fresh process, which checks every value against a double precision
// reference computed in C.
// RUN: rm -rf %t && mkdir -p %t
// RUN: attn-compile %attn_src_root/examples/reductions.mlir -o %t/libreductions.so --header %t/reductions.h
// RUN: %host_cc -O2 -I%t %attn_src_root/examples/run_reductions.c -L%t -lreductions -Wl,-rpath,%t -lm -o %t/run
// RUN: %t/run | FileCheck %s

// CHECK:      row_max
// CHECK-NEXT: max rel. error vs double reference {{.*}}: OK
// CHECK:      sum_sq
// CHECK-NEXT: max rel. error vs double reference {{.*}}: OK
// CHECK:      xent
// CHECK-NEXT: max rel. error vs double reference {{.*}}: OK
// CHECK:      all results match the reference
