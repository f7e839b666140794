"""Compiled code kept for reuse.

In memory: `KernelCache`, least recently used first out, bounded by a count
of kernels and by the bytes of their code (`attn.ops` keeps its kernels in
one, `set_kernel_cache_limits`). On disk: one file per compiled module,
keyed by everything its code depends on (the IR, the pipeline and its
options, the attn compiler, LLVM's version and this host's CPU and
features), under `$XDG_CACHE_HOME/attn` (`ATTN_CACHE_DIR` overrides it, an
empty `ATTN_CACHE_DIR` turns it off). Entries are written to a temporary
file and renamed into place, so processes filling the cache at once never
see half an entry; each carries a SHA-256 of its object, and an entry that
does not match (truncated, corrupt, another key) is removed and rebuilt,
never loaded.

The same file format holds a saved kernel (`Kernel.save`, `attn.load`)."""

import collections
import hashlib
import json
import os
import struct
import tempfile
import threading

from . import _attn_core

MAGIC = b"ATTNOBJ1"
VERSION = "0.2.0"


def cache_dir():
    """The on-disk cache's directory, or None when `ATTN_CACHE_DIR` is set
    empty (no disk cache)."""
    override = os.environ.get("ATTN_CACHE_DIR")
    if override is not None:
        return override or None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache")
    return os.path.join(base, "attn")


_fingerprint = None


def compiler_fingerprint():
    """Identifies this build of the compiler: the attn version and the
    extension's size and modification time (a rebuild changes the key)."""
    global _fingerprint
    if _fingerprint is None:
        st = os.stat(_attn_core.__file__)
        _fingerprint = f"{VERSION} {st.st_size} {st.st_mtime_ns}"
    return _fingerprint


def host_target():
    return _attn_core.host_target()


def key_of(source, pipeline, opt_level, shared_libs):
    """The disk cache's key of one compilation."""
    what = json.dumps({
        "attn": compiler_fingerprint(), "llvm": _attn_core.llvm_version,
        "host": host_target(), "pipeline": pipeline, "opt_level": opt_level,
        "shared_libs": list(shared_libs), "source": source,
    }, sort_keys=True)
    return hashlib.sha256(what.encode()).hexdigest()


def encode(obj, signatures, header):
    """An entry: MAGIC, the header's length, the header (JSON: the caller's
    fields, the signatures, the object's size and SHA-256), the object."""
    header = dict(header, signatures=signatures, size=len(obj),
                  sha256=hashlib.sha256(obj).hexdigest())
    data = json.dumps(header, sort_keys=True).encode()
    return MAGIC + struct.pack("<Q", len(data)) + data + obj


class CorruptEntry(ValueError):
    pass


def decode(blob):
    """(header, object, signatures) of an entry; CorruptEntry if it is not
    one, or is truncated, or its object does not match its checksum."""
    if len(blob) < len(MAGIC) + 8 or not blob.startswith(MAGIC):
        raise CorruptEntry("not an attn compiled module")
    (length,) = struct.unpack_from("<Q", blob, len(MAGIC))
    start = len(MAGIC) + 8
    if start + length > len(blob):
        raise CorruptEntry("truncated header")
    try:
        header = json.loads(blob[start:start + length])
        obj = blob[start + length:]
        if len(obj) != header["size"]:
            raise CorruptEntry(
                f"truncated: {len(obj)} bytes of code, {header['size']} expected")
        if hashlib.sha256(obj).hexdigest() != header["sha256"]:
            raise CorruptEntry("its code does not match its checksum")
        signatures = {name: ([(e, list(s)) for e, s in args],
                             [(e, list(s)) for e, s in results])
                      for name, (args, results) in header["signatures"].items()}
    except (ValueError, KeyError, TypeError) as e:
        if isinstance(e, CorruptEntry):
            raise
        raise CorruptEntry(f"malformed header: {e}") from None
    return header, obj, signatures


def write_atomically(path, data):
    """Writes `data` to `path` through a temporary file in the same directory
    and a rename: readers see the old file or the whole new one."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".attnobj")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def disk_lookup(key):
    """(object, signatures) cached under `key`, or None. A corrupt entry is
    removed."""
    directory = cache_dir()
    if directory is None:
        return None
    path = os.path.join(directory, key + ".attnobj")
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError:
        return None
    try:
        header, obj, signatures = decode(blob)
        if header.get("key") != key:
            raise CorruptEntry("another key")
    except CorruptEntry:
        try:
            os.unlink(path)
        except OSError:
            pass
        return None
    return obj, signatures


def disk_store(key, obj, signatures):
    directory = cache_dir()
    if directory is None:
        return
    try:
        os.makedirs(directory, exist_ok=True)
        write_atomically(os.path.join(directory, key + ".attnobj"),
                         encode(obj, signatures, {"key": key}))
    except OSError:
        # A read-only or full disk costs a recompilation next time, no more.
        pass


def clear_disk():
    directory = cache_dir()
    if directory is None or not os.path.isdir(directory):
        return
    for name in os.listdir(directory):
        if name.endswith(".attnobj"):
            try:
                os.unlink(os.path.join(directory, name))
            except OSError:
                pass


class KernelCache:
    """Least recently used kernels, at most `max_entries` of them and
    `max_bytes` of code (one kernel over the bytes is still kept alone)."""

    def __init__(self, max_entries=128, max_bytes=256 << 20):
        self._entries = collections.OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = self.evictions = 0
        self.set_limits(max_entries, max_bytes)

    def set_limits(self, max_entries=None, max_bytes=None):
        for name, value in (("max_entries", max_entries), ("max_bytes", max_bytes)):
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, int) or value < 0):
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        with self._lock:
            if max_entries is not None:
                self.max_entries = max_entries
            if max_bytes is not None:
                self.max_bytes = max_bytes
            self._evict()

    def get(self, key):
        with self._lock:
            kernel = self._entries.get(key)
            if kernel is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return kernel

    def put(self, key, kernel):
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.code_bytes
            self._entries[key] = kernel
            self._bytes += kernel.code_bytes
            self._evict()

    def _evict(self):
        while self._entries and (len(self._entries) > self.max_entries or (
                self._bytes > self.max_bytes and len(self._entries) > 1)):
            _, kernel = self._entries.popitem(last=False)
            self._bytes -= kernel.code_bytes
            self.evictions += 1

    def clear(self):
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def info(self):
        with self._lock:
            return {"entries": len(self._entries), "bytes": self._bytes,
                    "max_entries": self.max_entries, "max_bytes": self.max_bytes,
                    "hits": self.hits, "misses": self.misses,
                    "evictions": self.evictions}
