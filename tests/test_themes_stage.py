"""The themes stage on tiny synthetic data: multi-theme items, stable ids, overrides, tiny inputs.

Uses a bag-of-words fake encoder (tests/themes_fixtures.py) and no spaCy,
so no model is loaded.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from themes_fixtures import add_items, calls, fake_encode, topic_items, topic_sentences

from voc.config import default_config
from voc.config.themes import ThemeOverrides
from voc.themes.stage import update_themes


@pytest.fixture
def cfg(tmp_path):
    c = default_config(tmp_path)
    c.themes.min_cluster_size = 5
    c.themes.label_noun_chunks = False
    return c


def _theme_of(store, topic: str, prefix: str = "a") -> pd.Series:
    """Theme id per mention of one topic's items."""
    return store.query(
        "SELECT m.theme_id FROM mentions m JOIN items i ON i.id = m.item_id WHERE i.external_id LIKE ?",
        [f"{prefix}-{topic}-%"],
    )["theme_id"]


def _majority(store, topic: str, prefix: str = "a") -> str:
    return _theme_of(store, topic, prefix).mode().iloc[0]


def test_fit_finds_the_topics_and_writes_every_table(mem_store, cfg) -> None:
    add_items(mem_store, topic_items("a"))
    out = update_themes(mem_store, cfg, encode_fn=fake_encode, progress=False)
    assert out["mode"] == "fit"
    assert out["unassigned_share"] <= 0.10
    majors = {t: _majority(mem_store, t) for t in ("refund", "delivery", "login", "staff")}
    assert len(set(majors.values())) == 4, majors  # four topics never share a theme
    for topic, tid in majors.items():
        assert (_theme_of(mem_store, topic) == tid).mean() >= 0.4
    themes = mem_store.query("SELECT * FROM themes WHERE status != 'retired'")
    assert out["themes"] == len(themes) >= 4
    for col in ("theme_id", "label", "keywords", "group_id", "group_label", "size", "share_negative",
                "first_seen", "last_seen", "status", "is_new", "centroid", "pinned", "created_at"):  # fmt: skip
        assert col in themes.columns
    assert themes["theme_id"].str.match(r"^T\d{4}$").all()
    assert (themes["label"].str.split().str.len().between(2, 5)).all(), themes["label"].tolist()
    assert themes["group_id"].nunique() <= cfg.themes.max_groups
    assert (
        themes["size"].sum() == (mem_store.query("SELECT * FROM mentions")["theme_id"] != "unassigned").sum()
    )
    weekly = mem_store.query("SELECT * FROM theme_weekly")
    assert weekly["mentions"].sum() == len(mem_store.query("SELECT * FROM mentions"))
    assert pd.to_datetime(weekly["week"]).dt.weekday.eq(0).all()  # ISO weeks start on Monday
    assert len(mem_store.query("SELECT * FROM item_themes")) == mem_store.count_items()


def test_an_item_raising_two_things_gets_both_themes_and_the_complaint_is_primary(mem_store, cfg) -> None:
    items = topic_items("a")
    praise, complaint = "The support agent was very friendly really.", "My refund has not arrived sadly."
    items += [("multi-1", [praise, complaint]), ("multi-2", [complaint, praise])]
    ids = add_items(mem_store, items)
    multi = ids[-2:]
    sent = mem_store.query("SELECT item_id, sent_idx, text FROM sentences")
    sent["label"] = np.where(sent["text"].str.contains("refund"), "negative", "positive")
    sent["score"] = np.where(sent["label"] == "negative", -0.8, 0.8)
    mem_store.write_frame("sentence_sentiment", sent[["item_id", "sent_idx", "label", "score"]])
    update_themes(mem_store, cfg, encode_fn=fake_encode, progress=False)
    it = mem_store.query("SELECT * FROM item_themes").set_index("item_id")
    refund_theme, staff_theme = _majority(mem_store, "refund"), _majority(mem_store, "staff")
    for item_id in multi:
        tids = json.loads(it.loc[item_id, "theme_ids"])
        assert len(tids) == 2 and set(tids) == {refund_theme, staff_theme}
        assert it.loc[item_id, "theme_id"] == refund_theme  # the complaint wins whatever its position
    themes = mem_store.query("SELECT theme_id, share_negative FROM themes").set_index("theme_id")
    got = mem_store.query(
        "SELECT m.theme_id, s.text FROM mentions m JOIN sentences s USING (item_id, sent_idx)"
    )
    want = got.assign(neg=got["text"].str.contains("refund")).groupby("theme_id")["neg"].mean()
    for tid in (refund_theme, staff_theme):
        assert themes.loc[tid, "share_negative"] == pytest.approx(want[tid])
    assert themes.loc[refund_theme, "share_negative"] > 0.7 > themes.loc[staff_theme, "share_negative"]


