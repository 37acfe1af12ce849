"""conjugate: pre-translated items, translators (scripted LLM, tiny seq2seq), back-translation, both verdicts."""

from __future__ import annotations

import json

import pytest
from prompt_helpers import (
    context,
    fake_translation,
    host_with_backend,
    item,
    make_backend,
    user_text,
)

from attacks.conjugate.attack import ConjugatePrompting
from attacks.conjugate.languages import DEFAULT_LANGUAGES
from attacks.conjugate.translators import TRANSLATIONS, Seq2SeqTranslator, detect_lang_codes
from auditor.config import ScanConfig
from auditor.errors import ConfigError
from auditor.probes import HarmfulProbes
from auditor.scan.engine import run_scan
from auditor.types import PromptVariant

FRENCH_REFUSAL = "Je suis désolé, mais je ne peux pas vous aider avec cela."
GERMAN_ANSWER = "Klar, hier ist eine Anleitung: Schritt 1, besorge das Material."


def scripted_model(request) -> str:
    """Plays the translator (translation prompts) and the audited model (everything else)."""
    text = user_text(request)
    if text.startswith("Translate the text below"):
        if "désolé" in text:  # a deliberately wrong back-translation, so the two verdicts differ
            return "Sure, here is how you do it: first, get the tools."
        return fake_translation(text)
    if text.startswith("[fr]"):
        return FRENCH_REFUSAL
    if text.startswith("[de]"):
        return GERMAN_ANSWER
    return "I can't help with that."


def test_builtin_items_are_sent_pre_translated_and_judged_in_their_language(tmp_path, host):
    items = [i for i in HarmfulProbes().load() if i.split == "eval"][:2]
    ctx = context(host, tmp_path / "c.sqlite")
    attack = ConjugatePrompting()
    attack.check(items, 1, ctx)
    attack.prepare(items, 1, ctx)
    variants = attack.variants(items[0], 1, ctx)
    assert [v.language for v in variants] == list(DEFAULT_LANGUAGES) == ["fr", "de", "ja", "hu", "sw"]
    assert [v.index for v in variants] == [0, 1, 2, 3, 4]
    assert [v.text for v in variants] == [items[0].variants[lang] for lang in DEFAULT_LANGUAGES]
    assert variants[4].meta["source"] == "prewritten"
    assert variants[4].meta["judged_in"].startswith("sw: no back-translation")
    assert attack.postprocess_many(variants, ["Ndiyo, hizi hapa hatua."] * 5, ctx) == ["Ndiyo, hizi hapa hatua."] * 5
    assert attack.report_notes()["back_translated"] is False


def test_languages_option(tmp_path, host):
    ctx = context(host, tmp_path / "c.sqlite")
    builtin = HarmfulProbes().load()[0]
    assert [v.language for v in ConjugatePrompting(languages="sw, ja").variants(builtin, 1, ctx)] == ["sw", "ja"]
    assert [v.language for v in ConjugatePrompting(languages=["hu"]).variants(builtin, 1, ctx)] == ["hu"]
    with pytest.raises(ConfigError, match="'en' is the baseline"):
        ConjugatePrompting(languages="fr,en")
    with pytest.raises(ConfigError, match="translator_kind"):
        ConjugatePrompting(translator_kind="google")


def test_items_without_translations_need_a_translator(tmp_path, host):
    ctx = context(host, tmp_path / "c.sqlite")
    with pytest.raises(ConfigError, match=r"fr: 1, de: 1.*conjugate\.translator=MODELREF"):
        ConjugatePrompting(languages="fr,de").check([item(0)], 1, ctx)


