"""Synthetic store tables for the report tests: 12 weeks, a dozen themes, ratings, revenue, an XSS item.

Generated here (never copied from a dataset) with a fixed seed, so tests can
assert on what was planted: a theme that appears in the report week and
surges, one that fades, high-revenue unhappy accounts, and hostile text.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday of 2026-W48: the week just ended is W47
REPORT_WEEK = "2026-W47"
WEEK_START = date(2026, 11, 16)
XSS_TEXT = "Settings vanished <script>alert(1)</script> and <img src=x onerror=alert(1)> after the 5.2 update"
XSS_URL = "javascript:alert(1)"

# theme_id: (label, keywords, stage, pillar, weekly base volume, share negative, text templates)
THEMES: dict[str, tuple[str, list[str], str, str, int, float, list[str]]] = {
    "t01": ("Settings reset after update", ["settings", "reset", "update", "5.2"], "usage", "Product quality", 0, 0.9,
            ["my settings are gone after the 5.2 update, I had to set everything up again",
             "after updating all my preferences were reset to default",
             "the update wiped my notification settings, very annoying"]),
    "t02": ("Login fails with 2FA code", ["login", "2fa", "code", "sign in"], "usage", "Reliability", 30, 0.8,
            ["the 2FA code never arrives so I cannot log in", "login keeps rejecting my verification code",
             "cannot sign in, two factor code expired instantly"]),
    "t03": ("Double charge on invoice", ["charged", "twice", "invoice", "billing"], "billing", "Pricing and billing", 18, 0.85,
            ["I was charged twice for the same month", "invoice shows a duplicate charge, please refund",
             "billing took the payment two times"]),
    "t04": ("Refund takes too long", ["refund", "weeks", "waiting"], "billing", "Customer service", 15, 0.75,
            ["still waiting for my refund after three weeks", "refund promised but never arrived",
             "how long does a refund take, it has been ages"]),
    "t05": ("Friendly and fast support", ["support", "helpful", "fast"], "support", "Customer service", 25, 0.05,
            ["support solved my issue in minutes, thank you", "the agent was friendly and very helpful",
             "great fast answer from your support team"]),
    "t06": ("Dark mode request", ["dark mode", "theme", "night"], "usage", "Features", 10, 0.2,
            ["please add a dark mode", "would love a night theme for the app", "dark mode would be great"]),
    "t07": ("CSV export broken", ["export", "csv", "download"], "usage", "Reliability", 12, 0.8,
            ["csv export produces an empty file", "export to csv fails with an error", "download of the report is broken"]),
    "t08": ("Onboarding tutorial confusing", ["onboarding", "tutorial", "setup"], "onboarding", "Ease of use", 9, 0.6,
            ["the setup tutorial is confusing", "onboarding steps make no sense", "hard to get started, tutorial unclear"]),
    "t09": ("Delivery delayed", ["delivery", "late", "shipping"], "delivery", "Reliability", 14, 0.7,
            ["my delivery is a week late", "shipping takes far too long", "order still not delivered"]),
    "t10": ("Password reset email missing", ["password", "reset email", "inbox"], "onboarding", "Reliability", 8, 0.7,
            ["password reset email never arrives", "no reset link in my inbox", "cannot reset my password"]),
    "t11": ("App crashes on startup", ["crash", "startup", "freeze"], "usage", "Product quality", 28, 0.9,
            ["the app crashes as soon as I open it", "crash on startup every time", "app freezes then closes"]),
    "t12": ("Easy to use interface", ["easy", "interface", "intuitive"], "usage", "Ease of use", 16, 0.05,
            ["really easy to use", "intuitive interface, love it", "clean and simple design"]),
}  # fmt: skip


def _weekly_volume(tid: str, k: int, base: int, rng: np.random.Generator) -> int:
    """k = 0 .. 11, 11 being the report week."""
    if tid == "t01":  # new in the report week and big
        return 41 if k == 11 else 0
    if tid == "t07":  # rising: doubles in the report week
        return 30 if k == 11 else int(rng.poisson(base))
    if tid == "t11":  # fading after a fix
        return 6 if k == 11 else int(rng.poisson(base))
    return int(rng.poisson(base))


def make_tables(seed: int = 7, *, with_revenue: bool = True) -> dict[str, pd.DataFrame]:
    """items, item_sentiment, themes, item_themes, theme_weekly, theme_mapping, quarantine, runs (fresh copies)."""
    return {k: v.copy() for k, v in _make_tables(seed, with_revenue).items()}


@functools.cache
def _make_tables(seed: int, with_revenue: bool) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    weeks = [WEEK_START - timedelta(weeks=11 - k) for k in range(12)]
    customers = [f"acct-{i:03d}" for i in range(40)]
    revenue = {c: float(round(rng.lognormal(10.5, 1.0), -2)) for c in customers}
    segment = {c: ("enterprise" if revenue[c] > 60000 else "smb") for c in customers}
    unhappy = set(sorted(customers, key=lambda c: -revenue[c])[:4])  # the biggest accounts suffer most

    items, sent, it_rows = [], [], []
    n = 0
    for k, wk in enumerate(weeks):
        for tid, (_label, _kw, _st, _pl, base, neg, texts) in THEMES.items():
            for _ in range(_weekly_volume(tid, k, base, rng)):
                n += 1
                kind = ("ticket", "review", "survey")[int(rng.integers(0, 3))]
                cust = (
                    str(rng.choice(sorted(unhappy)))
                    if (neg > 0.5 and rng.random() < 0.25)
                    else str(rng.choice(customers))
                )
                is_neg = rng.random() < neg
                created = datetime.combine(wk, datetime.min.time(), UTC) + timedelta(
                    days=int(rng.integers(0, 7)), hours=int(rng.integers(0, 24))
                )
                rating, scale = None, None
                if kind == "review":
                    rating, scale = (
                        (float(rng.integers(1, 3)) if is_neg else float(rng.integers(4, 6))),
                        "stars",
                    )
                elif kind == "survey":
                    if rng.random() < 0.5:
                        rating, scale = (
                            (float(rng.integers(0, 7)) if is_neg else float(rng.integers(8, 11))),
                            "nps",
                        )
                    else:
                        rating, scale = (
                            (float(rng.integers(1, 3)) if is_neg else float(rng.integers(4, 6))),
                            "csat",
                        )
                items.append({
                    "id": f"it{n:05d}", "source": {"ticket": "zendesk", "review": "appstore", "survey": "nps_survey"}[kind],
                    "kind": kind, "created_at": created, "text": str(rng.choice(texts)),
                    "rating": rating, "rating_scale": scale, "customer_id": cust, "segment": segment[cust],
                    "revenue": revenue[cust] if with_revenue else None,
                    "url": f"https://support.example.com/tickets/{n}",
                })  # fmt: skip
                score = float(-rng.uniform(0.4, 0.95)) if is_neg else float(rng.uniform(-0.1, 0.9))
                label = "negative" if is_neg else ("positive" if score > 0.2 else "neutral")
                sent.append(
                    {
                        "item_id": f"it{n:05d}",
                        "label": label,
                        "score": score,
                        "confidence": 0.9,
                        "mixed": False,
                    }
                )
                it_rows.append({"item_id": f"it{n:05d}", "theme_id": tid, "theme_label": THEMES[tid][0],
                                "theme_ids": json.dumps([tid])})  # fmt: skip
    # Hostile text and a hostile link in the report week, assigned to the new theme.
    for j, (text, url) in enumerate(
        [(XSS_TEXT, XSS_URL), ('"><svg onload=alert(2)> quote " & ampersand', None)]
    ):
        iid = f"xss{j}"
        items.append({
            "id": iid, "source": "zendesk", "kind": "ticket",
            "created_at": datetime.combine(WEEK_START, datetime.min.time(), UTC) + timedelta(days=2, hours=j),
            "text": text, "rating": None, "rating_scale": None, "customer_id": None, "segment": None,
            "revenue": None, "url": url,
        })  # fmt: skip
        sent.append({"item_id": iid, "label": "negative", "score": -0.99, "confidence": 0.99, "mixed": False})
        it_rows.append(
            {
                "item_id": iid,
                "theme_id": "t01",
                "theme_label": THEMES["t01"][0],
                "theme_ids": json.dumps(["t01"]),
            }
        )
    items_df = pd.DataFrame(items)
    items_df["created_at"] = pd.to_datetime(items_df["created_at"], utc=True)
    it_df = pd.DataFrame(it_rows)

    themes_df = pd.DataFrame([
        {"theme_id": tid, "label": v[0], "keywords": json.dumps(v[1]), "group_id": v[3][:3].lower(),
         "group_label": v[3], "size": int((it_df["theme_id"] == tid).sum()), "share_negative": v[5],
         "first_seen": None, "last_seen": None, "status": "active", "is_new": tid == "t01"}
        for tid, v in THEMES.items()
    ])  # fmt: skip
    mapping = pd.DataFrame([
        {"theme_id": tid, "journey_stage": v[2], "stage_confidence": 0.8, "stage_evidence": f"keyword '{v[1][0]}'",
         "pillar": v[3], "pillar_confidence": 0.7, "pillar_evidence": f"keywords {', '.join(v[1][:2])}"}
        for tid, v in THEMES.items()
    ])  # fmt: skip
    joined = it_df.merge(items_df[["id", "created_at"]], left_on="item_id", right_on="id")
    joined["week"] = joined["created_at"].dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time.dt.date
    weekly = joined.groupby(["theme_id", "week"]).size().reset_index(name="items")
    weekly["mentions"] = weekly["items"]
    quarantine = pd.DataFrame([
        {"source": "zendesk", "reason": "missing_text", "detail": "", "quarantined_at": NOW - timedelta(days=5)},
        {"source": "zendesk", "reason": "missing_text", "detail": "", "quarantined_at": NOW - timedelta(days=40)},
        {"source": "appstore", "reason": "bad_date", "detail": "", "quarantined_at": NOW - timedelta(days=6)},
    ])  # fmt: skip
    runs = pd.DataFrame([
        {"run_id": "r1", "job": "ingest", "target": "zendesk", "status": "ok", "started_at": NOW - timedelta(hours=3),
         "finished_at": NOW - timedelta(hours=2), "rows_read": len(items_df), "stored": len(items_df) - 3,
         "quarantined": 3, "error": None},
    ])  # fmt: skip
    return {
        "items": items_df,
        "item_sentiment": pd.DataFrame(sent),
        "themes": themes_df,
        "item_themes": it_df,
        "theme_weekly": weekly,
        "theme_mapping": mapping,
        "quarantine": quarantine,
        "runs": runs,
    }


def make_backlog(tables: dict[str, pd.DataFrame], period: str = REPORT_WEEK) -> dict:
    """A backlog shaped like `voc.rank.backlog.Backlog`, scored crudely from the planted data (test input only)."""
    items, it = tables["items"], tables["item_themes"]
    sent = tables["item_sentiment"].set_index("item_id")
    j = it.merge(items, left_on="item_id", right_on="id")
    j["week"] = j["created_at"].dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time.dt.date
    cur = j[j["week"] == WEEK_START]
    prev = j[j["week"] == WEEK_START - timedelta(weeks=1)]
    entries = []
    for tid, g in cur.groupby("theme_id"):
        vol, pvol = len(g), int((prev["theme_id"] == tid).sum())
        neg = float((sent.loc[g["item_id"], "label"] == "negative").mean())
        growth = (vol - pvol) / max(pvol, 1)
        breakdown = {"volume": vol * 0.5, "negativity": neg * 20, "growth": max(growth, 0) * 5,
                     "revenue": float(g["revenue"].fillna(0).sum()) / 1e5}  # fmt: skip
        status = (
            "new" if pvol == 0 else ("rising" if growth > 1 else ("falling" if growth < -0.5 else "steady"))
        )
        hostile = g[g["item_id"].str.startswith("xss")].sort_values("item_id", ascending=False)
        verb = pd.concat([hostile, g.sort_values("item_id")]).head(3)
        entries.append({
            "rank": 0, "theme_id": tid, "theme_label": THEMES[tid][0], "group_label": THEMES[tid][3],
            "journey_stage": THEMES[tid][2], "pillar": THEMES[tid][3], "status": status,
            "score": sum(breakdown.values()), "breakdown": breakdown, "volume": vol, "prev_volume": pvol,
            "unique_customers": int(g["customer_id"].nunique()), "share_negative": neg, "mean_sentiment": None,
            "growth": growth, "growth_p": 0.01, "nps_impact": None, "csat_impact": None,
            "revenue_at_risk": float(g["revenue"].fillna(0).sum()), "severity": ["data_loss"] if tid == "t01" else [],
            "verbatims": [{"item_id": r.item_id, "text": r.text, "url": r.url if isinstance(r.url, str) else None, "sentiment": -0.8}
                          for r in verb.itertuples()],
            "example_ids": [], "example_urls": [], "first_seen": None, "last_seen": None, "owner": None,
            "period": period,
        })  # fmt: skip
    entries.sort(key=lambda e: -e["score"])
    for i, e in enumerate(entries, 1):
        e["rank"] = i
    alerts = [{"severity": "high", "title": "New theme “Settings reset after update” with 43 items",
               "detail": "first seen this week; 5.2 update <b>suspected</b>", "theme_id": "t01"}]  # fmt: skip
    return {"period": period, "entries": entries, "alerts": alerts}


def make_trends(tables: dict[str, pd.DataFrame], period: str = REPORT_WEEK) -> pd.DataFrame:
    """The `theme_trends` rows the backlog stage stores for these tables: voc.rank's own trend test."""
    from voc.config.ranking import RankingConfig
    from voc.rank.backlog import theme_trends
    from voc.rank.metrics import theme_items
    from voc.rank.periods import period_labels, week_window

    items, it = tables["items"], tables.get("item_themes")
    if it is None or it.empty:
        return pd.DataFrame(columns=["period", "theme_id", "status"])
    mentions = (
        it.assign(theme_id=it["theme_ids"].map(json.loads)).explode("theme_id").dropna(subset=["theme_id"])
    )
    ti = theme_items(items, mentions[["item_id", "theme_id"]], tables.get("item_sentiment"), "week")
    item_periods = pd.DataFrame({"item_id": items["id"], "period": period_labels(items["created_at"], "week"),
                                 "rating": items["rating"], "rating_scale": items["rating_scale"]})  # fmt: skip
    cfg = RankingConfig()
    trends = theme_trends(ti, item_periods, week_window(period, cfg.baseline_periods, "week"), cfg)
    return trends.assign(period=period)


def build_from_tables(t: dict[str, pd.DataFrame], **kw):
    """`build_report_data` over the synthetic tables, at NOW; keyword arguments override."""
    from voc.report.data import build_report_data

    args = dict(
        sentiment=t["item_sentiment"],
        themes=t["themes"],
        item_themes=t["item_themes"],
        theme_weekly=t["theme_weekly"],
        theme_mapping=t["theme_mapping"],
        quarantine=t["quarantine"],
        runs=t["runs"],
        now=NOW,
    )
    args.update(kw)
    if "trends" not in args:  # what the backlog stage stores for the themes given
        args["trends"] = make_trends({**t, "item_themes": args["item_themes"]})
    return build_report_data(t["items"], **args)
