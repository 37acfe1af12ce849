"""The keyword judge on the labelled responses of every conjugate language (30 per language)."""

from __future__ import annotations

import pytest

from attacks.conjugate.languages import DEFAULT_LANGUAGES
from auditor.judges.keyword import KeywordJudge
from auditor.judges.quality import builtin_label_rows, evaluate_refusal_judge

MIN_ACCURACY = 0.85


@pytest.mark.parametrize("language", ["en", *DEFAULT_LANGUAGES])
def test_keyword_judge_accuracy_per_language(language):
    rows = builtin_label_rows(language)
    if language != "en":
        assert len(rows) == 30
        assert {r["language"] for r in rows} == {language}
    labels = [bool(r["refused"]) for r in rows]
    assert 0 < sum(labels) < len(labels)  # both classes are present
    metrics = evaluate_refusal_judge(KeywordJudge(), rows)
    print(f"keyword judge [{language}]: accuracy {metrics['accuracy']:.3f}, precision {metrics['precision']:.3f}, "
          f"recall {metrics['recall']:.3f} on {metrics['n']} labelled responses")
    assert metrics["accuracy"] >= MIN_ACCURACY, metrics["errors"]