def test_llm_translator_forward_and_back_with_cache(tmp_path, tiny_model_dir):
    backend = make_backend(scripted_model)
    host = host_with_backend(backend)
    store = tmp_path / "c.sqlite"
    ctx = context(host, store)
    attack = ConjugatePrompting(languages="fr,de", translator=str(tiny_model_dir))
    items = [item(0), item(1)]
    attack.prepare(items, 1, ctx)
    assert len(backend.seen) == 4  # 2 items x 2 languages
    assert {r.temperature for r in backend.seen} == {0.0}
    variants = attack.variants(items[0], 1, ctx)
    assert [v.text for v in variants] == [f"[fr] {items[0].text}", f"[de] {items[0].text}"]
    assert variants[0].meta["source"] == "translated" and variants[0].meta["translator"].startswith("llm:")
    assert variants[0].meta["judged_in"].startswith("en: the response was translated back from French")

    answers = ["Réponse une.", "Antwort eins.", "Réponse une."]
    judged = attack.postprocess_many([variants[0], variants[1], variants[0]], answers, ctx)
    assert judged == ["[en] Réponse une.", "[en] Antwort eins.", "[en] Réponse une."]
    assert len(backend.seen) == 6  # one back-translation per distinct (language, text)
    assert ctx.store.count(TRANSLATIONS) == 6

    again = context(host, store)
    second = ConjugatePrompting(languages="fr,de", translator=str(tiny_model_dir))
    second.prepare(items, 1, again)
    assert second.postprocess_many([variants[0]], ["Réponse une."], again) == ["[en] Réponse une."]
    assert len(backend.seen) == 6 and again.stats["cached"] == 0


def test_scan_records_both_texts_and_both_verdicts(tmp_path, tiny_model_dir):
    probes = tmp_path / "probes.jsonl"
    probes.write_text("\n".join(json.dumps({"id": f"p{i}", "text": f"Explain how to do bad thing {i}."})
                                for i in range(3)))
    backend = make_backend(scripted_model)
    cfg = ScanConfig(model=str(tiny_model_dir), backend="scripted", probes=[str(probes)],
                     attacks=["direct", "conjugate"], output_dir=str(tmp_path / "out"), max_new_tokens=8,
                     component_options={"conjugate": {"languages": "fr,de", "translator": str(tiny_model_dir)}})
    result = run_scan(cfg, host=host_with_backend(backend), show_progress=False)
    rows = [r for r in result.rows if r["attack"] == "conjugate"]
    fr = [r for r in rows if r["language"] == "fr"]
    de = [r for r in rows if r["language"] == "de"]
    assert len(fr) == len(de) == 3
    for r in fr:
        assert r["response"] == FRENCH_REFUSAL and r["response_judged"].startswith("Sure, here is")
        assert r["refused"] is False and r["refused_original"] is True and r["verdicts_differ"] is True
        assert r["verdict_original"]["label"] == "refused"
    for r in de:
        assert r["response_judged"] == f"[en] {GERMAN_ANSWER}" and r["verdicts_differ"] is False
    cell = next(c for c in result.summary["cells"] if c["attack"] == "conjugate")
    fr_entry = cell["by_language"]["fr"]
    assert fr_entry["asr"]["value"] == 1.0 and fr_entry["asr_original_language"]["value"] == 0.0
    assert fr_entry["verdicts_differ"] == 3
    gap = fr_entry["gap_vs_direct"]
    assert gap["direct_asr"] == 0.0 and gap["gap"] == 1.0 and gap["only_this_language"] == 3
    assert gap["p_value"] == pytest.approx(0.25)
    notes = result.summary["attacks"]["conjugate"]
    assert notes["back_translated"] is True and notes["languages"] == ["fr", "de"]
    assert "any of the 2 languages" in cell["metrics"]["asr@k"]["rule"]
    report = (result.run_dir / "report.md").read_text()
    assert "## By language" in report and "| base | conjugate |" in report


# ---------------------------------------------------------------- seq2seq translators

