"""The themes core on frames alone: no store, a registry diff out."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
from themes_fixtures import fake_encode, topic_items

from voc.config.themes import ThemesConfig
from voc.themes.core import assign_new, update_registry
from voc.themes.frames import REGISTRY_COLUMNS
from voc.themes.registry import UNASSIGNED

NOW = datetime(2026, 4, 6, tzinfo=UTC)


def _mentions(prefix: str, n: int = 30) -> pd.DataFrame:
    rows = [(f"{prefix}{key}", 0, sents[0]) for key, sents in topic_items("a", n)]
    df = pd.DataFrame(rows, columns=["item_id", "sent_idx", "text"])
    return df.assign(created_at=NOW, language="en", kind="review")


def test_a_first_fit_returns_new_themes_and_no_store_is_needed() -> None:
    cfg = ThemesConfig(min_cluster_size=5, label_noun_chunks=False)
    mentions = _mentions("x")
    emb = fake_encode(mentions["text"].tolist())
    empty = pd.DataFrame(columns=REGISTRY_COLUMNS)
    up = update_registry(mentions, emb, empty, cfg, fit=True, known=None,
                         polarity=np.full(len(mentions), None, dtype=object), now=NOW)  # fmt: skip
    assert len(up.theme_of) == len(mentions) and (up.theme_of != UNASSIGNED).mean() > 0.9
    assert up.diff.new == sorted(up.diff.new) and len(up.diff.new) >= 4
    assert up.diff.matched == []
    assert all(before is None for before, _ in up.diff.status.values())
    assert up.fit_info is not None and up.fit_info["new"] == len(up.diff.new)

    # A refit on the same mentions keeps every id: all matched, none new.
    again = update_registry(mentions, emb, up.registry, cfg, fit=True, known=None,
                            polarity=np.full(len(mentions), None, dtype=object), now=NOW)  # fmt: skip
    assert again.diff.new == [] and set(again.diff.matched) == set(up.diff.new)
    assert (again.theme_of == up.theme_of).all()


def test_the_weekly_path_settles_new_themes_and_assigns_only_the_new_mentions() -> None:
    cfg = ThemesConfig(min_cluster_size=5, label_noun_chunks=False)
    mentions = _mentions("x")
    emb = fake_encode(mentions["text"].tolist())
    up = update_registry(mentions, emb, pd.DataFrame(columns=REGISTRY_COLUMNS), cfg, fit=True, known=None,
                         polarity=np.full(len(mentions), None, dtype=object), now=NOW)  # fmt: skip
    reg = up.registry.copy()
    reg.loc[reg.index[0], "status"] = "new"
    new = _mentions("y", 3)
    weekly = assign_new(new, fake_encode(new["text"].tolist()), reg, cfg)
    assert len(weekly.theme_of) == len(new)
    assert weekly.diff.status == {reg["theme_id"].iloc[0]: ("new", "active")}
    assert not weekly.registry["is_new"].any()
