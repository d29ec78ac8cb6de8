"""Demo data: deterministic, realistic enough to show every stage on, and honest
about what it plants (themes, emerging theme, duplicates, bad rows)."""

from __future__ import annotations

import csv
import io
import json
import re
import statistics
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest

from voc.demo import DEFAULT_END, DemoManifest, build_demo_data, generate_demo
from voc.demo.rows import (
    APP_STORE_COLUMNS,
    GOOGLE_PLAY_COLUMNS,
    NPS_QUESTION,
    NPS_REASON,
    QUALTRICS_COLUMNS,
    TYPEFORM_COLUMNS,
    ZENDESK_FIELDS,
)
from voc.demo.slots import iban, luhn_card
from voc.demo.themes import ALL_THEMES, EMERGING, THEMES
from voc.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FILES = {
    "zendesk_tickets.ndjson": "ticket",
    "app_store_reviews.csv": "review",
    "google_play_reviews.csv": "review",
    "nps_survey.csv": "survey",
    "csat_survey.csv": "survey",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoManifest:
    """The default demo (6,000 items, 14 weeks), generated once for this module."""
    return generate_demo(tmp_path_factory.mktemp("demo"))


def _csv_rows(path: Path, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode(encoding), newline="")))


def _read_exports(out: Path) -> dict[tuple[str, str], dict]:
    """(file, key) -> {text, rating, created} for every parseable, well-formed row, read
    from the files with nothing but json/csv, as a connector would."""
    items: dict[tuple[str, str], dict] = {}
    for line in (out / "zendesk_tickets.ndjson").read_text(encoding="utf-8").splitlines():
        try:
            t = json.loads(line)
        except json.JSONDecodeError:
            continue
        items["zendesk_tickets.ndjson", str(t["id"])] = {"text": t["description"], "rating": None}
    rows = _csv_rows(out / "app_store_reviews.csv", "utf-8")
    for r in rows[1:]:
        items["app_store_reviews.csv", r[0]] = {"text": r[4], "rating": r[2]}
    rows = _csv_rows(out / "google_play_reviews.csv", "utf-16")
    for r in rows[1:]:
        key = re.search(r"reviewId=([^&]+)", r[15]).group(1)
        items["google_play_reviews.csv", key] = {"text": r[11], "rating": r[9]}
    rows = _csv_rows(out / "nps_survey.csv", "utf-8-sig")
    for r in rows[3:]:
        items["nps_survey.csv", r[8]] = {"text": r[16], "rating": r[15]}
    rows = _csv_rows(out / "csat_survey.csv", "utf-8")
    for r in rows[1:]:
        if len(r) == len(TYPEFORM_COLUMNS):
            items["csat_survey.csv", r[0]] = {"text": r[2], "rating": r[1]}
    return items


def _truth(out: Path) -> list[dict[str, str]]:
    with (out / "_truth.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# --- determinism -----------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = generate_demo(tmp_path / "a", seed=3, n_items=600)
    b = generate_demo(tmp_path / "b", seed=3, n_items=600)
    c = generate_demo(tmp_path / "c", seed=4, n_items=600)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    assert set(FILES) <= set(names) and {"_truth.csv", "_manifest.json"} <= set(names)
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes(), name
    assert a.rows == b.rows and a.total_items == c.total_items == 600


def test_default_end_is_fixed_and_end_moves_the_calendar(tmp_path: Path) -> None:
    assert DEFAULT_END.weekday() == 6  # a Sunday, so the last week is whole
    m = generate_demo(tmp_path, n_items=400, weeks=4, end=date(2027, 3, 7))
    assert m.end == date(2027, 3, 7) and m.start == date(2027, 2, 8)
    assert m.emerging_weeks == [date(2027, 2, 22), date(2027, 3, 1)]


def test_smallest_allowed_demo_is_complete(tmp_path: Path) -> None:
    # 200 items: files shorter than the usual re-export gap still get their planted duplicates.
    m = generate_demo(tmp_path, n_items=200)
    assert m.total_items == 200
    assert sum(m.duplicates.values()) > 0 and sum(m.bad_rows.values()) > 0
    for name, rows in m.rows.items():
        assert rows == m.items[name] + m.duplicates[name] + m.bad_rows[name], name


def test_bad_parameters_raise_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="n_items=10"):
        generate_demo(tmp_path, n_items=10)
    with pytest.raises(ConfigError, match="weeks=2"):
        generate_demo(tmp_path, n_items=400, weeks=2)
    with pytest.raises(ConfigError, match=r"2026-11-20 is a Friday.*2026-11-22"):
        generate_demo(tmp_path, n_items=400, end=date(2026, 11, 20))


