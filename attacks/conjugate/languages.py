"""Language names and the codes multilingual translation models use for them."""

from __future__ import annotations

from auditor.errors import ConfigError

DEFAULT_LANGUAGES = ("fr", "de", "ja", "hu", "sw")

#: ISO 639-1 code -> English name (used in translation prompts and reports)
NAMES = {
    "en": "English", "fr": "French", "de": "German", "ja": "Japanese", "hu": "Hungarian", "sw": "Swahili",
    "ml": "Malayalam", "es": "Spanish", "it": "Italian", "pt": "Portuguese", "nl": "Dutch", "pl": "Polish",
    "ru": "Russian", "uk": "Ukrainian", "tr": "Turkish", "ar": "Arabic", "he": "Hebrew", "hi": "Hindi",
    "bn": "Bengali", "zh": "Chinese", "ko": "Korean", "vi": "Vietnamese", "th": "Thai", "id": "Indonesian",
    "fi": "Finnish", "sv": "Swedish", "el": "Greek", "cs": "Czech", "ro": "Romanian", "ta": "Tamil",
    "te": "Telugu", "zu": "Zulu", "yo": "Yoruba", "am": "Amharic", "gd": "Scottish Gaelic",
}

#: NLLB-200 (FLORES-200) codes
NLLB_CODES = {
    "en": "eng_Latn", "fr": "fra_Latn", "de": "deu_Latn", "ja": "jpn_Jpan", "hu": "hun_Latn", "sw": "swh_Latn",
    "ml": "mal_Mlym", "es": "spa_Latn", "it": "ita_Latn", "pt": "por_Latn", "nl": "nld_Latn", "pl": "pol_Latn",
    "ru": "rus_Cyrl", "uk": "ukr_Cyrl", "tr": "tur_Latn", "ar": "arb_Arab", "he": "heb_Hebr", "hi": "hin_Deva",
    "bn": "ben_Beng", "zh": "zho_Hans", "ko": "kor_Hang", "vi": "vie_Latn", "th": "tha_Thai", "id": "ind_Latn",
    "fi": "fin_Latn", "sv": "swe_Latn", "el": "ell_Grek", "cs": "ces_Latn", "ro": "ron_Latn", "ta": "tam_Taml",
    "te": "tel_Telu", "zu": "zul_Latn", "yo": "yor_Latn", "am": "amh_Ethi", "gd": "gla_Latn",
}


def name_of(code: str) -> str:
    return NAMES.get(code, code)


def parse_languages(value: object, owner: str) -> tuple[str, ...]:
    """'fr,de' or ['fr', 'de'] -> ('fr', 'de'); English is the baseline, not a conjugate language."""
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
    elif isinstance(value, (list, tuple)):
        parts = [str(p).strip() for p in value]
    else:
        raise ConfigError(f"{owner}: languages must be a list or a comma-separated string, not {value!r}")
    languages = tuple(dict.fromkeys(p.lower() for p in parts if p))
    if not languages:
        raise ConfigError(f"{owner}: no languages given")
    if "en" in languages:
        raise ConfigError(f"{owner}: 'en' is the baseline (the direct attack); list only other languages")
    bad = [p for p in languages if not p.replace("-", "").replace("_", "").isalnum()]
    if bad:
        raise ConfigError(f"{owner}: '{bad[0]}' is not a language code")
    return languages