def test_an_incremental_week_keeps_every_theme_id_and_the_cache_encodes_only_new_text(mem_store, cfg) -> None:
    add_items(mem_store, topic_items("a"))
    update_themes(mem_store, cfg, encode_fn=fake_encode, progress=False)
    before = mem_store.query("SELECT theme_id, label FROM themes WHERE status != 'retired' ORDER BY theme_id")
    old_mentions = mem_store.query("SELECT item_id, sent_idx, theme_id FROM mentions")
    week2 = [(f"b-{k}", [f"{s[:-1]} this week."]) for k, s in enumerate(topic_sentences("refund", 10))]
    week2 += [(f"b-x{k}", [f"{s[:-1]} this week."]) for k, s in enumerate(topic_sentences("login", 10))]
    add_items(mem_store, week2, start=datetime(2026, 3, 9, 9, tzinfo=UTC))
    calls.clear()
    out = update_themes(mem_store, cfg, refit=False, encode_fn=fake_encode, progress=False)
    assert out["mode"] == "incremental" and out["new_themes"] == []
    assert sum(calls) == len(week2)  # only the new sentences were encoded
    after = mem_store.query("SELECT theme_id, label FROM themes WHERE status != 'retired' ORDER BY theme_id")
    pd.testing.assert_frame_equal(before, after)
    merged = old_mentions.merge(mem_store.query("SELECT item_id, sent_idx, theme_id FROM mentions"),
                                on=["item_id", "sent_idx"], suffixes=("_old", "_new"))  # fmt: skip
    assert (merged["theme_id_old"] == merged["theme_id_new"]).all()
    new = mem_store.query("SELECT m.theme_id FROM mentions m JOIN items i ON i.id = m.item_id "
                          "WHERE i.external_id LIKE 'b-%' AND i.external_id NOT LIKE 'b-x%'")  # fmt: skip
    assert (new["theme_id"] == _majority(mem_store, "refund")).mean() >= 0.8
    weeks = mem_store.query("SELECT DISTINCT week FROM theme_weekly")
    assert len(weeks) == 2


def test_a_refit_matches_themes_to_the_registry_and_marks_only_new_ones_new(mem_store, cfg) -> None:
    three = [it for it in topic_items("a") if "-staff-" not in it[0]]
    add_items(mem_store, three)
    update_themes(mem_store, cfg, encode_fn=fake_encode, progress=False)
    ids = {t: _majority(mem_store, t) for t in ("refund", "delivery", "login")}
    add_items(mem_store, [it for it in topic_items("a") if "-staff-" in it[0]],
              start=datetime(2026, 3, 9, 9, tzinfo=UTC))  # fmt: skip
    out = update_themes(mem_store, cfg, refit=True, encode_fn=fake_encode, progress=False)
    assert out["mode"] == "fit"
    assert {t: _majority(mem_store, t) for t in ids} == ids
    staff = _majority(mem_store, "staff")
    assert staff not in ids.values() and staff in out["new_themes"]
    themes = mem_store.query("SELECT theme_id, is_new, status FROM themes").set_index("theme_id")
    assert bool(themes.loc[staff, "is_new"]) and themes.loc[staff, "status"] == "new"
    assert not themes.loc[list(ids.values()), "is_new"].any()


def test_refit_is_due_after_refit_every_days(mem_store, cfg) -> None:
    add_items(mem_store, topic_items("a"))
    assert update_themes(mem_store, cfg, encode_fn=fake_encode, progress=False)["mode"] == "fit"
    assert update_themes(mem_store, cfg, encode_fn=fake_encode, progress=False)["mode"] == "incremental"
    old = datetime.now(UTC) - timedelta(days=cfg.themes.refit_every_days + 1)
    mem_store.execute("UPDATE theme_fits SET fitted_at = ?", [old])
    assert update_themes(mem_store, cfg, encode_fn=fake_encode, progress=False)["mode"] == "fit"


