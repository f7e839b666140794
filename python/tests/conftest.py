"""Shared setup for the attn Python tests.

Run from the repository root with the built package on the path:

    PYTHONPATH=build/python_packages python3 -m pytest -q python/tests

If PYTHONPATH is not set, the build tree's package is used. The import is
retried a few times, since a concurrent build may briefly replace the
extension module.
"""

import os
import sys
import tempfile
import time

import numpy as np
import pytest

_BUILD_PACKAGES = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "build",
    "python_packages")


def _import_attn():
    last = None
    for attempt in range(4):
        try:
            import attn  # noqa: F401
            return
        except ModuleNotFoundError as e:
            if e.name != "attn":
                raise
            if os.path.isdir(_BUILD_PACKAGES) and _BUILD_PACKAGES not in sys.path:
                sys.path.insert(0, os.path.normpath(_BUILD_PACKAGES))
                continue
            last = e
        except (ImportError, OSError) as e:  # extension being rewritten
            last = e
            for name in [m for m in sys.modules if m == "attn" or m.startswith("attn.")]:
                del sys.modules[name]
        time.sleep(30 if attempt < 3 else 0)
    raise last


# The tests fill a disk cache of their own (one per session, removed at
# exit), not the user's; subprocesses started by the tests inherit it.
if "ATTN_CACHE_DIR" not in os.environ:
    _cache = tempfile.TemporaryDirectory(prefix="attn-test-cache-")
    os.environ["ATTN_CACHE_DIR"] = _cache.name

_import_attn()


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
