"""The report reads backlog entries leniently (BacklogEntryView); its fields must stay a subset of the backlog's."""

from __future__ import annotations

from voc.rank.backlog import BacklogEntry, Verbatim
from voc.report.models import BacklogEntryView, BacklogVerbatim


def test_report_view_fields_exist_on_the_backlog_entry() -> None:
    # A field renamed in voc.rank but not here would silently show as empty in the report.
    assert set(BacklogEntryView.model_fields) <= set(BacklogEntry.model_fields)
    assert set(BacklogVerbatim.model_fields) <= set(Verbatim.model_fields)


def test_a_backlog_entry_round_trips_into_the_view() -> None:
    e = BacklogEntry(
        rank=2, theme_id="t9", theme_label="Refund delays", status="rising", score=41.5,
        breakdown={"volume": 20.0}, volume=30, period="2026-W46", growth=2.5, growth_p=0.01,
        verbatims=[Verbatim(item_id="i1", text="refund still not here", sentiment=-0.8)],
    )  # fmt: skip
    view = BacklogEntryView.model_validate(e.model_dump())
    shared = set(BacklogEntryView.model_fields) - {"verbatims"}
    assert {k: getattr(view, k) for k in shared} == {k: getattr(e, k) for k in shared}
    assert view.verbatims[0].text == "refund still not here" and view.verbatims[0].sentiment == -0.8