# --- counts and formats ------------------------------------------------------------


def test_counts_kinds_and_weeks(demo: DemoManifest) -> None:
    assert demo.total_items == 6000
    assert demo.weeks == 14 and (demo.end - demo.start).days == 14 * 7 - 1
    kinds = Counter()
    for name, kind in FILES.items():
        assert demo.kinds[name] == kind
        kinds[kind] += demo.items[name]
        # what `voc status` must reproduce: rows read = stored + duplicates + quarantined
        assert demo.rows[name] == demo.items[name] + demo.duplicates[name] + demo.bad_rows[name]
        assert demo.duplicates[name] >= 1 and demo.bad_rows[name] >= 2
    assert 0.35 < kinds["ticket"] / 6000 < 0.45
    assert 0.25 < kinds["review"] / 6000 < 0.35
    assert 0.25 < kinds["survey"] / 6000 < 0.35
    truth = _truth(demo.out_dir)
    assert len(truth) == 6000
    weeks = Counter(t["week_start"] for t in truth)
    assert len(weeks) == 14 and min(weeks.values()) > 300  # steady volume, every week populated
    created = [datetime.strptime(t["created_at"], "%Y-%m-%dT%H:%M:%SZ") for t in truth]
    assert min(created).date() >= demo.start and max(created).date() <= demo.end


def test_zendesk_ndjson(demo: DemoManifest) -> None:
    lines = (demo.out_dir / "zendesk_tickets.ndjson").read_text(encoding="utf-8").splitlines()
    assert len(lines) == demo.rows["zendesk_tickets.ndjson"]
    tickets, broken = [], 0
    for line in lines:
        try:
            tickets.append(json.loads(line))
        except json.JSONDecodeError:
            broken += 1
    assert broken == sum(1 for p in demo.planted if p.reason == "malformed JSON line")
    for t in tickets:
        assert list(t) == ZENDESK_FIELDS
        assert t["via"]["channel"] in {"email", "web", "chat"}
        assert t["satisfaction_rating"]["score"] in {"good", "bad", "offered"}
        seg, arr = t["custom_fields"]
        assert seg["id"] == 360001 and seg["value"] in {"enterprise", "mid-market", "smb", "consumer"}
        assert arr["id"] == 360002 and (arr["value"] is None or arr["value"].isdigit())
        assert t["url"].endswith(f"/tickets/{t['id']}.json")
        if t["created_at"].startswith("20"):  # the planted unparseable date aside
            assert t["updated_at"] >= t["created_at"]  # ISO strings in UTC compare as times
    channels = Counter(t["via"]["channel"] for t in tickets)
    assert set(channels) == {"email", "web", "chat"}


def test_review_and_survey_csvs(demo: DemoManifest) -> None:
    out = demo.out_dir
    app = _csv_rows(out / "app_store_reviews.csv", "utf-8")
    assert app[0] == APP_STORE_COLUMNS and len(app) - 1 == demo.rows["app_store_reviews.csv"]

    raw = (out / "google_play_reviews.csv").read_bytes()
    assert raw[:2] == b"\xff\xfe"  # UTF-16 LE with BOM, as the Play Console writes it
    with (out / "google_play_reviews.csv").open(encoding="utf-16", newline="") as f:
        play = list(csv.reader(f))
    assert play[0] == GOOGLE_PLAY_COLUMNS and len(play) - 1 == demo.rows["google_play_reviews.csv"]
    good = [r for r in play[1:] if r[6]]
    for r in good[:50]:  # the millis column agrees with the ISO timestamp
        iso = datetime.strptime(r[5], "%Y-%m-%dT%H:%M:%SZ")
        assert abs(int(r[6]) / 1000 - (iso - datetime(1970, 1, 1)).total_seconds()) < 1

    nps = _csv_rows(out / "nps_survey.csv", "utf-8-sig")
    assert nps[0] == QUALTRICS_COLUMNS
    assert NPS_QUESTION in nps[1][15] and nps[1][16] == NPS_REASON
    assert all(json.loads(cell)["ImportId"] for cell in nps[2])
    assert json.loads(nps[2][15]) == {"ImportId": "QID1"}
    assert len(nps) - 3 == demo.rows["nps_survey.csv"]

    csat = _csv_rows(out / "csat_survey.csv", "utf-8")
    assert csat[0] == TYPEFORM_COLUMNS and len(csat) - 1 == demo.rows["csat_survey.csv"]
    malformed = [r for r in csat[1:] if len(r) != len(TYPEFORM_COLUMNS)]
    assert len(malformed) == 1  # the planted malformed line, and nothing else


