"""Chat training examples and their token-level loss masks.

A `ChatExample` is a conversation (system / user / assistant turns). It is rendered
through the model's own chat template, and only the assistant turns' tokens (their
text and the end-of-turn token) carry loss; the system prompt, the user turns and
the template's role headers are masked with -100.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.errors import DatasetError
from auditor.types import stable_hash

IGNORE_INDEX = -100
ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class ChatExample:
    """One training conversation. `meta` travels to custom loss functions (and into the data hash)."""

    messages: tuple[tuple[str, str], ...]
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.messages:
            raise DatasetError("a training example needs at least one message")
        for role, content in self.messages:
            if role not in ROLES:
                raise DatasetError(f"unknown chat role '{role}' in a training example (use {', '.join(ROLES)})")
            if not isinstance(content, str):
                raise DatasetError(f"message content must be text, got {type(content).__name__}")
        if not any(role == "assistant" for role, _ in self.messages):
            raise DatasetError("a training example needs at least one assistant message to learn from")

    @classmethod
    def from_pair(cls, prompt: str, response: str, system: str | None = None, **meta: Any) -> ChatExample:
        """A single exchange: (optional system), user prompt, assistant response."""
        messages: list[tuple[str, str]] = []
        if system:
            messages.append(("system", system))
        messages += [("user", prompt), ("assistant", response)]
        return cls(tuple(messages), dict(meta))

    def to_dict(self) -> dict[str, Any]:
        return {"messages": [list(m) for m in self.messages], "meta": self.meta}


def data_hash(examples: Sequence[ChatExample]) -> str:
    """Content hash of a training set, order included (the order changes what is learnt)."""
    return stable_hash([e.to_dict() for e in examples], length=24)


# ---------------------------------------------------------------- user datasets


def examples_from_records(
    records: Iterable[dict[str, Any]],
    source: str,
    prompt_column: str = "prompt",
    response_column: str = "response",
    system: str | None = None,
) -> list[ChatExample]:
    """Rows with a `messages` list ([{role, content}, ...]) or prompt/response columns."""
    examples = []
    for line_no, rec in enumerate(records, 1):
        if "messages" in rec:
            raw = rec["messages"]
            if not isinstance(raw, list) or not all(isinstance(m, dict) for m in raw):
                raise DatasetError(f"{source} row {line_no}: 'messages' must be a list of {{role, content}} objects")
            try:
                messages = tuple((str(m["role"]), str(m["content"])) for m in raw)
            except KeyError as exc:
                raise DatasetError(f"{source} row {line_no}: a message has no {exc.args[0]!r}") from None
            if system and messages[0][0] != "system":
                messages = (("system", system), *messages)
            examples.append(ChatExample(messages))
            continue
        missing = [c for c in (prompt_column, response_column) if c not in rec]
        if missing:
            raise DatasetError(
                f"{source} row {line_no} has no column {missing[0]!r} (columns: {', '.join(map(str, rec))}); "
                f"expected '{prompt_column}' and '{response_column}', or 'messages'"
            )
        prompt, response = rec[prompt_column], rec[response_column]
        if not isinstance(prompt, str) or not isinstance(response, str) or not prompt.strip() or not response.strip():
            raise DatasetError(f"{source} row {line_no}: '{prompt_column}' and '{response_column}' must be non-empty text")
        examples.append(ChatExample.from_pair(prompt, response, system=system))
    if not examples:
        raise DatasetError(f"{source} holds no training examples")
    return examples


def load_chat_dataset(
    path: str | Path,
    prompt_column: str = "prompt",
    response_column: str = "response",
    system: str | None = None,
) -> list[ChatExample]:
    """Training examples from a local .jsonl/.json/.csv/.parquet file."""
    from auditor.probes import read_table

    path = Path(path).expanduser()
    if not path.exists():
        raise DatasetError(f"training data file not found: {path}")
    try:
        records = read_table(path)
    except DatasetError as exc:
        raise DatasetError(str(exc).replace("probe file", "training data file")) from None
    return examples_from_records(records, str(path), prompt_column, response_column, system)


# ---------------------------------------------------------------- tokenization


@dataclass
class TokenizedExample:
    input_ids: list[int]
    labels: list[int]

    @property
    def n_target_tokens(self) -> int:
        return sum(1 for t in self.labels if t != IGNORE_INDEX)


def render_chat(tokenizer: Any, messages: Sequence[tuple[str, str]], add_generation_prompt: bool) -> str:
    """The conversation as text, through the chat template (plain role lines when there is none).

    Generation (`auditor.backends.hf.render_prompt`) renders prompts the same way, so the
    model is trained on exactly the layout it is later asked in.
    """
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(
            [{"role": r, "content": c} for r, c in messages], add_generation_prompt=add_generation_prompt, tokenize=False
        )
    text = "\n".join(f"{role}: {content}" for role, content in messages)
    if add_generation_prompt:
        return text + "\nassistant:"
    eos = getattr(tokenizer, "eos_token", None) or ""
    return text + eos


def _ids(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def common_prefix_length(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def tokenize_example(tokenizer: Any, example: ChatExample, max_length: int) -> TokenizedExample:
    """input_ids of the whole conversation; labels equal to them on assistant tokens only.

    Each assistant turn's span is found by rendering the conversation up to that turn with
    and without the turn: the tokens between the two renderings are the assistant's text
    and its end-of-turn marker. Sequences longer than `max_length` are cut at the end.
    """
    messages = list(example.messages)
    input_ids: list[int] = []
    labels: list[int] = []
    for i, (role, _) in enumerate(messages):
        if role != "assistant":
            continue
        prefix = _ids(tokenizer, render_chat(tokenizer, messages[:i], add_generation_prompt=True))
        full = _ids(tokenizer, render_chat(tokenizer, messages[: i + 1], add_generation_prompt=False))
        if full[: len(input_ids)] != input_ids:
            raise DatasetError(
                "the chat template does not render conversations prefix-consistently, so assistant tokens "
                "cannot be located; use a model with a standard chat template"
            )
        # Where a tokenizer merges the generation prompt's last token with the answer's
        # first, the answer starts at the first differing token.
        start = max(common_prefix_length(full, prefix), len(input_ids))
        context = full[len(input_ids):start]
        answer = full[start:]
        input_ids += context + answer
        labels += [IGNORE_INDEX] * len(context) + answer
    # Trailing non-assistant turns carry no loss and are dropped.
    return TokenizedExample(input_ids[:max_length], labels[:max_length])


def tokenize_examples(tokenizer: Any, examples: Sequence[ChatExample], max_length: int) -> list[TokenizedExample]:
    out = []
    for example in examples:
        tokenized = tokenize_example(tokenizer, example, max_length)
        if tokenized.n_target_tokens == 0:
            raise DatasetError(
                f"a training example has no assistant tokens left within max_length={max_length} "
                f"(its prompt is too long); raise max_length or shorten the prompt"
            )
        out.append(tokenized)
    return out
