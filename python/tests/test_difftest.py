"""The differential generator (difftest.py) as a test: a bounded campaign of
random valid programs against the float64 references, and every kept
regression (test/Differential/regressions) replayed."""

import glob
import json
import os

import pytest

import difftest

# Programs per run: about 0.3 s of compilation each, under two option sets.
CAMPAIGN = 60


def test_campaign():
    failures = difftest.run(seed=20261204, count=CAMPAIGN, log=lambda *_: None)
    assert not failures, "\n".join(json.dumps(f) for f in failures)


@pytest.mark.parametrize(
    "path", sorted(glob.glob(os.path.join(difftest.REGRESSIONS, "*.json"))),
    ids=os.path.basename)
def test_regression(path):
    with open(path) as f:
        kept = json.load(f)
    assert difftest.disagreement(kept["spec"], kept["options"]) is None


def test_generator_is_deterministic():
    import numpy as np
    a = [difftest.generate(np.random.default_rng(7)) for _ in range(1)]
    b = [difftest.generate(np.random.default_rng(7)) for _ in range(1)]
    assert a == b
