//===- Passes.td - attn transform passes -------------------*- tablegen -*-===//

#ifndef ATTN_TRANSFORMS_PASSES
#define ATTN_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def EmitCInterfacePass : Pass<"attn-emit-c-interface", "::mlir::ModuleOp"> {
  let summary = "Give every defined function a C interface";
  let description = [{
    Sets the `llvm.emit_c_interface` unit attribute on every `func.func`
    that has a body, so that `--convert-func-to-llvm` also emits a
    `_mlir_ciface_<name>` wrapper taking memref descriptors by pointer:
    the entry point C and C++ callers use. Declarations are left alone
    (runtime functions such as `printMemrefF32` keep their plain ABI).

    ```mlir
    func.func @f(%x: tensor<4xf32>) -> tensor<f32>
    ```
    becomes
    ```mlir
    func.func @f(%x: tensor<4xf32>) -> tensor<f32> attributes {llvm.emit_c_interface}
    ```
  }];
}

#endif // ATTN_TRANSFORMS_PASSES
