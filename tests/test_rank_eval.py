"""The airline backlog check's matching logic, on made-up ids and reasons (no shared data needed)."""

from __future__ import annotations

import pandas as pd

from voc.eval.backlog import match_backlog
from voc.rank.backlog import Backlog, BacklogEntry, Verbatim


def entry(rank: int, ids: list[str]) -> BacklogEntry:
    return BacklogEntry(
        rank=rank,
        theme_id=f"t{rank}",
        theme_label=f"theme {rank}",
        status="steady",
        score=10.0 - rank,
        breakdown={"negative_volume": 10.0 - rank},
        volume=len(ids),
        period="all",
        verbatims=[Verbatim(item_id=f"f:{ids[0]}", text="x")],
        example_ids=[f"f:{i}" for i in ids],
    )


def test_plurality_reason_per_entry_and_top_reason_coverage():
    tweets = pd.DataFrame(
        {
            "tweet_id": [str(i) for i in range(12)],
            "negativereason": ["Late Flight"] * 4
            + ["Lost Luggage"] * 3
            + ["Can't Tell"] * 3
            + [None, "Bad Flight"],
        }
    )
    backlog = Backlog(
        period="all",
        entries=[entry(1, ["0", "1", "4"]), entry(2, ["7", "8", "9", "5"]), entry(3, ["10"])],
    )
    res = match_backlog(backlog, tweets, top_entries=8, top_reasons=3)
    assert res.top_reasons == [("Late Flight", 4), ("Lost Luggage", 3), ("Bad Flight", 1)]
    assert [m.matched for m in res.entries] == ["Late Flight", "Lost Luggage", None]
    assert (
        res.found == ["Late Flight", "Lost Luggage"] and res.missing == ["Bad Flight"] and res.score == "2/3"
    )


def test_planted_theme_is_the_majority_first_planted_theme_of_a_themes_items():
    from voc.eval.backlog import planted_theme_of

    ti = pd.DataFrame({"item_id": ["a", "b", "c", "d"], "theme_id": ["t1", "t1", "t1", "t2"]})
    truth = pd.DataFrame(
        {"item_id": ["a", "b", "c", "d", None], "themes": [["x"], ["x", "y"], ["y"], [""], ["x"]]}
    )
    assert planted_theme_of(ti, truth) == {"t1": "x"}


def test_demo_theme_score_uses_single_theme_items_and_counts_the_unthemed():
    import pandas as pd

    from voc.eval.demo_themes import score_demo_themes

    truth = pd.DataFrame(
        {
            "item_id": ["a", "b", "c", "d", "e", "f", None],
            "themes": [["x"], ["x"], ["y"], ["y"], ["x", "y"], ["y"], ["x"]],
        }
    )
    item_themes = pd.DataFrame(
        {
            "item_id": ["a", "b", "c", "d", "e", "f"],
            "theme_id": ["T1", "T1", "T2", "T1", "T2", "unassigned"],
            "theme_label": ["One", "One", "Two", "One", "Two", "Unassigned"],
        }
    )
    res = score_demo_themes(item_themes, truth)
    # e has two planted themes and the last truth row no stored item: neither is scored.
    assert (res.items, res.unthemed, res.planted, res.themes) == (4, 1, 2, 2)
    t1 = next(r for r in res.recovery if r.theme_id == "T1")
    assert (t1.items, t1.planted, round(t1.purity, 3)) == (3, "x", 0.667)
    assert res.majority_accuracy == 0.75  # d sits under T1, whose majority is x
    assert 0 < res.nmi < 1 and res.ari < 1


def test_demo_theme_score_of_a_store_with_no_themes_is_zero_not_an_error():
    import pandas as pd

    from voc.eval.demo_themes import score_demo_themes

    truth = pd.DataFrame({"item_id": ["a"], "themes": [["x"]]})
    empty = pd.DataFrame(columns=["item_id", "theme_id", "theme_label"])
    res = score_demo_themes(empty, truth)
    assert (res.items, res.unthemed, res.themes) == (0, 1, 0)