def test_user_edits_survive_a_refit(mem_store, cfg) -> None:
    add_items(mem_store, topic_items("a"))
    update_themes(mem_store, cfg, encode_fn=fake_encode, progress=False)
    refund, delivery, login = (_majority(mem_store, t) for t in ("refund", "delivery", "login"))
    staff = _majority(mem_store, "staff")
    cfg.themes.overrides = ThemeOverrides(
        rename={refund: "Refund delays"}, merge=[[delivery, login]], pin=[staff], split={}
    )
    for refit in (False, True, True):
        out = update_themes(mem_store, cfg, refit=refit, encode_fn=fake_encode, progress=False)
        themes = mem_store.query("SELECT * FROM themes").set_index("theme_id")
        assert themes.loc[refund, "label"] == "Refund delays"
        assert _majority(mem_store, "refund") == refund
        assert _majority(mem_store, "delivery") == delivery and _majority(mem_store, "login") == delivery
        assert themes.loc[login, "status"] == "retired" and themes.loc[login, "merged_into"] == delivery
        assert bool(themes.loc[staff, "pinned"])
        assert not any("unknown" in n for n in out["override_notes"])
        it = mem_store.query("SELECT theme_id, theme_label FROM item_themes").drop_duplicates()
        assert "Refund delays" in set(it["theme_label"])


def test_a_split_theme_is_cut_again_into_the_same_children_after_a_refit(mem_store, cfg) -> None:
    add_items(mem_store, topic_items("a"))
    update_themes(mem_store, cfg, encode_fn=fake_encode, progress=False)
    staff = _majority(mem_store, "staff")
    cfg.themes.overrides = ThemeOverrides(split={staff: 2})
    update_themes(mem_store, cfg, refit=False, encode_fn=fake_encode, progress=False)
    first = mem_store.query("SELECT item_id, sent_idx, theme_id FROM mentions")
    children = sorted(set(first["theme_id"]) - {"unassigned"} - set(
        mem_store.query("SELECT theme_id FROM themes WHERE parent_id IS NULL")["theme_id"]))  # fmt: skip
    assert len(children) == 2
    update_themes(mem_store, cfg, refit=True, encode_fn=fake_encode, progress=False)
    second = mem_store.query("SELECT item_id, sent_idx, theme_id FROM mentions")
    m = first.merge(second, on=["item_id", "sent_idx"], suffixes=("_a", "_b"))
    in_children = m["theme_id_a"].isin(children)
    assert (m.loc[in_children, "theme_id_a"] == m.loc[in_children, "theme_id_b"]).mean() >= 0.9
    themes = mem_store.query("SELECT * FROM themes").set_index("theme_id")
    assert themes.loc[staff, "status"] == "retired"
    assert (themes.loc[children, "parent_id"] == staff).all()


def test_unknown_ids_in_edits_are_reported_not_fatal(mem_store, cfg) -> None:
    add_items(mem_store, topic_items("a"))
    cfg.themes.overrides = ThemeOverrides(rename={"T9999": "Nope"}, merge=[["T9998", "T9997"]])
    out = update_themes(mem_store, cfg, encode_fn=fake_encode, progress=False)
    assert any("T9999" in n for n in out["override_notes"])
    assert any("T9998" in n for n in out["override_notes"])


@pytest.mark.parametrize("n_items", [0, 1, 3])
def test_tiny_inputs_give_a_clear_result_not_a_crash(mem_store, cfg, n_items) -> None:
    add_items(mem_store, topic_items("a")[:n_items]) if n_items else None
    out = update_themes(mem_store, cfg, encode_fn=fake_encode, progress=False)
    assert out["themes"] == 0 and out["mentions"] == n_items
    if n_items:
        assert "fewer than" in out["note"]
        it = mem_store.query("SELECT * FROM item_themes")
        assert (it["theme_id"] == "unassigned").all() and len(it) == n_items
    # A second run on the same tiny input is just as calm.
    assert update_themes(mem_store, cfg, encode_fn=fake_encode, progress=False)["themes"] == 0


