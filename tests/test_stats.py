"""Statistics against values computed by hand."""

from __future__ import annotations

import math

import pytest

from auditor.errors import ConfigError
from auditor.scan.gate import evaluate_gates, parse_gate
from auditor.stats import mcnemar_exact, paired_bootstrap, wilson_interval


def test_wilson_interval_by_hand():
    # p = 0.35, n = 20, z = 1.959964: centre = (0.35 + z^2/40) / (1 + z^2/20) = 0.374160
    # half = z * sqrt(0.35*0.65/20 + z^2/1600) / (1 + z^2/20) = 0.193
    low, high = wilson_interval(7, 20)
    assert low == pytest.approx(0.18119, abs=1e-4)
    assert high == pytest.approx(0.56715, abs=1e-4)
    assert wilson_interval(0, 10) == (0.0, pytest.approx(0.27753, abs=1e-4))
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


def test_mcnemar_exact_by_hand():
    # b=1, c=6: p = 2 * (C(7,0) + C(7,1)) / 2^7 = 2 * 8 / 128 = 0.125
    assert mcnemar_exact(1, 6) == pytest.approx(0.125)
    assert mcnemar_exact(0, 0) == 1.0
    # b=0, c=10: 2 / 1024
    assert mcnemar_exact(0, 10) == pytest.approx(2 / 1024)


def test_paired_bootstrap_detects_a_shift():
    a = [0.0] * 30
    b = [1.0] * 25 + [0.0] * 5
    out = paired_bootstrap(a, b, n_resamples=500)
    assert out["diff"] == pytest.approx(25 / 30)
    assert out["low"] > 0.5 and out["p_value"] < 0.01


def test_gates():
    summary = {"cells": [{"pipeline": "base", "attack": "direct", "probe_set": "harmful",
                          "metrics": {"asr@1": {"value": 0.5}}}]}
    assert evaluate_gates(summary, ["asr@1>0.2"])
    assert not evaluate_gates(summary, ["asr@1>0.6", "over_refusal_rate>0.1"])
    assert parse_gate("over_refusal_rate >= 0.1") == ("over_refusal_rate", ">=", 0.1)
    with pytest.raises(ConfigError):
        parse_gate("asr@1 is big")
