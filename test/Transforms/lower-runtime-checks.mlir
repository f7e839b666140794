// RUN: attn-opt %s --attn-lower-runtime-checks | FileCheck %s
// RUN: attn-opt %s --attn-lower-runtime-checks=define-handler=false | FileCheck %s --check-prefix=EXTERNAL

// A failed check branches to attn_check_failed(message, length), defined in
// the module (message to stderr, then abort) unless the embedder provides it.
// CHECK-LABEL: func.func @check(
// CHECK-SAME:    %[[OK:.*]]: i1)
// CHECK:         cf.cond_br %[[OK]], ^[[CONT:.*]], ^[[FAIL:.*]]
// CHECK:       ^[[FAIL]]:
// CHECK:         %[[MSG:.*]] = llvm.getelementptr
// CHECK:         %[[LEN:.*]] = llvm.mlir.constant(13 : i64) : i64
// CHECK:         llvm.call @attn_check_failed(%[[MSG]], %[[LEN]]) : (!llvm.ptr, i64) -> ()
// CHECK:         llvm.unreachable
// CHECK:       ^[[CONT]]:
// CHECK:         return
// CHECK:       llvm.func linkonce_odr @attn_check_failed(%{{.*}}: !llvm.ptr, %{{.*}}: i64)
// CHECK:         llvm.call @write
// CHECK:         llvm.call @abort
// EXTERNAL:    llvm.func @attn_check_failed(!llvm.ptr, i64)
// EXTERNAL-NOT: llvm.call @abort
func.func @check(%ok: i1) {
  cf.assert %ok, "sizes differ!"
  return
}