def test_greetings_fragments_and_non_english_mentions_stay_unassigned(mem_store, cfg) -> None:
    items = topic_items("a")
    items += [("junk-1", ["Thanks!", "[PHONE]"]), ("junk-2", ["Hi there,"])]
    add_items(mem_store, items)
    es = mem_store.query("SELECT id FROM items WHERE external_id = 'a-refund-0'")["id"].iloc[0]
    mem_store.execute("UPDATE items SET language = 'es' WHERE id = ?", [es])
    out = update_themes(mem_store, cfg, encode_fn=fake_encode, progress=False)
    m = mem_store.query(
        "SELECT m.theme_id, s.text, m.item_id FROM mentions m JOIN sentences s USING (item_id, sent_idx)"
    )
    junk = m[m["text"].isin(["Thanks!", "[PHONE]", "Hi there,"]) | (m["item_id"] == es)]
    assert len(junk) == 4 and (junk["theme_id"] == "unassigned").all()
    assert out["skipped_mentions"] == 4 and out["mentions"] == len(m)
    it = mem_store.query("SELECT * FROM item_themes WHERE item_id LIKE '%junk%'")
    assert (it["theme_id"] == "unassigned").all() and (it["theme_ids"] == "[]").all()


def test_cli_lists_and_shows_themes(tmp_path) -> None:
    from typer.testing import CliRunner

    from voc.cli.app import app
    from voc.config import load_config
    from voc.store import open_store

    conf = tmp_path / "voc.toml"
    conf.write_text('[store]\npath = "t.duckdb"\n[themes]\nmin_cluster_size = 5\nlabel_noun_chunks = false\n')
    cfg = load_config(conf)
    with open_store(cfg) as store:
        add_items(store, topic_items("a"))
        update_themes(store, cfg, encode_fn=fake_encode, progress=False)
        first = store.query("SELECT theme_id, label FROM themes ORDER BY size DESC").iloc[0]
    runner = CliRunner()
    out = runner.invoke(app, ["themes", "list", "-c", str(conf)])
    assert out.exit_code == 0, out.output
    assert first["theme_id"] in out.output
    shown = runner.invoke(app, ["themes", "show", first["theme_id"], "-c", str(conf)])
    assert shown.exit_code == 0 and first["label"] in shown.output and "mentions in" in shown.output
    missing = runner.invoke(app, ["themes", "show", "T9999", "-c", str(conf)])
    assert missing.exit_code == 1 and "no theme" in missing.output


def _tables(store) -> dict[str, pd.DataFrame]:
    return {
        "mentions": store.query("SELECT item_id, sent_idx, theme_id FROM mentions ORDER BY ALL"),
        "weekly": store.query("SELECT * FROM theme_weekly ORDER BY ALL"),
        "themes": store.query(
            "SELECT theme_id, label, status, size, share_negative, first_seen, last_seen, group_id "
            "FROM themes ORDER BY theme_id"
        ),
        "item_themes": store.query("SELECT item_id, theme_ids FROM item_themes ORDER BY item_id"),
    }


def _label_sentiment(store) -> None:
    """Refund sentences negative, the other first sentences positive; items neutral (the fallback)."""
    s = store.query("SELECT item_id, sent_idx, text FROM sentences WHERE sent_idx = 0")
    s["label"] = np.where(s["text"].str.contains("refund"), "negative", "positive")
    store.write_frame("sentence_sentiment", s[["item_id", "sent_idx", "label"]], key=["item_id", "sent_idx"])
    items = s[["item_id"]].drop_duplicates().assign(label="neutral")
    store.write_frame("item_sentiment", items, key=["item_id"])