def test_planted_rows_are_where_the_manifest_says(demo: DemoManifest) -> None:
    out = demo.out_dir
    records = {
        "zendesk_tickets.ndjson": (out / "zendesk_tickets.ndjson").read_text(encoding="utf-8").splitlines(),
        "app_store_reviews.csv": _csv_rows(out / "app_store_reviews.csv", "utf-8")[1:],
        "google_play_reviews.csv": _csv_rows(out / "google_play_reviews.csv", "utf-16")[1:],
        "nps_survey.csv": _csv_rows(out / "nps_survey.csv", "utf-8-sig")[3:],
        "csat_survey.csv": _csv_rows(out / "csat_survey.csv", "utf-8")[1:],
    }
    for p in demo.planted:
        row = records[p.file][p.row - 1]
        text = row if isinstance(row, str) else ",".join(row)
        assert p.key in text, p
        if p.kind == "duplicate":
            first = next(r for r in records[p.file] if (r if isinstance(r, str) else ",".join(r)) == text)
            assert records[p.file].index(first) < p.row - 1  # an exact copy of an earlier row
        elif p.kind == "updated_duplicate":
            newer = json.loads(row)
            older = [json.loads(r) for r in records[p.file][: p.row - 1] if f'"id": {p.key},' in r]
            assert older and newer["updated_at"] > older[0]["updated_at"]
        elif p.reason == "rating out of range":
            col = {"app_store_reviews.csv": 2, "google_play_reviews.csv": 9, "nps_survey.csv": 15}.get(
                p.file, 1
            )
            assert row[col] in {"0", "6", "7", "11"}
    reasons = Counter(p.reason for p in demo.planted if p.kind == "bad")
    assert {"unparseable date", "rating out of range", "empty comment", "malformed CSV line"} <= set(reasons)


def test_config_validates_and_points_at_the_demo_files(demo: DemoManifest) -> None:
    from voc.config import load_config

    cfg = load_config(PROJECT_ROOT / "config" / "demo.toml")
    assert cfg.resolve(cfg.store.path) == PROJECT_ROOT / "data" / "demo.duckdb"
    by_file = {Path(s.path).name: s for s in cfg.sources}
    assert set(by_file) == set(FILES)
    assert {s.format for s in cfg.sources} == {
        "zendesk_json",
        "app_store",
        "google_play",
        "qualtrics",
        "typeform",
    }
    for name, s in by_file.items():
        assert cfg.resolve(s.path) == PROJECT_ROOT / "data" / "demo" / name
    zd = by_file["zendesk_tickets.ndjson"]
    assert zd.columns.segment == "custom_fields.360001" and zd.columns.revenue == "custom_fields.360002"
    assert zd.url_template and "{id}" in zd.url_template


# --- what is planted in the content ---------------------------------------------


def test_emerging_theme_only_in_last_two_weeks_and_growing(demo: DemoManifest) -> None:
    truth = _truth(demo.out_dir)
    per_week: dict[str, Counter] = defaultdict(Counter)
    for t in truth:
        for theme in t["themes"].split(";"):
            per_week[theme][t["week_start"]] += 1
    weeks = sorted({t["week_start"] for t in truth})
    emerging = per_week[EMERGING.key]
    assert set(emerging) == {w.isoformat() for w in demo.emerging_weeks} == set(weeks[-2:])
    small, large = emerging[weeks[-2]], emerging[weeks[-1]]
    assert small > 0 and large >= 2.5 * small
    assert demo.emerging_counts == {weeks[-2]: small, weeks[-1]: large}
    # Steady themes stay steady in the last two weeks: no false alarms planted.
    for theme in THEMES:
        history = [per_week[theme.key][w] for w in weeks[:-2]]
        mean, sd = statistics.mean(history), statistics.pstdev(history)
        for w in weeks[-2:]:
            assert per_week[theme.key][w] <= mean + 3 * sd + 3, (theme.key, w, history)
    # ...and the emerging items really talk about the update.
    texts = _read_exports(demo.out_dir)
    about = [texts[t["file"], t["key"]]["text"].lower() for t in truth if EMERGING.key in t["themes"]]
    assert sum("updat" in x or "5.2" in x for x in about) >= 0.8 * len(about)


