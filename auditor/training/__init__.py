"""The fine-tuning engine for weight-level attacks and defenses (see docs/fine-tuning.md).

Import from here; torch is loaded only when training actually runs.
"""

from auditor.training.cache import adapter_key, adapter_path, building, find_cached
from auditor.training.config import TrainConfig
from auditor.training.data import (
    IGNORE_INDEX,
    ChatExample,
    data_hash,
    examples_from_records,
    load_chat_dataset,
    tokenize_example,
)
from auditor.training.engine import train_lora, training_key

__all__ = [
    "IGNORE_INDEX",
    "ChatExample",
    "TrainConfig",
    "adapter_key",
    "adapter_path",
    "building",
    "data_hash",
    "examples_from_records",
    "find_cached",
    "load_chat_dataset",
    "tokenize_example",
    "train_lora",
    "training_key",
]
