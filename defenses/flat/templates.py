"""Template answers for FLAT: the responses the model should give instead of the forgotten ones.

Pools shipped with auditor: `refusals` (auditor/data/templates/refusals.jsonl, for harmful
forget data) and `idk` ("I don't know" answers, auditor/data/templates/idk.jsonl, for
knowledge unlearning). A path to a .jsonl/.json/.csv/.parquet file with a `text` column
(or a `response` column) gives a pool of one's own; a CSV header row is a header, never a
template.
"""

from __future__ import annotations

import random
from pathlib import Path

from auditor.errors import DatasetError

POOLS = {"refusals": "refusals.jsonl", "idk": "idk.jsonl"}
COLUMNS = ("text", "response", "template")


def load_templates(spec: str) -> list[str]:
    if spec in POOLS:
        from auditor.probes import read_jsonl_resource

        rows = read_jsonl_resource("templates", POOLS[spec])
        source = f"built-in pool '{spec}'"
    else:
        from auditor.probes import read_table

        path = Path(spec).expanduser()
        if not path.exists():
            raise DatasetError(f"flat: templates must be {', '.join(POOLS)} or a file; '{spec}' does not exist")
        rows = read_table(path)
        source = str(path)
    texts = []
    for row in rows:
        column = next((c for c in COLUMNS if c in row), None)
        if column is None:
            raise DatasetError(f"flat: template file {source} needs a column named one of {', '.join(COLUMNS)}")
        text = str(row[column]).strip()
        if text:
            texts.append(text)
    if not texts:
        raise DatasetError(f"flat: {source} holds no templates")
    return texts


def draw_templates(pool: list[str], n: int, seed: int) -> list[str]:
    """One template per sample, drawn at random (seeded) from the pool."""
    rng = random.Random(seed)
    return [rng.choice(pool) for _ in range(n)]