def test_the_append_only_week_writes_what_the_full_incremental_pass_writes(tmp_path, cfg) -> None:
    from voc.store import DuckDBStore

    week2 = [
        (f"b-{k}", [f"{s[:-1]} this week.", "Thanks!"]) for k, s in enumerate(topic_sentences("refund", 8))
    ]
    week2 += [(f"b-x{k}", [f"{s[:-1]} again."]) for k, s in enumerate(topic_sentences("staff", 6))]
    week2 += [("b-empty", ["  "])]
    got = {}
    for way in ("append", "full"):
        with DuckDBStore(tmp_path / f"{way}.duckdb") as store:
            add_items(store, topic_items("a"))
            _label_sentiment(store)
            update_themes(store, cfg, encode_fn=fake_encode, progress=False)
            add_items(store, week2, start=datetime(2026, 3, 9, 9, tzinfo=UTC))
            _label_sentiment(store)
            if way == "full":  # as if the edits had changed: every mention is read and rewritten
                store.set_watermark("themes", "edits", "changed")
            out = update_themes(store, cfg, refit=False, encode_fn=fake_encode, progress=False)
            assert out["mode"] == "incremental"
            got[way] = _tables(store), out
    (a, out_a), (f, out_f) = got["append"], got["full"]
    assert out_a["new_mentions"] == 8 * 2 + 6  # refund items have two sentences, staff items one, "  " none
    assert out_a["mentions"] == out_f["mentions"] and out_a["items"] == out_f["items"]
    for name in ("mentions", "weekly", "item_themes"):
        pd.testing.assert_frame_equal(a[name], f[name], check_dtype=False, obj=name)
    # Share negative and dates are counted the same way; sizes too (known mentions never move).
    pd.testing.assert_frame_equal(a["themes"], f["themes"], check_dtype=False)
    share = a["themes"].set_index("theme_id")["share_negative"]
    assert share.notna().all() and share.between(0, 1).all() and (share > 0.5).any() and (share < 0.5).any()
    assert len(a["item_themes"]) == len(topic_items("a")) + len(week2)


def test_an_append_only_week_drops_the_mentions_of_sentences_that_are_gone(mem_store, cfg) -> None:
    add_items(mem_store, topic_items("a"))
    update_themes(mem_store, cfg, encode_fn=fake_encode, progress=False)
    item = mem_store.query("SELECT item_id FROM mentions WHERE theme_id != 'unassigned' LIMIT 1")[
        "item_id"
    ].iloc[0]
    # The item's text was updated upstream and re-split: only its first sentence is left.
    mem_store.execute("DELETE FROM sentences WHERE item_id = ? AND sent_idx > 0", [item])
    mem_store.execute("UPDATE sentences SET text = 'My refund has not arrived after two weeks.' "
                      "WHERE item_id = ? AND sent_idx = 0", [item])  # fmt: skip
    size_before = mem_store.query("SELECT sum(size) AS n FROM themes")["n"].iloc[0]
    update_themes(mem_store, cfg, refit=False, encode_fn=fake_encode, progress=False)
    left = mem_store.query("SELECT sent_idx FROM mentions WHERE item_id = ?", [item])
    assert left["sent_idx"].tolist() == [0]
    total = mem_store.query("SELECT count(*) AS n FROM mentions WHERE theme_id != 'unassigned'")["n"].iloc[0]
    assert mem_store.query("SELECT sum(size) AS n FROM themes")["n"].iloc[0] == total <= size_before
    ids = json.loads(
        mem_store.query("SELECT theme_ids FROM item_themes WHERE item_id = ?", [item])["theme_ids"].iloc[0]
    )
    assert len(ids) <= 1


def test_a_file_of_only_greetings_and_sign_offs_has_no_theme_and_no_backlog(mem_store, cfg, tmp_path) -> None:
    from voc.rank.periods import week_window
    from voc.rank.stage import build_backlog

    framing = ["Hi team,", "Good morning,", "Best regards,", "Thanks in advance,", "Sorry to bother you again.",
               "Looking forward to your reply,", "Dear Support,", "Kind regards,", "I hope you can help.",
               "To whom it may concern,"]  # fmt: skip
    add_items(mem_store, [(f"b-{k}", [framing[k % 10], framing[(k + 3) % 10]]) for k in range(60)])
    out = update_themes(mem_store, cfg, encode_fn=fake_encode, progress=False)
    assert out["themes"] == 0 and out["skipped_mentions"] == 120
    assert (mem_store.query("SELECT theme_id FROM mentions")["theme_id"] == "unassigned").all()
    backlog = build_backlog(mem_store, cfg, tmp_path, window=week_window("2026-W10", 4))
    assert backlog.entries == [] and backlog.values == []


