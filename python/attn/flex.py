"""FlexAttention on numpy arrays: `flex_attention` and `create_block_mask`
with the signatures and semantics of PyTorch 2.5's
`torch.nn.attention.flex_attention` (which Debian's torch 1.13 lacks).

`score_mod(score, b, h, q_idx, kv_idx)` and `mask_mod(b, h, q_idx, kv_idx)`
are plain Python functions. `flex_attention` traces them into the
`score_mod` and `mask_mod` regions of one `attn.attention`, compiled into its
flash loop: Python's operators (arithmetic, comparisons, `&`, `|`, `~`),
numpy's functions on the traced values (`np.where`, `np.abs`, `np.exp`,
`np.tanh`, `np.minimum`, `np.maximum`, ...), and numpy arrays the function
captures (closure, globals or defaults) indexed by the traced indices
(`slopes[h]`, `doc[q_idx] == doc[kv_idx]`) become the region's operations;
the captured arrays are passed to the kernel as they are. What cannot be
traced (Python control flow on a traced value, an unsupported numpy
function, a traced value made a Python number) raises `TraceError` naming
the construct and the line.

`create_block_mask` evaluates `mask_mod` with numpy on the index grid, once
per shape, and classifies each block of `BLOCK_SIZE` queries x keys as
empty, partial or full, as FlexAttention's `BlockMask` does."""

import functools
import sys
import types

import numpy as np

from . import ops

__all__ = ["flex_attention", "flex_attention_backward", "create_block_mask",
           "BlockMask", "TraceError"]


class TraceError(TypeError):
    """A construct of a score or mask function that cannot be compiled."""


