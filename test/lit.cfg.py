# -*- Python -*-
# lit configuration of the attn test suite.

import os
import shutil

import lit.formats
from lit.llvm import llvm_config

config.name = "attn"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "consumer", "regressions", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attn_obj_root, "test")

llvm_config.with_system_environment(["HOME", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

# Runtime libraries that mlir-runner loads for printMemrefF32 and friends.
lib = lambda name: os.path.join(config.llvm_lib_dir, name + config.llvm_shlib_ext)
config.substitutions.append(("%mlir_runner_utils", lib("libmlir_runner_utils")))
config.substitutions.append(("%mlir_c_runner_utils", lib("libmlir_c_runner_utils")))
config.substitutions.append(("%libomp", lib("libomp")))
config.substitutions.append(("%host_cc", config.host_cc))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%host_cxx", config.host_cxx))
config.substitutions.append(("%attn_src_root", config.attn_src_root))
config.substitutions.append(("%attn_obj_root", config.attn_obj_root))

tool_dirs = [os.path.join(config.attn_obj_root, "bin"), config.llvm_tools_dir]
llvm_config.add_tool_substitutions(
    ["attn-opt", "attn-compile", "attn-lsp-server", "mlir-opt", "mlir-runner", "mlir-translate"], tool_dirs
)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# A sanitized build's static libraries need the sanitizer runtime in every
# program that links them.
if config.attn_sanitize:
    config.available_features.add("sanitized")

# MPI programs (sharded attn functions) run under mpirun; without MPICH the
# tests that need it are reported unsupported.
mpirun, mpicc = shutil.which("mpirun"), shutil.which("mpicc")
if mpirun and mpicc:
    config.available_features.add("mpi")
    config.substitutions.append(("%mpicc", mpicc + " -cc=" + config.host_cc))
    config.substitutions.append(("%mpirun", mpirun))
else:
    lit_config.note("MPI tests skipped: no mpirun or mpicc (scripts/setup-deps installs mpich)")
