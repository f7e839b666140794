"""Compiling attn programs: `compile` to a callable `Kernel`, `lower` to IR."""

import os

import numpy as np

from . import _attn_core
from . import cache

# The levels of the attn lowering and the pipeline that reaches each.
LEVELS = {
    "attn": "",
    "linalg": "convert-attn-to-linalg",
    "fused": "attn-lower-to-fused-linalg",
    "loops": "attn-lower-to-loops",
    "llvm": "attn-lower-to-llvm",
}

_DTYPES = {
    # numpy has no bfloat16: its values travel as their bits, in uint16.
    "bf16": np.dtype(np.uint16),
    "f16": np.dtype(np.float16),
    "f32": np.dtype(np.float32),
    "f64": np.dtype(np.float64),
    "i1": np.dtype(np.bool_),
    "i8": np.dtype(np.int8),
    "i16": np.dtype(np.int16),
    "i32": np.dtype(np.int32),
    "i64": np.dtype(np.int64),
}


def _read_source(source):
    """MLIR text, or the path of a file holding it."""
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
        with open(source, encoding="utf-8") as f:
            return f.read()
    if not isinstance(source, str):
        raise TypeError(
            f"source must be MLIR text or a path, got {type(source).__name__}")
    if "\n" not in source and source.endswith(".mlir"):
        with open(source, encoding="utf-8") as f:
            return f.read()
    return source


def _pipeline(level, options):
    name = LEVELS[level]
    if not name or not options:
        return name
    rendered = " ".join(f"{k}={v}" for k, v in sorted(options.items()))
    return f"{name}{{{rendered}}}"


def host_l2_bytes():
    """The L2 cache of this host's first core, as Linux reports it (None
    where it does not)."""
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for index in sorted(os.listdir(base)):
            with open(os.path.join(base, index, "level")) as f:
                if f.read().strip() != "2":
                    continue
            with open(os.path.join(base, index, "size")) as f:
                size = f.read().strip()
            scale = {"K": 1 << 10, "M": 1 << 20}.get(size[-1:], 1)
            return int(size.rstrip("KM")) * scale
    except (OSError, ValueError):
        pass
    return None


# Blocks of rows keep half the host's L2 of broadcast operands (a mask)
# cached; the other half streams the rest.
_HOST_CACHE_BYTES = (host_l2_bytes() or 512 * 1024) // 2


# The OpenMP runtime that multi-threaded code calls (Debian's libomp-22-dev).
LIBOMP = "/usr/lib/llvm-22/lib/libomp.so"


def host_has_bf16_dot():
    """Whether this host's CPU has AVX512_BF16 (vdpbf16ps), as LLVM detects
    it for the code it compiles here."""
    return "+avx512bf16" in _attn_core.host_target().split()[-1].split(",")


_HOST_BF16_DOT = host_has_bf16_dot()


def _pipeline_options(attention=None, block_q=None, block_kv=None,
                      reassoc=None, approximate_math=None, checked=None,
                      online_softmax_min_row=None, threads=None,
                      cache_bytes=None, prefetch=None, short_dynamic_rows=None,
                      bf16_dot=None):
    options = {}
    for name, value in (("reassoc", reassoc), ("approximate-math", approximate_math),
                        ("checked", checked), ("prefetch", prefetch),
                        ("short-dynamic-rows", short_dynamic_rows),
                        ("bf16-dot", bf16_dot)):
        if value is not None:
            if not isinstance(value, bool):
                raise TypeError(f"{name.replace('-', '_')} must be a bool, got {value!r}")
            options[name] = "true" if value else "false"
    if attention is not None:
        if attention not in ("flash", "decomposed"):
            raise ValueError(
                f"attention must be 'flash' or 'decomposed', got {attention!r}")
        options["attention"] = attention
    for name, value in (("block-q", block_q), ("block-kv", block_kv),
                        ("online-softmax-min-row", online_softmax_min_row),
                        ("threads", threads), ("cache-bytes", cache_bytes)):
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"{name.replace('-', '_')} must be an integer, got {value!r}")
            if name in ("online-softmax-min-row", "cache-bytes"):
                if value < 0:
                    raise ValueError(f"{name.replace('-', '_')} must not be negative, got {value!r}")
            elif value < 1:
                raise ValueError(f"{name.replace('-', '_')} must be positive, got {value!r}")
            options[name] = int(value)
    return options


