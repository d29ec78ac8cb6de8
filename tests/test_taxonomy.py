"""Taxonomy loading and zero-shot mapping, with a bag-of-words stand-in for the encoder."""

from __future__ import annotations

import re
import zlib

import numpy as np
import pytest

from voc.config import config_from_dict, default_config
from voc.errors import ConfigError
from voc.taxonomy.mapping import MappingParams, build_index, decide, map_texts, score
from voc.taxonomy.taxonomies import (
    UNMAPPED,
    load_framework,
    load_stages,
    parse_taxonomy,
    shipped_frameworks,
)


def bow_encode(texts: list[str]) -> np.ndarray:
    """Hashed bag of words, L2-normalised: similar words -> similar vectors, no model needed."""
    out = np.zeros((len(texts), 256), dtype=np.float32)
    for i, t in enumerate(texts):
        for w in re.findall(r"[a-z]+", t.lower()):
            if len(w) > 2:
                out[i, zlib.crc32(w.encode()) % 256] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1, norms)


TINY = """
name = "tiny"
[[entry]]
name = "billing"
description = "invoices refunds charges"
examples = ["where is my refund", "charged twice on my invoice"]
keywords = ["refund"]
[[entry]]
name = "delivery"
description = "parcel shipping delivery tracking"
examples = ["my parcel has not arrived", "tracking number does not work"]
keywords = ["parcel", "tracking"]
"""


def test_shipped_taxonomies_load_and_have_examples():
    cfg = default_config()
    stages = load_stages(cfg)
    assert "product_use" in stages.names and len(stages.names) == 8
    assert set(shipped_frameworks()) >= {"five_pillars", "six_pillars", "four_level", "four_area"}
    for name in shipped_frameworks():
        fw = load_framework(cfg, name)
        assert all(e.description and len(e.examples) >= 2 for e in fw.entries), name
    levels = {e.level for e in load_framework(cfg, "four_level").entries}
    assert {"customer", "strategy", "experience management", "organisation management"} <= levels


def test_user_framework_file_and_bad_names(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(TINY)
    cfg = config_from_dict({"taxonomy": {"framework": str(path), "stages_file": str(path)}})
    assert load_framework(cfg).names == ["billing", "delivery"]
    assert load_stages(cfg).name == "tiny"
    with pytest.raises(ConfigError, match="unknown CX framework 'nope'"):
        load_framework(cfg, "nope")
    with pytest.raises(ConfigError, match="E111"):
        parse_taxonomy(TINY.replace('name = "delivery"', 'name = "billing"'), "dupes.toml")
    with pytest.raises(ConfigError, match="reserved"):
        parse_taxonomy(TINY.replace('name = "delivery"', f'name = "{UNMAPPED}"'), "reserved.toml")


def test_override_needs_a_match_and_a_target():
    with pytest.raises(ConfigError, match="needs theme_id or label_pattern"):
        config_from_dict({"taxonomy": {"overrides": [{"pillar": "x"}]}})


def test_mapping_picks_entry_with_evidence_and_unmaps_unrelated_text():
    index = build_index(parse_taxonomy(TINY, "tiny"), bow_encode)
    params = MappingParams(min_similarity=0.2)
    texts = ["still waiting for my refund", "the parcel never arrived", "lovely weather today"]
    out = map_texts(texts, index, params, bow_encode)
    assert out["label"].tolist() == ["billing", "delivery", UNMAPPED]
    assert "keywords: refund" in out.loc[0, "evidence"]
    assert "example 'where is my refund'" in out.loc[0, "evidence"]
    assert out.loc[2, "evidence"].startswith("best ")
    assert ((out["confidence"] > 0) & (out["confidence"] <= 1)).all()


def test_keyword_hint_breaks_a_tie_and_matches_plurals():
    index = build_index(parse_taxonomy(TINY, "tiny"), bow_encode)
    vec = np.zeros((1, 256), dtype=np.float32)  # no embedding signal at all
    s = score(vec, ["two parcels lost"], index, MappingParams(min_similarity=0.05))
    assert s.keywords[0][1] == ["parcel"]
    assert decide(s, index, 0.05)["label"].tolist() == ["delivery"]


def test_empty_input_maps_to_empty_frame():
    index = build_index(parse_taxonomy(TINY, "tiny"), bow_encode)
    out = map_texts([], index, MappingParams(), bow_encode)
    assert list(out.columns) == ["label", "score", "confidence", "evidence"] and out.empty


def test_keyword_hits_find_what_each_keyword_pattern_finds() -> None:
    from voc.taxonomy.mapping import keyword_hits
    from voc.taxonomy.taxonomies import Taxonomy

    tax = Taxonomy.model_validate(
        {"name": "t", "entry": [
            {"name": "billing", "description": "d", "keywords": ["refund", "credit card", "e-mail", "charge"]},
            {"name": "renewal", "description": "d", "keywords": ["cancel", "auto renew", "refund"]},
        ]}
    )  # fmt: skip
    index = build_index(tax, lambda xs: np.zeros((len(xs), 4), np.float32))
    texts = [
        "I CANCELLED and want my Refunds", "credit  card charged twice", "my credit is fine, card too",
        "no e-mail came", "email me", "cancellation", "auto renewed again", "", "refund refund", "recharge",
    ]  # fmt: skip
    expected = [[[k for k, p in entry if p.search(t)] for entry in index.keyword_patterns] for t in texts]
    got = keyword_hits(texts, index)
    assert got == expected
    assert got[0] == [["refund"], ["cancel", "refund"]] and got[1][0] == ["credit card", "charge"]
    assert got[2] == [[], []] and got[3][0] == ["e-mail"] and got[5] == [[], []] and got[9] == [[], []]
