func.func @attention(%q: tensor<1x1x64x32xbf16>) -> tensor<1x1x64x32xbf16> attributes {llvm.emit_c_interface} {
  %o = attn.attention %q, %q, %q causal : tensor<1x1x64x32xbf16>, tensor<1x1x64x32xbf16>, tensor<1x1x64x32xbf16>
  return %o : tensor<1x1x64x32xbf16>
}
