"""Model resolution: clear errors for every bad reference, stable fingerprints, adapters."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from auditor.errors import ModelLoadError
from auditor.models import fingerprint_folder, resolve_model


def make_adapter(model_dir, out_dir):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir)
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    peft_model.save_pretrained(out_dir)
    return out_dir


def test_missing_path(tmp_path):
    with pytest.raises(ModelLoadError, match="does not exist"):
        resolve_model(str(tmp_path / "nope"))


def test_folder_without_model(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelLoadError, match="holds no model"):
        resolve_model(str(tmp_path / "empty"))


def test_pickled_weights_need_opt_in(tmp_path, tiny_model_dir):
    folder = tmp_path / "pickled"
    folder.mkdir()
    shutil.copy(tiny_model_dir / "config.json", folder / "config.json")
    torch.save({"w": torch.zeros(1)}, folder / "pytorch_model.bin")
    with pytest.raises(ModelLoadError, match="pickled weights.*--allow-pickle"):
        resolve_model(str(folder))
    assert resolve_model(str(folder), allow_pickle=True).base_path == str(folder.resolve())


def test_unknown_reference_and_bundled_name():
    with pytest.raises(ModelLoadError, match="model not found"):
        resolve_model("not a model")
    with pytest.raises(ModelLoadError, match="unknown bundled model"):
        resolve_model("bundled:gpt-9")


def test_hub_id_offline_is_a_clear_error():
    with pytest.raises(ModelLoadError, match="could not fetch hub model 'no-such-org/no-such-model'"):
        resolve_model("no-such-org/no-such-model")


def test_fingerprint_is_stable_and_content_sensitive(tmp_path, tiny_model_dir):
    copy = tmp_path / "copy"
    shutil.copytree(tiny_model_dir, copy)
    assert fingerprint_folder(copy) == fingerprint_folder(tiny_model_dir)
    config = json.loads((copy / "config.json").read_text())
    config["rms_norm_eps"] = 1e-5 + 1e-9
    (copy / "config.json").write_text(json.dumps(config))
    assert fingerprint_folder(copy) != fingerprint_folder(tiny_model_dir)


def test_adapter_reference_and_fingerprint(tmp_path, tiny_model_dir):
    adapter = make_adapter(tiny_model_dir, tmp_path / "adapter")
    base = resolve_model(str(tiny_model_dir))
    target = resolve_model(f"{tiny_model_dir}+{adapter}")
    assert target.pipeline == "adapter"
    assert target.fingerprint != base.fingerprint
    assert target.base_fingerprint == base.fingerprint


def test_adapter_for_another_base_is_refused(tmp_path, tiny_model_dir, other_tiny_model_dir):
    adapter = make_adapter(other_tiny_model_dir, tmp_path / "foreign")
    with pytest.raises(ModelLoadError, match="does not match the base model"):
        resolve_model(f"{tiny_model_dir}+{adapter}")


def test_adapter_with_recorded_other_base_is_refused(tmp_path, tiny_model_dir):
    adapter = make_adapter(tiny_model_dir, tmp_path / "adapter")
    (adapter / "auditor_adapter.json").write_text(json.dumps({"base_fingerprint": "0" * 32}))
    with pytest.raises(ModelLoadError, match="trained on another base model"):
        resolve_model(f"{tiny_model_dir}+{adapter}")


def test_corrupt_adapter_is_refused(tmp_path, tiny_model_dir):
    adapter = make_adapter(tiny_model_dir, tmp_path / "adapter")
    (adapter / "adapter_model.safetensors").write_bytes(b"not safetensors at all")
    with pytest.raises(ModelLoadError, match="corrupt weights"):
        resolve_model(f"{tiny_model_dir}+{adapter}")
    (adapter / "adapter_config.json").write_text("{broken")
    with pytest.raises(ModelLoadError, match="corrupt adapter_config.json"):
        resolve_model(f"{tiny_model_dir}+{adapter}")