def test_theme_volumes_differ_and_many_items_raise_two(demo: DemoManifest) -> None:
    truth = _truth(demo.out_dir)
    counts = Counter(th for t in truth for th in t["themes"].split(";"))
    steady = [counts[t.key] for t in THEMES]
    assert len(THEMES) >= 15 and min(steady) > 100
    assert max(steady) > 3 * min(steady)  # some big, some small
    multi = sum(";" in t["themes"] for t in truth) / len(truth)
    assert 0.2 < multi < 0.35
    assert set(demo.themes) == {t.key for t in ALL_THEMES}


def test_ratings_agree_with_planted_sentiment(demo: DemoManifest) -> None:
    texts = _read_exports(demo.out_dir)
    by: dict[tuple[str, str], list[int]] = defaultdict(list)
    for t in _truth(demo.out_dir):
        rating = texts[t["file"], t["key"]]["rating"]
        if rating:
            scale = {"nps_survey.csv": "nps", "csat_survey.csv": "csat"}.get(t["file"], "stars")
            by[scale, t["polarity"]].append(int(rating))
    mean = {k: statistics.mean(v) for k, v in by.items()}
    assert mean["stars", "negative"] < 2.5 and mean["stars", "positive"] > 4.2
    assert 2.5 < mean["stars", "mixed"] < 4
    assert mean["nps", "negative"] < 5 and mean["nps", "positive"] > 8.5
    assert mean["csat", "negative"] < 2.5 and mean["csat", "positive"] > 4.2
    # noise: not every negative review is a 1 or 2
    assert any(r >= 3 for r in by["stars", "negative"])


def test_texts_vary(demo: DemoManifest) -> None:
    texts = [v["text"] for v in _read_exports(demo.out_dir).values() if v["text"]]
    assert len(set(texts)) / len(texts) > 0.95
    # No sentence (digits masked) turns up in more than 5% of items.
    seen: Counter = Counter()
    for t in texts:
        plain = re.sub(r"<[^>]+>", "\n", t)
        sentences = {
            re.sub(r"\d", "#", s.lower().strip(" >"))
            for s in re.split(r"(?<=[.!?])\s+|\n+", plain)
            if len(s.split()) >= 4
        }
        seen.update(sentences)
    sentence, n = seen.most_common(1)[0]
    assert n / len(texts) < 0.05, sentence
    words = [len(t.split()) for t in texts]
    assert min(words) <= 5 and max(words) >= 120  # from a few words to several paragraphs


def test_no_phrase_template_covers_more_than_5_percent() -> None:
    data = build_demo_data(7, 6000, 14, DEFAULT_END)
    uses = Counter(t for used in data.templates for t in set(used))
    template, n = uses.most_common(1)[0]
    assert n / len(data.templates) < 0.05, template


def test_realistic_noise_pii_html_quotes_languages(demo: DemoManifest) -> None:
    texts = _read_exports(demo.out_dir)
    tickets = [v["text"] for (f, _), v in texts.items() if f == "zendesk_tickets.ndjson"]
    joined = "\n".join(tickets)
    assert sum("<p>" in t or "<br>" in t for t in tickets) > 0.1 * len(tickets)
    assert "Northwind Support <support@northwind.example> wrote:" in joined.replace("&lt;", "<").replace(
        "&gt;", ">"
    )
    assert re.search(r"\n> ", joined) and "Best regards,\n" in joined
    assert re.search(r"[\w.]+@[\w-]+\.\w+", joined)
    assert re.search(r"\+1 \d{3} 555 01\d\d", joined)
    assert re.search(r"\b(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+", joined)
    # casual writers lowercase everything, IBANs included
    ibans = re.findall(r"\b(?:DE|GB)\d\d(?: [A-Z0-9]{4}){4}(?: [A-Z0-9]{1,4})?\b", joined, flags=re.I)
    assert ibans and all(_iban_ok(i) for i in ibans)
    for i in ibans:  # IBAN digit groups look like card numbers
        joined = joined.replace(i, "")
    cards = re.findall(r"\b[45]\d{3}(?:[ -]?\d{4}){3}\b", joined)
    assert cards and all(_luhn_ok(re.sub(r"\D", "", c)) for c in cards)
    reviews = " ".join(v["text"] for (f, _), v in texts.items() if f.endswith("reviews.csv"))
    assert re.search(r"[\U0001F300-\U0001FAFF]", reviews)  # emojis in app reviews
    langs = Counter(t["language"] for t in _truth(demo.out_dir))
    assert {"fr", "de", "es"} <= set(langs) and 20 < sum(n for k, n in langs.items() if k != "en") < 150