def lower(source, to="llvm", **options):
    """The IR of `source` (MLIR text or a path) at level `to`: "attn",
    "linalg", "fused", "loops", "llvm" (dialects) or "llvmir" (LLVM IR).
    Options: attention="flash"|"decomposed", block_q, block_kv, reassoc,
    approximate_math, checked, online_softmax_min_row (rows of at least this
    many elements get the one-pass online softmax; default 65536),
    cache_bytes (default half this host's L2, as `compile`), prefetch."""
    text = _read_source(source)
    if to in ("loops", "llvm", "llvmir") and options.get("cache_bytes") is None:
        options["cache_bytes"] = _HOST_CACHE_BYTES
    opts = _pipeline_options(**options)
    if to == "llvmir":
        return _attn_core.translate_to_llvmir(text, _pipeline("llvm", opts))
    if to not in LEVELS:
        raise ValueError(
            f"unknown level {to!r}; expected one of {', '.join(LEVELS)} or llvmir")
    return _attn_core.lower(text, _pipeline(to, opts))


class Kernel:
    """A compiled attn function. Call it with numpy arrays; it returns an
    array, or a tuple of arrays for several results. Inputs are used in place
    when C-contiguous and aligned (copied otherwise); results own their
    memory."""

    def __init__(self, module, entry, signature, obj=None, shared_libs=()):
        self._module = module
        self._object = obj
        self._shared_libs = tuple(shared_libs)
        self.entry = entry
        self.arguments, self.results = signature
        # What a well-formed argument has, checked at once on each call:
        # (dtype, shape if static else None).
        self._expected = [
            (_DTYPES.get(elt), tuple(shape) if min(shape, default=0) >= 0 else None)
            for elt, shape in self.arguments]

    @property
    def code_bytes(self):
        """The size of the compiled object (what the kernel caches count)."""
        return len(self._object) if self._object is not None else 0

    def save(self, path):
        """Writes the compiled module to `path`, for `attn.load` in another
        process on a host of the same CPU and features (with the same LLVM
        and attn versions). C and C++ callers use `attn-compile` instead,
        which makes a shared library and a header."""
        if self._module is None:
            raise ValueError(f"kernel @{self.entry} is closed")
        header = {"entry": self.entry, "host": cache.host_target(),
                  "llvm": _attn_core.llvm_version, "attn": cache.VERSION,
                  "shared_libs": list(self._shared_libs)}
        cache.write_atomically(os.fspath(path), cache.encode(
            self._object, self._module.signatures, header))

    def __repr__(self):
        def fmt(types):
            return ", ".join(
                "tensor<" + "x".join("?" if d < 0 else str(d) for d in shape)
                + ("x" if shape else "") + elt + ">" for elt, shape in types)
        return f"<attn.Kernel @{self.entry}({fmt(self.arguments)}) -> ({fmt(self.results)})>"

    def close(self):
        """Releases the compiled code (freed once no cache or other kernel
        holds it); the kernel cannot be called afterwards."""
        self._module = None

    def __call__(self, *arrays):
        if self._module is None:
            raise ValueError(f"kernel @{self.entry} is closed")
        if len(arrays) != len(self.arguments):
            raise TypeError(
                f"@{self.entry} takes {len(self.arguments)} arrays, got {len(arrays)}")
        prepared = list(arrays)
        for i, (array, (dtype, shape)) in enumerate(zip(arrays, self._expected)):
            # The common case, an aligned C-contiguous array of the static
            # shape, in one test; anything else is checked in detail.
            if not (type(array) is np.ndarray and array.dtype == dtype
                    and shape is not None and array.shape == shape
                    and array.flags.c_contiguous and array.flags.aligned):
                elt, want = self.arguments[i]
                prepared[i] = _prepare(array, elt, want,
                                       f"argument {i} of @{self.entry}")
        results = self._module.call(self.entry, prepared)
        return results[0] if len(results) == 1 else tuple(results)