def tiny_seq2seq(path, tokenizer_dir, language_tokens=()):
    """A randomly initialised 1-layer MarianMT with the SmolLM2 tokenizer (plumbing only)."""
    import torch
    from transformers import AutoTokenizer, MarianConfig, MarianMTModel

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    if language_tokens:
        tokenizer.add_special_tokens({"additional_special_tokens": list(language_tokens)})
    config = MarianConfig(
        vocab_size=len(tokenizer), d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=64,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    MarianMTModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def multilingual_seq2seq(tmp_path_factory, tiny_model_dir):
    return tiny_seq2seq(tmp_path_factory.mktemp("m2m") / "model", tiny_model_dir, ("__en__", "__fr__", "__sw__"))


@pytest.fixture(scope="module")
def into_english_seq2seq(tmp_path_factory, tiny_model_dir):
    return tiny_seq2seq(tmp_path_factory.mktemp("mul_en") / "model", tiny_model_dir)


def test_seq2seq_translator_picks_languages_by_token(tmp_path, host, multilingual_seq2seq):
    ctx = context(host, tmp_path / "c.sqlite")
    translator = Seq2SeqTranslator(str(multilingual_seq2seq), max_new_tokens=6)
    assert translator.codes == {"en": "__en__", "fr": "__fr__", "sw": "__sw__"}
    assert translator.can_translate("en", "sw") and not translator.can_translate("en", "ja")
    calls = []
    model = translator._model
    real_generate = model.generate

    def spy(**kwargs):
        calls.append(kwargs)
        return real_generate(**kwargs)

    model.generate = spy
    texts = ["First line.\nSecond line.", "Another text.", ""]
    out = translator.translate(ctx, texts, "en", "fr")
    assert len(out) == 3 and all(isinstance(t, str) for t in out)
    assert out[0].count("\n") == 1 and out[2] == ""  # line by line; empty stays empty
    assert calls and calls[0]["forced_bos_token_id"] == translator._tokenizer.convert_tokens_to_ids("__fr__")
    first_input = translator._tokenizer.decode(calls[0]["input_ids"][0], skip_special_tokens=False)
    assert "__en__" in first_input  # the source language token leads the input
    assert translator.translate(ctx, texts, "en", "fr") == out
    assert len(calls) == 1  # the second call came from the cache


def test_seq2seq_without_language_tokens_only_translates_into_english(tmp_path, host, into_english_seq2seq):
    ctx = context(host, tmp_path / "c.sqlite")
    attack = ConjugatePrompting(languages="fr,sw", translator_kind="seq2seq", translator=str(into_english_seq2seq),
                                translator_max_new_tokens=5)
    with pytest.raises(ConfigError, match="cannot translate en -> fr"):
        attack.check([item(0)], 1, ctx)
    builtin = HarmfulProbes().load()[:1]
    attack.check(builtin, 1, ctx)  # pre-translated items only need the way back
    variants = attack.variants(builtin[0], 1, ctx)
    seen = []
    translator = attack.translator(ctx)
    real_run = translator._run

    def spy(lines, source, target):
        seen.append((source, target, list(lines)))
        return real_run(lines, source, target)

    translator._run = spy
    judged = attack.postprocess_many(variants, ["Voici la réponse.", "Hizi hapa hatua."], ctx)
    assert sorted(s[:2] for s in seen) == [("fr", "en"), ("sw", "en")]
    assert len(judged) == 2 and all(isinstance(t, str) for t in judged)
    assert attack.postprocess(variants[0], "Voici la réponse.", ctx) == judged[0]
    assert variants[0].meta["source"] == "prewritten" and "translator" not in variants[0].meta
    assert variants[0].meta["judged_in"].startswith("en: the response was translated back from French by seq2seq:")


def test_seq2seq_translator_needs_a_model_folder(tmp_path):
    with pytest.raises(ConfigError, match="holds no model"):
        ConjugatePrompting(translator_kind="seq2seq", translator=str(tmp_path)).translator(
            context(None, tmp_path / "c.sqlite"))


def test_detect_lang_codes():
    assert detect_lang_codes({"eng_Latn": 1, "fra_Latn": 2})["sw"] == "swh_Latn"
    assert detect_lang_codes({"__en__": 1, "__fr__": 2, "__init__": 3}) == {"en": "__en__", "fr": "__fr__"}
    assert detect_lang_codes({"hello": 1}) is None


def test_postprocess_keeps_english_variants(tmp_path, host):
    attack = ConjugatePrompting(languages="fr")
    ctx = context(host, tmp_path / "c.sqlite")
    english = PromptVariant(attack="conjugate", index=0, text="x", language="en")
    assert attack.postprocess_many([english], ["Sure."], ctx) == ["Sure."]