def test_a_theme_gets_the_names_of_its_complaints_and_its_praise(mem_store, cfg) -> None:
    items = topic_items("a")
    ids = add_items(mem_store, items)
    # Mention labels: the refund topic's mentions are complaints, the staff topic's praise.
    labels = ["negative" if key.startswith("a-refund") else "positive" for key, _ in items]
    mem_store.write_frame(
        "sentence_sentiment",
        pd.DataFrame({"item_id": ids, "sent_idx": 0, "label": labels, "score": 0.0}),
    )
    update_themes(mem_store, cfg, encode_fn=fake_encode, progress=False)
    reg = mem_store.query("SELECT * FROM themes WHERE status != 'retired'").set_index("theme_id")
    refund = _majority(mem_store, "refund")
    assert isinstance(reg.at[refund, "problem_label"], str) and reg.at[refund, "problem_label"]
    assert reg.at[refund, "praise_label"] is None or pd.isna(reg.at[refund, "praise_label"])
    staff = _majority(mem_store, "staff")
    assert isinstance(reg.at[staff, "praise_label"], str) and reg.at[staff, "praise_label"]
    assert reg["opinion_share"].between(0, 1).all()


def test_problems_are_found_among_the_complaints_and_keep_their_ids(mem_store, cfg, tmp_path) -> None:
    from voc.rank.periods import week_window
    from voc.rank.stage import build_backlog

    items = topic_items("a")
    ids = add_items(mem_store, items)
    complaint = {"refund", "delivery", "login"}
    labels = ["negative" if key.split("-")[1] in complaint else "positive" for key, _ in items]
    mem_store.write_frame("sentence_sentiment", pd.DataFrame({"item_id": ids, "sent_idx": 0, "label": labels,
                                                             "score": 0.0}))  # fmt: skip
    out = update_themes(mem_store, cfg, encode_fn=fake_encode, progress=False)
    assert out["problems"]["mode"] == "fit" and out["problems"]["problems"] >= 3
    probs = mem_store.query("SELECT * FROM problems WHERE status <> 'retired'")
    assert probs["problem_id"].str.match(r"^P\d{4}$").all() and probs["label"].notna().all()
    pm = mem_store.query(
        "SELECT p.problem_id, i.external_id FROM problem_mentions p JOIN items i ON i.id = p.item_id"
    )
    topic = pm["external_id"].str.split("-").str[1]
    assert set(topic) == complaint  # praise never enters a problem
    # A problem never mixes different complaints (a topic may still split into finer problems).
    assigned = pm["problem_id"] != "unassigned"
    purity = (
        pm[assigned]
        .assign(topic=topic[assigned])
        .groupby("problem_id")["topic"]
        .agg(lambda s: s.value_counts(normalize=True).iloc[0])
    )
    assert (purity >= 0.8).all(), purity
    # The aspect theme of each problem is the theme most of its complaints sit in.
    both = mem_store.query(
        "SELECT p.problem_id, m.theme_id FROM problem_mentions p JOIN mentions m USING (item_id, sent_idx) "
        "WHERE p.problem_id <> 'unassigned' AND m.theme_id <> 'unassigned'"
    )
    major = both.groupby("problem_id")["theme_id"].agg(lambda s: s.mode().iloc[0])
    assert probs.set_index("problem_id")["theme_id"].reindex(major.index).tolist() == major.tolist()
    backlog = build_backlog(mem_store, cfg, tmp_path, window=week_window("2026-W10", 4))
    assert backlog.entries and all(e.theme_id.startswith("P") for e in backlog.entries)
    assert {e.group_label for e in backlog.entries} <= set(
        mem_store.query("SELECT label FROM themes")["label"]
    )
    # A new week: new complaints join the problems they resemble; the ids stay.
    more = topic_items("b", n_per_topic=5)
    more_ids = add_items(mem_store, more, start=datetime(2026, 3, 20, 9, tzinfo=UTC))
    more_labels = ["negative" if key.split("-")[1] in complaint else "positive" for key, _ in more]
    mem_store.write_frame("sentence_sentiment", pd.DataFrame({"item_id": more_ids, "sent_idx": 0,
                                                             "label": more_labels, "score": 0.0}))  # fmt: skip
    again = update_themes(mem_store, cfg, encode_fn=fake_encode, progress=False)
    assert again["problems"]["mode"] == "incremental"
    after = mem_store.query("SELECT problem_id FROM problems WHERE status <> 'retired'")
    assert set(after["problem_id"]) == set(probs["problem_id"])