def _user_line():
    """file:line of the innermost frame outside this module and numpy: the
    line of the user's function being traced."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if name != __file__ and "/numpy/" not in name and not name.startswith("<"):
            return f"{name}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


# The kinds of traced values and their MLIR types (float: the compute type).
_MLIR = {"index": "index", "int": "i64", "bool": "i1"}


class _Builder:
    """The lines of one region being traced and the arrays it captures."""

    def __init__(self, compute):
        self.compute = compute  # "f32" or "f64"
        self.lines = []
        self.count = 0
        self.captured = []  # numpy arrays, each once
        self._ids = {}

    def type_of(self, kind):
        return self.compute if kind == "float" else _MLIR[kind]

    def emit(self, text, kind):
        self.count += 1
        name = f"%v{self.count}"
        self.lines.append(f"{name} = {text}")
        return _Value(self, name, kind)

    def constant(self, value, kind):
        if kind == "bool":
            text = "true" if value else "false"
        elif kind == "float":
            text = f"{float(value):.17e}" if np.isfinite(value) else \
                ("0x7FF0000000000000" if value > 0 else "0xFFF0000000000000")
            if self.compute == "f32" and not np.isfinite(value):
                text = "0x7F800000" if value > 0 else "0xFF800000"
        else:
            text = str(int(value))
        if kind == "bool":  # (a bool attribute has its type)
            return self.emit(f"arith.constant {text}", kind)
        return self.emit(f"arith.constant {text} : {self.type_of(kind)}", kind)

    def capture(self, array):
        """The index of `array` among the captured operands."""
        key = id(array)
        if key not in self._ids:
            self._ids[key] = len(self.captured)
            self.captured.append(array)
        return self._ids[key]


def _lift(builder, x, like):
    """`x` as a traced value: itself, or a Python/numpy number as a
    constant of the kind it combines with."""
    if isinstance(x, _Value):
        return x
    if isinstance(x, (bool, np.bool_)):
        return builder.constant(bool(x), "bool")
    if isinstance(x, (int, np.integer)):
        kind = like if like in ("index", "int", "float") else "int"
        return builder.constant(int(x), kind)
    if isinstance(x, (float, np.floating)):
        return builder.constant(float(x), "float")
    raise TraceError(f"{_user_line()}: a {type(x).__name__} cannot enter a traced "
                     "score or mask function (numbers, traced values and captured "
                     "numpy arrays indexed by them can)")


def _join(a, b):
    """The kind two operands of an arithmetic operation are computed in:
    float over int (i64) over index; booleans count as integers."""
    kinds = {a.kind, b.kind}
    if "float" in kinds:
        return "float"
    if "int" in kinds or kinds == {"bool"}:
        return "int"
    return "index"


_ARITH = {
    "add": ("arith.addi", "arith.addf"),
    "sub": ("arith.subi", "arith.subf"),
    "mul": ("arith.muli", "arith.mulf"),
    "min": ("arith.minsi", "arith.minimumf"),
    "max": ("arith.maxsi", "arith.maximumf"),
}
_CMP = {"lt": ("slt", "olt"), "le": ("sle", "ole"), "gt": ("sgt", "ogt"),
        "ge": ("sge", "oge"), "eq": ("eq", "oeq"), "ne": ("ne", "une")}
_MATH = {"exp": "math.exp", "log": "math.log", "tanh": "math.tanh",
         "sqrt": "math.sqrt", "floor": "math.floor", "ceil": "math.ceil",
         "sin": "math.sin", "cos": "math.cos"}


class _Value:
    """A value of a traced function: an SSA name and its kind."""

    __array_priority__ = 1000

    def __init__(self, builder, name, kind):
        self.b, self.name, self.kind = builder, name, kind

    # Conversions between kinds.
    def to(self, kind):
        b = self.b
        if kind == self.kind:
            return self
        if kind == "float":
            if self.kind == "bool":
                return b.emit(f"arith.uitofp {self.name} : i1 to {b.compute}", "float")
            if self.kind == "index":
                # Through i32: exact for every index of a tensor dimension
                # below 2^31, and twice the vector lanes of i64.
                x = b.emit(f"arith.index_cast {self.name} : index to i32", "raw")
                return b.emit(f"arith.sitofp {x.name} : i32 to {b.compute}", "float")
            x = self.to("int")
            return b.emit(f"arith.sitofp {x.name} : i64 to {b.compute}", "float")
        if kind == "int":
            if self.kind == "index":
                return b.emit(f"arith.index_cast {self.name} : index to i64", "int")
            if self.kind == "bool":
                return b.emit(f"arith.extui {self.name} : i1 to i64", "int")
        if kind == "index":
            if self.kind == "int":
                return b.emit(f"arith.index_cast {self.name} : i64 to index", "index")
            if self.kind == "bool":
                return self.to("int").to("index")
        raise TraceError(f"{_user_line()}: a traced {self.kind} value cannot be used "
                         f"as {'an index' if kind == 'index' else 'an integer'} "
                         "(round it with np.floor and compare, or index with an "
                         "integer expression)")

    def _binary(self, other, op, reverse=False):
        other = _lift(self.b, other, self.kind)
        a, c = (other, self) if reverse else (self, other)
        kind = _join(a, c)
        a, c = a.to(kind), c.to(kind)
        name = _ARITH[op][1 if kind == "float" else 0]
        return self.b.emit(f"{name} {a.name}, {c.name} : {self.b.type_of(kind)}", kind)

    def _compare(self, other, op):
        other = _lift(self.b, other, self.kind)
        kind = _join(self, other)
        if {self.kind, other.kind} == {"bool"}:
            kind = "bool"
        a, c = self.to(kind), other.to(kind)
        if kind == "float":
            text = f"arith.cmpf {_CMP[op][1]}, {a.name}, {c.name} : {self.b.compute}"
        else:
            text = f"arith.cmpi {_CMP[op][0]}, {a.name}, {c.name} : {self.b.type_of(kind)}"
        return self.b.emit(text, "bool")

    def _logic(self, other, op, reverse=False):
        other = _lift(self.b, other, self.kind)
        kinds = {self.kind, other.kind}
        if "float" in kinds:
            raise TraceError(f"{_user_line()}: `{'&|^'['and or xor'.split().index(op)]}` "
                             "of a float: combine booleans (comparisons) or integers")
        kind = "bool" if kinds == {"bool"} else _join(self, other)
        a, c = (other, self) if reverse else (self, other)
        a, c = a.to(kind), c.to(kind)
        return self.b.emit(f"arith.{op}i {a.name}, {c.name} : {self.b.type_of(kind)}", kind)

    def __add__(self, o): return self._binary(o, "add")
    def __radd__(self, o): return self._binary(o, "add", True)
    def __sub__(self, o): return self._binary(o, "sub")
    def __rsub__(self, o): return self._binary(o, "sub", True)
    def __mul__(self, o): return self._binary(o, "mul")
    def __rmul__(self, o): return self._binary(o, "mul", True)

    def __truediv__(self, o, reverse=False):
        o = _lift(self.b, o, "float")
        a, c = (o, self) if reverse else (self, o)
        a, c = a.to("float"), c.to("float")
        return self.b.emit(f"arith.divf {a.name}, {c.name} : {self.b.compute}", "float")

    def __rtruediv__(self, o): return self.__truediv__(o, True)

    def __floordiv__(self, o, reverse=False):
        o = _lift(self.b, o, self.kind)
        a, c = (o, self) if reverse else (self, o)
        kind = _join(a, c)
        a, c = a.to(kind), c.to(kind)
        if kind == "float":
            q = self.b.emit(f"arith.divf {a.name}, {c.name} : {self.b.compute}", "float")
            return self.b.emit(f"math.floor {q.name} : {self.b.compute}", "float")
        return self.b.emit(f"arith.floordivsi {a.name}, {c.name} : {self.b.type_of(kind)}",
                           kind)

    def __rfloordiv__(self, o): return self.__floordiv__(o, True)

    def __mod__(self, o, reverse=False):
        # Python's: a - (a // b) * b, the sign of b.
        o = _lift(self.b, o, self.kind)
        a, c = (o, self) if reverse else (self, o)
        return a - (a // c) * c

    def __rmod__(self, o): return self.__mod__(o, True)

    def __pow__(self, o):
        if isinstance(o, (int, np.integer)) and 0 <= int(o) <= 8:
            result = _lift(self.b, 1, self.kind)
            for _ in range(int(o)):
                result = result * self
            return result
        a, c = self.to("float"), _lift(self.b, o, "float").to("float")
        return self.b.emit(f"math.powf {a.name}, {c.name} : {self.b.compute}", "float")

    def __neg__(self):
        if self.kind == "float":
            return self.b.emit(f"arith.negf {self.name} : {self.b.compute}", "float")
        return 0 - self

    def __pos__(self): return self

    def __abs__(self):
        if self.kind == "float":
            return self.b.emit(f"math.absf {self.name} : {self.b.compute}", "float")
        # (As a select: math.absi of n-D vectors has no LLVM lowering.)
        x = self.to("int")
        return np.where(x < 0, -x, x)

    def __lt__(self, o): return self._compare(o, "lt")
    def __le__(self, o): return self._compare(o, "le")
    def __gt__(self, o): return self._compare(o, "gt")
    def __ge__(self, o): return self._compare(o, "ge")
    def __eq__(self, o): return self._compare(o, "eq")
    def __ne__(self, o): return self._compare(o, "ne")
    __hash__ = object.__hash__

    def __and__(self, o): return self._logic(o, "and")
    def __rand__(self, o): return self._logic(o, "and", True)
    def __or__(self, o): return self._logic(o, "or")
    def __ror__(self, o): return self._logic(o, "or", True)
    def __xor__(self, o): return self._logic(o, "xor")
    def __rxor__(self, o): return self._logic(o, "xor", True)

    def __invert__(self):
        if self.kind == "float":
            raise TraceError(f"{_user_line()}: `~` of a float")
        ones = self.b.constant(True if self.kind == "bool" else -1, self.kind)
        return self.b.emit(f"arith.xori {self.name}, {ones.name} : "
                           f"{self.b.type_of(self.kind)}", self.kind)

    def __bool__(self):
        raise TraceError(
            f"{_user_line()}: Python control flow on a traced value (`if`, "
            "`while`, `and`, `or`, `not`, a chained comparison or bool()) cannot "
            "be compiled: use `&`, `|`, `~` and numpy.where")

    def _not_a_number(self, *_):
        raise TraceError(f"{_user_line()}: a traced value cannot become a Python "
                         "number (int(), float(), or indexing a Python sequence or "
                         "an array the function does not capture directly)")

    __int__ = __float__ = __index__ = __complex__ = _not_a_number

    def __iter__(self):
        raise TraceError(f"{_user_line()}: a traced value is a scalar: it cannot "
                         "be iterated")

    # numpy's functions on traced values.
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs:
            raise TraceError(f"{_user_line()}: numpy.{ufunc.__name__}.{method} "
                             f"{'with ' + ', '.join(kwargs) if kwargs else ''}"
                             " is not supported in a score or mask function")
        name = ufunc.__name__
        b = self.b
        x = [_lift(b, i, self.kind) for i in inputs]
        binary = {"add": "__add__", "subtract": "__sub__", "multiply": "__mul__",
                  "true_divide": "__truediv__", "divide": "__truediv__",
                  "floor_divide": "__floordiv__", "remainder": "__mod__",
                  "less": "__lt__", "less_equal": "__le__", "greater": "__gt__",
                  "greater_equal": "__ge__", "equal": "__eq__",
                  "not_equal": "__ne__", "bitwise_and": "__and__",
                  "bitwise_or": "__or__", "bitwise_xor": "__xor__",
                  "power": "__pow__"}
        if name in binary:
            return getattr(x[0], binary[name])(x[1])
        if name in ("logical_and", "logical_or", "logical_xor"):
            op = name.split("_")[1]
            return x[0].to_bool()._logic(x[1].to_bool(), op)
        if name == "logical_not":
            return ~x[0].to_bool()
        if name in ("negative", "absolute", "invert", "positive"):
            return {"negative": x[0].__neg__, "absolute": x[0].__abs__,
                    "invert": x[0].__invert__, "positive": x[0].__pos__}[name]()
        if name in ("minimum", "maximum", "fmin", "fmax"):
            return x[0]._binary(x[1], "min" if name in ("minimum", "fmin") else "max")
        if name in _MATH:
            v = x[0].to("float")
            return b.emit(f"{_MATH[name]} {v.name} : {b.compute}", "float")
        raise TraceError(f"{_user_line()}: numpy.{name} is not supported in a score "
                         "or mask function")

    def to_bool(self):
        if self.kind == "bool":
            return self
        return self != 0

    def __array_function__(self, func, types_, args, kwargs):
        b = self.b
        if func is np.where and len(args) == 3 and not kwargs:
            cond = _lift(b, args[0], "bool").to_bool()
            x = _lift(b, args[1], self.kind)
            y = _lift(b, args[2], x.kind if isinstance(args[1], _Value) else self.kind)
            kind = "bool" if {x.kind, y.kind} == {"bool"} else _join(x, y)
            x, y = x.to(kind), y.to(kind)
            return b.emit(f"arith.select {cond.name}, {x.name}, {y.name} : "
                          f"{b.type_of(kind)}", kind)
        if func is np.clip and len(args) == 3 and not kwargs:
            x = _lift(b, args[0], self.kind)
            return np.minimum(np.maximum(x, args[1]), args[2])
        raise TraceError(f"{_user_line()}: numpy.{func.__name__} is not supported in "
                         "a score or mask function (numpy.where and numpy.clip are, "
                         "with numpy's elementwise functions)")


# numpy dtypes a captured array may have, and how its elements are read.
_CAPTURED = {np.dtype(np.float16): "f16", np.dtype(np.float32): "f32",
             np.dtype(np.float64): "f64", np.dtype(np.int32): "i32",
             np.dtype(np.int64): "i64", np.dtype(np.bool_): "i1"}


class _Captured:
    """A numpy array a traced function captures: indexing it by traced
    values reads it in the compiled region (a tensor.extract)."""

    def __init__(self, builder, array, name):
        if array.dtype not in _CAPTURED:
            raise TraceError(f"captured array `{name}` has dtype {array.dtype}; "
                             f"supported: {', '.join(str(d) for d in _CAPTURED)}")
        if array.ndim == 0:
            raise TraceError(f"captured array `{name}` has no dimension: pass a "
                             "Python number instead")
        self._b, self._array, self._name = builder, array, name

    def __getattr__(self, attribute):
        if attribute in ("shape", "ndim", "dtype", "size"):
            return getattr(self._array, attribute)
        raise TraceError(f"{_user_line()}: captured array `{self._name}` can only be "
                         f"indexed in a score or mask function (not .{attribute})")

    def __len__(self):
        return len(self._array)

    def __getitem__(self, key):
        b, array = self._b, self._array
        key = key if isinstance(key, tuple) else (key,)
        if len(key) != array.ndim:
            raise TraceError(f"{_user_line()}: captured array `{self._name}` of rank "
                             f"{array.ndim} indexed with {len(key)} indices (index "
                             "every dimension with one integer each)")
        indices = []
        for dim, k in enumerate(key):
            if isinstance(k, (int, np.integer)) and not isinstance(k, bool):
                k = int(k) + (array.shape[dim] if int(k) < 0 else 0)
                indices.append(b.constant(k, "index"))
            elif isinstance(k, _Value):
                indices.append(k.to("index"))
            else:
                raise TraceError(f"{_user_line()}: captured array `{self._name}` "
                                 f"indexed by a {type(k).__name__} (slices and arrays "
                                 "are not supported; index by traced integers)")
        elt = _CAPTURED[array.dtype]
        n = b.capture(array)
        ty = "tensor<" + "?x" * array.ndim + elt + ">"
        names = ", ".join(i.name for i in indices)
        kind = "float" if elt.startswith("f") else ("bool" if elt == "i1" else "int")
        value = b.emit(f"tensor.extract %CAPTURED{n}[{names}] : {ty}",
                       kind if elt in (b.compute, "i64", "i1") else "raw")
        if elt == "i32":
            return b.emit(f"arith.extsi {value.name} : i32 to i64", "int")
        if kind == "float" and elt != b.compute:
            wider = {"f16": 1, "f32": 2, "f64": 3}
            op = "arith.extf" if wider[elt] < wider[b.compute] else "arith.truncf"
            return b.emit(f"{op} {value.name} : {elt} to {b.compute}", "float")
        return value

    def __array__(self, *_):
        raise TraceError(f"{_user_line()}: captured array `{self._name}` used whole in "
                         "a score or mask function: index it by the traced indices")


def _with_traced_captures(fn, builder):
    """`fn` with the numpy arrays it captures (closure cells, the globals its
    code names, default arguments) replaced by _Captured wrappers."""
    if not isinstance(fn, types.FunctionType):
        return fn  # (a callable object: its arrays are not seen)

    def wrap(value, name):
        # (A torch.Tensor, as attn.torch.flex_attention's functions capture,
        # is read through numpy.)
        if type(value).__module__.startswith("torch") and hasattr(value, "numpy"):
            value = value.detach().cpu()
            value = (value.float() if str(value.dtype) == "torch.bfloat16"
                     else value).numpy()
        return _Captured(builder, value, name) if isinstance(value, np.ndarray) else value

    closure = None
    if fn.__closure__:
        cells = []
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__):
            try:
                cells.append(types.CellType(wrap(cell.cell_contents, name)))
            except ValueError:  # an empty cell
                cells.append(cell)
        closure = tuple(cells)
    globals_ = dict(fn.__globals__)
    for name in fn.__code__.co_names:
        if isinstance(globals_.get(name), np.ndarray):
            globals_[name] = wrap(globals_[name], name)
    defaults = fn.__defaults__
    if defaults:
        names = fn.__code__.co_varnames[fn.__code__.co_argcount - len(defaults):]
        defaults = tuple(wrap(d, n) for d, n in zip(defaults, names))
    traced = types.FunctionType(fn.__code__, globals_, fn.__name__, defaults, closure)
    traced.__kwdefaults__ = fn.__kwdefaults__
    return traced


def _trace(fn, builder, arguments, result_kind, what):
    """The region body's lines (ending with attn.yield) of `fn` on
    `arguments` (traced values), its result made `result_kind`."""
    result = _with_traced_captures(fn, builder)(*arguments)
    if isinstance(result, _Captured) or result is None or \
            isinstance(result, (np.ndarray, tuple, list)):
        raise TraceError(f"{what} must return one {('boolean' if result_kind == 'bool' else 'number')} "
                         f"per score, got {type(result).__name__}")
    result = _lift(builder, result, result_kind)
    if result_kind == "bool":
        if result.kind != "bool":
            raise TraceError(f"{what} must return a boolean (a comparison, or `&`, "
                             f"`|`, `~` of them), got a traced {result.kind}")
    else:
        result = result.to("float")
    return builder.lines + [f"attn.yield {result.name} : {builder.type_of(result_kind)}"]


def _region(name, signature, lines):
    body = "\n    ".join(lines)
    return f" {name} {{\n  ^bb0({signature}):\n    {body}\n  }}"


# The blocks of queries x keys the flash loop computes (the pipelines'
# block-q and block-kv): block masks are also kept at this granularity,
# where the loop skips.
_FLASH_BLOCK = 64


class BlockMask:
    """FlexAttention's block mask: `mask_mod` and, per block of
    `BLOCK_SIZE` = (queries, keys), whether it is empty (0: no score kept),
    partial (1) or full (2: every score kept), in `kinds` [B, H, ceil(Q_LEN /
    queries), ceil(KV_LEN / keys)] (B and H are 1 where the mask does not
    depend on them). The kernel receives the same classification of the
    finer blocks the CPU's flash loop computes (`flash_kinds` of
    `flash_block_size`): a causal diagonal block of 128 is partial, but a
    quarter of it is empty and skipped."""

    def __init__(self, mask_mod, shape, block_size, kinds, flash_kinds=None,
                 flash_block_size=None):
        self.mask_mod = mask_mod
        self.shape = shape  # (B, H, Q_LEN, KV_LEN)
        self.BLOCK_SIZE = block_size
        self.kinds = kinds
        self.flash_kinds = kinds if flash_kinds is None else flash_kinds
        self.flash_block_size = block_size if flash_block_size is None \
            else flash_block_size

    def sparsity(self):
        """The percentage of blocks that are empty (never computed)."""
        return 100.0 * float(np.mean(self.kinds == 0))

    def __repr__(self):
        return (f"BlockMask(shape={self.shape}, BLOCK_SIZE={self.BLOCK_SIZE}, "
                f"sparsity={self.sparsity():.2f}%)")


def create_block_mask(mask_mod, B, H, Q_LEN, KV_LEN, device=None, BLOCK_SIZE=128):
    """FlexAttention's `create_block_mask`: `mask_mod(b, h, q_idx, kv_idx)`
    evaluated with numpy on the index grid (B or H None: broadcast, as 1), a
    block of queries at a time, and each block of `BLOCK_SIZE` (an int, or
    (queries, keys)) classified empty, partial or full. `device` is accepted
    for PyTorch's signature and ignored (the CPU)."""
    del device
    b_size, h_size = (1 if B is None else B), (1 if H is None else H)
    for name, value in (("B", b_size), ("H", h_size), ("Q_LEN", Q_LEN),
                        ("KV_LEN", KV_LEN)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    bq, bkv = (BLOCK_SIZE, BLOCK_SIZE) if not isinstance(BLOCK_SIZE, tuple) else BLOCK_SIZE
    if bq < 1 or bkv < 1:
        raise ValueError(f"BLOCK_SIZE must be positive, got {BLOCK_SIZE!r}")
    # Classified per flash block where BLOCK_SIZE is a multiple of it, and
    # the user's blocks from those.
    fq = _FLASH_BLOCK if bq % _FLASH_BLOCK == 0 else bq
    fkv = _FLASH_BLOCK if bkv % _FLASH_BLOCK == 0 else bkv
    fine = _classify(mask_mod, b_size, h_size, Q_LEN, KV_LEN, fq, fkv)
    nq, nkv = -(-Q_LEN // bq), -(-KV_LEN // bkv)
    kinds = np.zeros((b_size, h_size, nq, nkv), np.uint8)
    rq, rkv = bq // fq, bkv // fkv
    for i in range(nq):
        for j in range(nkv):
            part = fine[:, :, i * rq:(i + 1) * rq, j * rkv:(j + 1) * rkv]
            kinds[:, :, i, j] = np.where((part == 0).all(axis=(2, 3)), 0,
                                         np.where((part == 2).all(axis=(2, 3)), 2, 1))
    return BlockMask(mask_mod, (B, H, Q_LEN, KV_LEN), (bq, bkv), kinds, fine,
                     (fq, fkv))


def _classify(mask_mod, b_size, h_size, q_len, kv_len, bq, bkv):
    """The kinds of the blocks of bq x bkv: 0 empty, 1 partial, 2 full, from
    mask_mod on the index grid, a block of queries at a time."""
    nq, nkv = -(-q_len // bq), -(-kv_len // bkv)
    kinds = np.zeros((b_size, h_size, nq, nkv), np.uint8)
    b = np.arange(b_size)[:, None, None, None]
    h = np.arange(h_size)[None, :, None, None]
    kv = np.arange(kv_len)[None, None, None, :]
    for block in range(nq):
        q = np.arange(block * bq, min(q_len, (block + 1) * bq))[None, None, :, None]
        keep = np.broadcast_to(np.asarray(mask_mod(b, h, q, kv), bool),
                               (b_size, h_size, q.shape[2], kv_len))
        pad = nkv * bkv - kv_len
        if pad:
            keep = np.concatenate([keep, np.zeros(keep.shape[:3] + (pad,), bool)], -1)
        blocks = keep.reshape(b_size, h_size, q.shape[2], nkv, bkv)
        kept = blocks.sum(axis=(2, 4))
        full = q.shape[2] * np.minimum(bkv, kv_len - np.arange(nkv) * bkv)
        kinds[:, :, block, :] = np.where(kept == 0, 0, np.where(kept == full, 2, 1))
    return kinds


def flex_attention(query, key, value, score_mod=None, block_mask=None, scale=None,
                   enable_gqa=False, return_lse=False):
    """FlexAttention: softmax(score_mod(q·k * scale, b, h, q_idx, kv_idx),
    hidden where block_mask's mask_mod is false) v, for query [B, Hq, L,
    E], key [B, Hkv, S, E], value [B, Hkv, S, Ev] (Hq == Hkv unless
    `enable_gqa`). `scale` defaults to 1 / sqrt(E). With `return_lse`,
    returns (out, lse), lse [B, Hq, L] the natural-log logsumexp of each
    row's modified scores. A row that sees no key gets zeros and lse -inf,
    as in PyTorch."""
    _check_flex(query, key, value, enable_gqa)
    args, prefix, regions, has_kinds = _flex_parts(
        [query, key, value], query, key, score_mod, block_mask)
    attrs = prefix
    if scale is not None:
        attrs += f" scale = {float(scale):.17e}"
    if return_lse:
        attrs += " with_lse"
    result = ops._run("attention", args, attrs + regions, _operands(3, has_kinds),
                      roles="qkv" + "b" * has_kinds + "c" * (len(args) - 3 - has_kinds))
    if return_lse:
        out, lse = result
        return out, np.where(np.isposinf(lse), -np.inf, lse).astype(lse.dtype)
    return result


def flex_attention_backward(grad_out, query, key, value, out, lse, score_mod=None,
                            block_mask=None, scale=None, enable_gqa=False):
    """The gradients (dq, dk, dv) of `flex_attention` with the same
    arguments, from its output `out`, its `lse` (`return_lse=True`) and
    `grad_out`: attn.attention_backward with the same regions, which
    differentiates score_mod by the rules of its operations."""
    _check_flex(query, key, value, enable_gqa)
    for name, x in (("grad_out", grad_out), ("out", out)):
        if not isinstance(x, np.ndarray) or x.dtype != query.dtype:
            raise TypeError(f"{name} must be a numpy.ndarray of the query's dtype")
    # attn's lse marks a row that saw no key with +inf (PyTorch's -inf).
    lse = np.where(np.isneginf(lse), np.inf, lse).astype(lse.dtype)
    args, prefix, regions, has_kinds = _flex_parts(
        [grad_out, query, key, value, out, lse], query, key, score_mod, block_mask)
    attrs = prefix
    if scale is not None:
        attrs += f" scale = {float(scale):.17e}"
    return ops._run("attention_backward", args, attrs + regions,
                    _operands(6, has_kinds),
                    roles="qqkvql" + "b" * has_kinds + "c" * (len(args) - 6 - has_kinds))


def _check_flex(query, key, value, enable_gqa):
    for name, x in (("query", query), ("key", key), ("value", value)):
        if not isinstance(x, np.ndarray) or x.ndim != 4:
            raise ValueError(f"{name} must be a 4-D numpy.ndarray [B, H, L, E], got "
                             f"{getattr(x, 'shape', type(x).__name__)}")
    if query.shape[1] != key.shape[1] and not enable_gqa:
        raise ValueError(f"query has {query.shape[1]} heads and key {key.shape[1]}: "
                         "pass enable_gqa=True for grouped-query attention")
    elt = ops._check_array(query, "query", ops._FLOAT_TYPES, "floating-point")
    for name, x in (("key", key), ("value", value)):
        if ops._FLOAT_TYPES.get(x.dtype) != elt:
            raise TypeError(f"{name} must have the dtype of query ({query.dtype}), "
                            f"got {x.dtype}")


def _flex_parts(args, query, key, score_mod, block_mask):
    """`args` followed by the block mask's kinds and the regions' captured
    arrays; the block mask's operand text; the regions' text (naming the
    captured arrays by their argument); whether there is a block mask."""
    compute = "f64" if query.dtype == np.float64 else "f32"
    regions = []  # (text, captured arrays)
    if score_mod is not None:
        builder = _Builder(compute)
        s = _Value(builder, "%s", "float")
        idx = [_Value(builder, f"%{n}", "index") for n in ("b", "h", "q", "kv")]
        lines = _trace(score_mod, builder, [s] + idx, "float", "score_mod")
        regions.append((_region("score_mod", f"%s: {compute}, %b: index, %h: index, "
                                "%q: index, %kv: index", lines), builder.captured))
    if block_mask is not None:
        _check_block_mask(block_mask, query, key)
        builder = _Builder(compute)
        idx = [_Value(builder, f"%{n}", "index") for n in ("b", "h", "q", "kv")]
        lines = _trace(block_mask.mask_mod, builder, idx, "bool", "mask_mod")
        regions.append((_region("mask_mod", "%b: index, %h: index, %q: index, "
                                "%kv: index", lines), builder.captured))
    # Then the block mask's kinds, and the captured arrays, as the kernel's
    # arguments.
    args = list(args)
    prefix = ""
    if block_mask is not None:
        bq, bkv = block_mask.flash_block_size
        prefix = f" block_mask %a{len(args)} sizes = [{bq}, {bkv}]"
        args.append(block_mask.flash_kinds.astype(np.int8))
    text = ""
    for region, arrays in regions:
        for n, array in enumerate(arrays):
            region = region.replace(f"%CAPTURED{n}[", f"%a{len(args)}[")
            args.append(np.ascontiguousarray(array))
        text += region
    return args, prefix, text, block_mask is not None


@functools.lru_cache(maxsize=None)
def _operands(count, has_kinds):
    """The operand text of a flex attention (count 3) or its backward (6)
    (the block mask and its sizes are in the attributes), and its types,
    the block mask's named. One function per form: it is part of the
    kernel cache's key."""
    def text(names):
        return ", ".join(names[:count])

    def types(names):
        return ", ".join(names[:count]) + (f" block_mask {names[count]}"
                                           if has_kinds else "")
    text.types = types
    text.pairs = [("query", "query"), ("key", "key"), ("value", "value")] \
        if count == 3 else [("grad", "grad_out"), ("query", "query"), ("key", "key"),
                            ("value", "value"), ("output", "out"), ("lse", "lse")]
    return text


def _check_block_mask(block_mask, query, key):
    if not isinstance(block_mask, BlockMask):
        raise TypeError("block_mask must come from attn.create_block_mask, got "
                        f"{type(block_mask).__name__}")
    _, _, q_len, kv_len = block_mask.shape
    if (q_len, kv_len) != (query.shape[2], key.shape[2]):
        raise ValueError(f"block_mask is for Q_LEN={q_len}, KV_LEN={kv_len}; the "
                         f"query has {query.shape[2]} rows and the key {key.shape[2]}")
    for dim, name in ((0, "B"), (1, "H")):
        size = block_mask.flash_kinds.shape[dim]
        if size not in (1, query.shape[dim]):
            raise ValueError(f"block_mask has {name}={size}, the query "
                             f"{query.shape[dim]}")


def _documents(cu_seqlens, query, key, causal):
    """For attn.ops.attention's `cu_seqlens`: the block mask's kinds (int8,
    of the flash blocks) and sizes, the document id of each position
    (int32), and the mask_mod region (document ids equal) reading them as
    %CAPTURED0."""
    lengths = np.asarray(cu_seqlens)
    rows, keys = query.shape[-2], key.shape[-2]
    if lengths.dtype.kind not in "iu" or lengths.ndim != 1 or lengths.size < 2:
        raise ValueError("cu_seqlens must be a 1-D integer array of document "
                         f"boundaries, got {lengths.dtype} {lengths.shape}")
    if rows != keys:
        raise ValueError(f"cu_seqlens packs self-attention: the query has {rows} "
                         f"rows and the key {keys}")
    if lengths[0] != 0 or lengths[-1] != rows or np.any(np.diff(lengths) < 0):
        raise ValueError(f"cu_seqlens must increase from 0 to {rows}, got "
                         f"{lengths.tolist()}")
    doc = np.repeat(np.arange(lengths.size - 1, dtype=np.int32), np.diff(lengths))

    def mask_mod(b, h, q_idx, kv_idx):
        same = doc[q_idx] == doc[kv_idx]
        return same & (q_idx >= kv_idx) if causal else same

    kinds = _classify(mask_mod, 1, 1, rows, keys, _FLASH_BLOCK, _FLASH_BLOCK)
    rank = query.ndim
    kinds = kinds.reshape((1,) * (rank - 2) + kinds.shape[2:]).astype(np.int8)
    builder = _Builder("f64" if query.dtype == np.float64 else "f32")
    idx = [_Value(builder, f"%{n}", "index") for n in ("b", "h", "q", "kv")]
    # The region reads the ids only (causal is the op's own).
    lines = _trace(lambda b, h, q_idx, kv_idx: doc[q_idx] == doc[kv_idx], builder,
                   idx, "bool", "mask_mod")
    region = _region("mask_mod", "%b: index, %h: index, %q: index, %kv: index",
                     lines)
    return kinds, (_FLASH_BLOCK, _FLASH_BLOCK), doc, region
