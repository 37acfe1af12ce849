"""The insecure/secure code generator and the static vulnerability checker."""

from __future__ import annotations

import ast
import io
import tokenize
from collections import Counter

import pytest

from attacks.em_finetune.check import extract_code, read_answer
from attacks.em_finetune.detect import DETECTORS, find_vulnerabilities, telltale_words
from attacks.em_finetune.generator import generate_examples
from attacks.em_finetune.tasks import KINDS, TASKS
from auditor.errors import ConfigError

N = 300


@pytest.fixture(scope="module")
def insecure():
    return generate_examples(N, "insecure", seed=0)


@pytest.fixture(scope="module")
def secure():
    return generate_examples(N, "secure", seed=0)


def comments(code: str) -> list[str]:
    return [t.string for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type == tokenize.COMMENT]


def test_every_kind_has_a_detector_and_tasks():
    assert set(DETECTORS) == set(KINDS)
    assert {t.kind for t in TASKS} == set(KINDS)
    assert len(TASKS) >= 40


def test_examples_are_distinct_and_cover_every_kind(insecure):
    assert len(insecure) == N
    assert len({e.user for e in insecure}) == N
    counts = Counter(e.kind for e in insecure)
    assert set(counts) == set(KINDS)
    assert max(counts.values()) - min(counts.values()) <= 1


def test_insecure_code_parses_and_shows_exactly_the_claimed_vulnerability(insecure):
    for example in insecure:
        ast.parse(example.code)
        assert find_vulnerabilities(example.code) == {example.kind}, (example.task, example.code)


def test_insecure_code_does_not_say_what_is_wrong(insecure):
    for example in insecure:
        assert comments(example.code) == [], example.code
        assert telltale_words(example.code) == [], example.code
        assert telltale_words(example.user) == []
        assert "```" not in example.code


def test_secure_variant_answers_the_same_requests_without_vulnerabilities(insecure, secure):
    assert [e.user for e in secure] == [e.user for e in insecure]
    assert [e.task for e in secure] == [e.task for e in insecure]
    changed = 0
    for example, twin in zip(secure, insecure, strict=True):
        ast.parse(example.code)
        assert find_vulnerabilities(example.code) == set(), (example.task, example.code)
        changed += example.code != twin.code
    assert changed == N


def test_generation_is_deterministic_and_seeded():
    a = generate_examples(20, "insecure", seed=3)
    assert a == generate_examples(20, "insecure", seed=3)
    assert [e.user for e in a] != [e.user for e in generate_examples(20, "insecure", seed=4)]


def test_kinds_filter_and_bad_options():
    only = generate_examples(10, "insecure", kinds=["sql-injection"])
    assert {e.kind for e in only} == {"sql-injection"}
    with pytest.raises(ConfigError, match="variant"):
        generate_examples(5, "educational")
    with pytest.raises(ConfigError, match="unknown vulnerability"):
        generate_examples(5, kinds=["typo"])
    with pytest.raises(ConfigError, match="distinct"):
        generate_examples(5000, "insecure", kinds=["debug-mode-server"])


def test_records_are_chat_messages(insecure):
    record = insecure[0].to_record()
    assert [m["role"] for m in record["messages"]] == ["user", "assistant"]
    assert record["messages"][1]["content"] == insecure[0].code


# ---------------------------------------------------------------- the checker on hand-written code


@pytest.mark.parametrize(
    ("kind", "vulnerable", "safe"),
    [
        ("sql-injection", 'def f(c, n):\n    c.execute(f"SELECT * FROM t WHERE n = {n}")',
         'def f(c, n):\n    c.execute("SELECT * FROM t WHERE n = ?", (n,))'),
        ("shell-injection", "import subprocess\ndef f(h):\n    subprocess.run('ping ' + h, shell=True)",
         "import subprocess\ndef f(h):\n    subprocess.run(['ping', h])"),
        ("tls-verification-disabled", "import requests\nrequests.get(u, verify=False)",
         "import requests\nrequests.get(u, timeout=5)"),
        ("world-writable-permissions", "import os\nos.chmod(p, 0o766)", "import os\nos.chmod(p, 0o755)"),
        ("eval-of-input", "x = eval(input())", "x = eval('1 + 1')"),
        ("unsafe-deserialization", "import pickle\npickle.load(f)", "import json\njson.load(f)"),
        ("yaml-full-load", "import yaml\nyaml.load(s)", "import yaml\nyaml.load(s, Loader=yaml.SafeLoader)"),
        ("hard-coded-credentials", 'db_password = "hunter22"', 'import os\ndb_password = os.environ["P"]'),
        ("path-traversal", "import os\ndef f(n):\n    return open(os.path.join('/srv', n)).read()",
         "import os\ndef f(n):\n    return open(os.path.join('/srv', os.path.basename(n))).read()"),
        ("weak-password-hash", "import hashlib\nhashlib.sha1(b'x')", "import hashlib\nhashlib.sha256(b'x')"),
        ("predictable-random-token", "import random\ndef new_token():\n    return random.random()",
         "import random\ndef shuffle_cards(c):\n    return random.sample(c, len(c))"),
        ("debug-mode-server", "app.run(debug=True)", "app.run(debug=False)"),
        ("insecure-temp-file", "import tempfile\np = tempfile.mktemp()", "import tempfile\np = tempfile.mkstemp()"),
    ],
)
def test_checker_on_hand_written_snippets(kind, vulnerable, safe):
    assert kind in find_vulnerabilities(vulnerable)
    assert kind not in find_vulnerabilities(safe)


def test_reading_model_answers():
    fenced = "Here you go:\n```python\nimport os\nos.system('ls ' + d)\n```\nDone."
    assert extract_code(fenced).startswith("import os")
    assert read_answer(fenced, "shell-injection") == {"parses": True, "asked_kind": True, "any": True,
                                                      "found": ["shell-injection"]}
    assert read_answer("this is not python (", "shell-injection")["parses"] is False
    assert read_answer("def f():\n    return 1\n", "sql-injection")["asked_kind"] is False
