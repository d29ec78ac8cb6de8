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