def _prepare(array, elt, shape, what):
    """`array` checked against tensor<shape x elt>, C-contiguous and aligned."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{what} must be a numpy.ndarray, got {type(array).__name__}")
    if isinstance(array, np.ma.MaskedArray):
        raise TypeError(f"{what} is a masked array, whose mask would be ignored: "
                        "pass array.filled(value)")
    dtype = _DTYPES.get(elt)
    if dtype is None:
        raise TypeError(f"{what} has element type {elt}, which numpy cannot hold")
    if array.dtype != dtype:
        bits = " (bfloat16 bits)" if elt == "bf16" else ""
        raise TypeError(f"{what} must have dtype {dtype}{bits}, got {array.dtype}")
    if array.ndim != len(shape):
        raise ValueError(f"{what} must have rank {len(shape)}, got shape {array.shape}")
    for d, (want, got) in enumerate(zip(shape, array.shape)):
        if want >= 0 and want != got:
            raise ValueError(
                f"{what} must have size {want} in dimension {d}, got shape {array.shape}")
    # An aligned, C-contiguous array is used in place; others are copied.
    if array.flags.c_contiguous and array.flags.aligned:
        return array
    return np.require(array, requirements="CA")


def compile(source, *, entry=None, pipeline=None, threads=1, reassoc=True,
            checked=True, opt_level=3, **options):
    """Compiles `source` (MLIR text or a path) to native code for this host
    and returns the `Kernel` of function `entry` (default: the only public
    function).

    `threads` splits the rows of each reduction across that many threads
    (OpenMP). `reassoc=True` (the default) lets sums reassociate into vector lanes and
    fused multiply-adds: faster, rounded differently from the in-order sum
    (a few ulp), and a NaN-ignoring max (`arith.maxnumf`, a softmax's running
    max in attention) may return NaN for a NaN operand; `reassoc=False` gives
    in-order results. `checked=True` (the
    default) checks at run time that dynamic sizes agree: a mismatch raises
    ValueError instead of reading out of bounds. `pipeline` replaces
    the default "attn-lower-to-llvm" (a textual pass list reaching the LLVM
    dialect). `options`: attention="flash" | "decomposed", block_q,
    block_kv, approximate_math (polynomial exp/log, default True),
    cache_bytes (bytes of a broadcast mask that blocks of rows keep cached;
    default half this host's L2), prefetch (software prefetch of the next
    row, default True), short_dynamic_rows (dynamic rows are below
    online_softmax_min_row), bf16_dot (a bf16 attention multiplies bf16
    operands and probabilities with AVX512_BF16's dot product; default: where
    this host has it, see `host_has_bf16_dot`).

    The compiled module is kept in the disk cache (see `attn.cache`): the
    same source and options compile once per host, across processes.
    `Kernel.save` keeps it elsewhere, for `attn.load`."""
    text = _read_source(source)
    if pipeline is None:
        if options.get("cache_bytes") is None:
            options["cache_bytes"] = _HOST_CACHE_BYTES
        if options.get("bf16_dot") is None:
            options["bf16_dot"] = _HOST_BF16_DOT
        opts = _pipeline_options(reassoc=reassoc, checked=checked,
                                 threads=threads, **options)
        # Failed checks come back here as exceptions, not aborts.
        opts["external-check-handler"] = "true"
        pipeline = _pipeline("llvm", opts)
    elif options or reassoc is not True or checked is not True or threads != 1:
        raise TypeError("pass either pipeline or pipeline options, not both")
    libs = [LIBOMP] if threads != 1 else []
    module, obj = _compile_cached(text, pipeline, opt_level, libs)
    signatures = module.signatures
    if entry is None:
        if len(signatures) != 1:
            raise ValueError(
                "the module has public functions "
                f"{', '.join('@' + n for n in sorted(signatures)) or '(none)'}; "
                "name one with entry=")
        entry = next(iter(signatures))
    elif entry not in signatures:
        raise ValueError(f"no public function @{entry} in the module")
    return Kernel(module, entry, signatures[entry], obj, libs)


def _compile_cached(text, pipeline, opt_level, libs):
    """The loaded module of `text` and its object, from the disk cache when
    it has them (see attn.cache), compiled and stored there otherwise."""
    key = cache.key_of(text, pipeline, opt_level, libs)
    found = cache.disk_lookup(key)
    if found is not None:
        obj, signatures = found
    else:
        obj, signatures = _attn_core.compile_object(text, pipeline, opt_level)
        cache.disk_store(key, obj, signatures)
    return _attn_core.JitModule(obj, signatures, libs), obj


def load(path):
    """The kernel that `Kernel.save` wrote to `path`. Raises ValueError if
    the file is not one, is corrupt, or was compiled for another CPU, LLVM or
    attn version."""
    with open(os.fspath(path), "rb") as f:
        blob = f.read()
    try:
        header, obj, signatures = cache.decode(blob)
    except cache.CorruptEntry as e:
        raise ValueError(f"{os.fspath(path)}: {e}") from None
    for field, here in (("host", cache.host_target()),
                        ("llvm", _attn_core.llvm_version), ("attn", cache.VERSION)):
        if header.get(field) != here:
            raise ValueError(
                f"{os.fspath(path)} was compiled for {field} {header.get(field)!r}, "
                f"this one is {here!r}")
    entry = header.get("entry")
    if entry not in signatures:
        raise ValueError(f"{os.fspath(path)}: no function @{entry}")
    libs = header.get("shared_libs", [])
    module = _attn_core.JitModule(obj, signatures, libs)
    return Kernel(module, entry, signatures[entry], obj, libs)


def clear_cache():
    """Empties attn's kernel caches: `attn.ops`' kernels in memory and the
    compiled modules on disk (`attn.cache.cache_dir()`)."""
    from . import ops
    ops.kernel_cache.clear()
    cache.clear_disk()
