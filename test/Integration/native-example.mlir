// The README's main job as a test: examples/reductions.mlir compiled to an
// object file and called from C, which checks every value against a double
// precision reference computed in C.
// RUN: attn-opt %attn_src_root/examples/reductions.mlir --attn-lower-to-llvm \
// RUN:   | mlir-translate --mlir-to-llvmir -o %t.ll
// RUN: %host_cc -O2 -Wno-override-module %t.ll %attn_src_root/examples/run_reductions.c -lm -o %t.exe
// RUN: %t.exe | FileCheck %s

// CHECK:      row_max
// CHECK-NEXT: max rel. error vs double reference {{.*}}: OK
// CHECK:      sum_sq
// CHECK-NEXT: max rel. error vs double reference {{.*}}: OK
// CHECK:      xent
// CHECK-NEXT: max rel. error vs double reference {{.*}}: OK
// CHECK:      all results match the reference