def test_customers_repeat_and_at_risk_accounts_are_big_and_unhappy(demo: DemoManifest) -> None:
    truth = _truth(demo.out_dir)
    with_id = [t for t in truth if t["customer_id"]]
    per_customer = Counter(t["customer_id"] for t in with_id)
    assert sum(n > 1 for n in per_customer.values()) > 100  # repeat customers
    arr_range = {"enterprise": (50_000, 500_000), "mid-market": (10_000, 50_000), "smb": (1_000, 10_000)}
    for t in with_id:
        if t["segment"] == "consumer":
            assert t["arr"] == ""
        else:
            lo, hi = arr_range[t["segment"]]
            assert lo <= int(t["arr"]) <= hi
    assert len(demo.at_risk_accounts) >= 3
    for cid in demo.at_risk_accounts:
        items = [t for t in with_id if t["customer_id"] == cid]
        assert len(items) >= 5 and int(items[0]["arr"]) >= 200_000
        assert sum(t["polarity"] == "negative" for t in items) / len(items) > 0.9


def test_weekday_and_hour_patterns(demo: DemoManifest) -> None:
    truth = _truth(demo.out_dir)
    stamps = {
        kind: [datetime.strptime(t["created_at"], "%Y-%m-%dT%H:%M:%SZ") for t in truth if t["kind"] == kind]
        for kind in ("ticket", "review")
    }
    weekday = Counter(s.weekday() for s in stamps["ticket"])
    assert weekday[0] > 2 * weekday[6]  # Monday is busy, Sunday quiet
    hours = Counter(s.hour for s in stamps["ticket"])
    assert hours[10] > 5 * hours[3]
    review_hours = Counter(s.hour for s in stamps["review"])
    assert review_hours[20] > review_hours[9]  # reviews are written in the evening


def test_truth_labels_stay_out_of_the_exports(demo: DemoManifest) -> None:
    blobs = [
        (demo.out_dir / name).read_bytes().decode("utf-16" if "google" in name else "utf-8-sig")
        for name in FILES
    ]
    everything = "\n".join(blobs)
    for theme in ALL_THEMES:
        assert theme.key not in everything
    # Labels may occur as ordinary words in the text ("notification spam"), never as
    # a field: tags are coarse product areas only.
    tickets = [json.loads(x) for x in blobs[0].splitlines() if x.endswith("}")]
    tags = {tag for t in tickets for tag in t["tags"]}
    assert tags <= {
        "enterprise",
        "mid_market",
        "smb",
        "consumer",
        "shipping",
        "app",
        "billing",
        "account",
        "sales",
        "web_widget",
        "vip",
        "lang_fr",
        "lang_de",
        "lang_es",
    }


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, d in enumerate(int(c) for c in reversed(digits)):
        d = d * 2 if i % 2 else d
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _iban_ok(text: str) -> bool:
    s = text.replace(" ", "").upper()
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def test_pii_generators_are_valid() -> None:
    import random

    rng = random.Random(0)
    assert all(_luhn_ok(re.sub(r"\D", "", luhn_card(rng))) for _ in range(200))
    assert all(_iban_ok(iban(rng)) for _ in range(200))


def test_ingesting_the_demo_accounts_for_every_planted_row(tmp_path: Path) -> None:
    """The manifest's counts are what `voc ingest` / `voc status` must report."""
    import tomllib

    from voc.config import config_from_dict
    from voc.pipeline.ingest import ingest
    from voc.store import open_store

    manifest = generate_demo(tmp_path / "data" / "demo", seed=11, n_items=600)
    data = tomllib.loads((PROJECT_ROOT / "config" / "demo.toml").read_text(encoding="utf-8"))
    cfg = config_from_dict(data, origin="config/demo.toml", root=tmp_path)
    result = ingest(cfg, progress=False)
    assert result.status == "ok", [r.error for r in result.sources]
    by_file = {Path(cfg.source(r.source).path).name: r.counts for r in result.sources}
    for name, counts in by_file.items():
        assert counts.read == manifest.rows[name], name
        assert counts.quarantined == manifest.bad_rows[name], name
        # an updated ticket may count as a duplicate or as an update: either way nothing is lost
        assert counts.stored + counts.duplicates == manifest.items[name] + manifest.duplicates[name], name
    store = open_store(cfg, read_only=True)
    try:
        items = store.query("select id, source, url from items")
    finally:
        store.close()
    assert len(items) == manifest.total_items == 600
    # every truth row finds its stored item, and no two share one
    from voc.demo.truth import attach_item_ids, load_truth

    truth = attach_item_ids(load_truth(manifest.truth_file), items, cfg)
    assert truth["item_id"].notna().all() and truth["item_id"].is_unique
