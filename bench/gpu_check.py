"""Encoder and `voc analyze` throughput on whatever device is present (a CUDA GPU, else the CPU).

1. The encoder alone: `voc.nlp.encoder.Encoder.encode` on generated sentences of
   about 32 tokens, in bf16 and fp32, on the device `encoder.device = "auto"`
   picks (or `--device`). `normalize` is the CPU-side text normalisation the
   encoder applies first, timed on its own, so a GPU's rate can be read against it.
2. `voc analyze` (the library call behind the command) on a generated demo
   export (Northwind's App Store reviews, `voc demo`), with the encoder on that
   device: items/s end to end and seconds per stage.

Prints one line per measurement, beginning with the device, and with `--json`
writes the figures to a file. Sizes default to the device: small on a CPU
(a minute or two), large on a GPU.

    python bench/gpu_check.py                      # what bench/gpu_check.sh runs
    python bench/gpu_check.py --sentences 500 --items 100 --json /tmp/gpu.json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Common words, one or two word pieces each: 28 of them make a sentence of about 32 tokens.
_TEXT = (
    "the app crashes when I open my account page and the delivery was late again so I called support "
    "who said the refund would arrive next week but nothing came and the battery drains fast after the "
    "update while the camera screen freezes every time I try to pay with my card on the new plan the "
    "agent was friendly and fixed the login problem quickly thanks for the great service although the "
    "price went up twice this year and the invoice shows a wrong amount for the family subscription"
)
WORDS = _TEXT.split()
SENTENCE_WORDS = 28
DEMO_ITEMS_PER_REVIEW = 7  # `voc demo --items n` writes about n/7 App Store reviews


def sentences(n: int, seed: int = 0) -> list[str]:
    """`n` distinct generated sentences of about 32 tokens (with [CLS] and [SEP])."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        words = [rnd.choice(WORDS) for _ in range(SENTENCE_WORDS - 1)]
        out.append(" ".join(words).capitalize() + f" {i}.")
    return out


def mean_tokens(encoder: Any, texts: list[str]) -> float:
    """Mean token count (special tokens included) of a sample, as the encoder's tokenizer cuts them."""
    tok = encoder.sentence_transformer.tokenizer
    sample = texts[:500]
    return sum(len(ids) for ids in tok(sample)["input_ids"]) / max(1, len(sample))


def synchronize(device: str) -> None:
    """Wait for queued GPU work so a timer measures it."""
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def bench_encoder(device: str, n: int, batch_size: int) -> list[dict[str, Any]]:
    """Sentences per second of `Encoder.encode` at bf16 and fp32 on `device`."""
    from voc.config.core import EncoderConfig
    from voc.nlp.encoder import get_encoder
    from voc.nlp.precision import inference_precision
    from voc.nlp.sentiment import normalize_text

    texts = sentences(n)
    t0 = time.perf_counter()
    for t in texts:
        normalize_text(t)
    normalize_s = time.perf_counter() - t0
    print(
        f"device={device} normalize: {n:,} sentences in {normalize_s:.2f} s = {n / normalize_s:,.0f} sentences/s"
    )
    rows = []
    for precision in ("bf16", "fp32"):
        enc = get_encoder(EncoderConfig(device=device, precision=precision, batch_size=batch_size))  # type: ignore[arg-type]
        enc.encode(texts[: batch_size * 2])  # warm-up: load, kernels, allocator
        synchronize(enc.device)
        t0 = time.perf_counter()
        vecs = enc.encode(texts)
        synchronize(enc.device)
        seconds = time.perf_counter() - t0
        row = {
            "precision": enc.precision,
            "device": enc.device,
            "sentences": n,
            "mean_tokens": round(mean_tokens(enc, texts), 1),
            "batch_size": batch_size,
            "seconds": round(seconds, 2),
            "sentences_per_s": round(n / seconds, 1),
            "dim": int(vecs.shape[1]),
        }
        # The model alone on normalised texts: the ceiling `encode` would reach with free preprocessing.
        normed = [normalize_text(t) for t in texts]
        with inference_precision(enc.precision, enc.device):
            t0 = time.perf_counter()
            enc.sentence_transformer.encode(normed, batch_size=batch_size, normalize_embeddings=True,
                                            convert_to_numpy=True)  # fmt: skip
            synchronize(enc.device)
            model_s = time.perf_counter() - t0
        row["model_alone_sentences_per_s"] = round(n / model_s, 1)
        rows.append(row)
        print(
            f"device={enc.device} encoder {enc.precision}: {n:,} sentences of {row['mean_tokens']} tokens "
            f"(batch {batch_size}) in {seconds:.2f} s = {row['sentences_per_s']:,.0f} sentences/s "
            f"(model alone on normalised texts: {row['model_alone_sentences_per_s']:,.0f} sentences/s)"
        )
    return rows


def demo_reviews(items: int, folder: Path) -> Path:
    """A generated App Store export of about `items` reviews (Northwind's demo data)."""
    from voc.demo import generate_demo

    generate_demo(folder, seed=7, n_items=max(50, items * DEMO_ITEMS_PER_REVIEW))
    return folder / "app_store_reviews.csv"


def bench_analyze(device: str, items: int) -> dict[str, Any]:
    """`voc analyze` on a generated export with the encoder on `device`: items/s and stage seconds."""
    from voc.config import default_config
    from voc.pipeline.analyze import analyze_file

    with tempfile.TemporaryDirectory(prefix="voc-gpu-check-") as tmp:
        path = demo_reviews(items, Path(tmp) / "demo")
        with path.open(encoding="utf-8", newline="") as fh:
            rows = sum(1 for _ in csv.DictReader(fh))
        cfg = default_config()
        cfg.encoder = cfg.encoder.model_copy(update={"device": device})
        t0 = time.perf_counter()
        res = analyze_file(path, Path(tmp) / "out", config=cfg, progress=False)
        seconds = time.perf_counter() - t0
    stored = int(res.counts.get("items_csv_rows", rows))
    stages = {k: v["seconds"] for k, v in res.stages.items()}
    out = {"device": device, "rows": rows, "items": stored, "seconds": round(seconds, 2),
           "items_per_s": round(stored / seconds, 2), "stages_s": stages}  # fmt: skip
    print(
        f"device={device} analyze: {stored:,} items in {seconds:.1f} s = {out['items_per_s']:,.1f} items/s "
        f"({', '.join(f'{k} {v:.1f} s' for k, v in stages.items())})"
    )
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the checks; returns the exit code."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:1")
    ap.add_argument("--sentences", type=int, default=None, help="encoder sentences (GPU 200,000; CPU 500)")
    ap.add_argument("--batch-size", type=int, default=None, help="encoder batch (GPU 1,024; CPU 64)")
    ap.add_argument("--items", type=int, default=None, help="analyze items, about (GPU 20,000; CPU 300)")
    ap.add_argument("--skip-analyze", action="store_true", help="the encoder alone")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)

    import torch

    from voc.nlp.encoder import resolve_device

    device = resolve_device(args.device)
    gpu = device.startswith("cuda")
    name = torch.cuda.get_device_name(device) if gpu else platform.processor() or platform.machine()
    print(f"device={device} ({name}; torch {torch.__version__}, CUDA available: {torch.cuda.is_available()}, "
          f"{torch.get_num_threads()} CPU threads)")  # fmt: skip
    if not gpu and "+cpu" in torch.__version__:
        print(
            "note: this torch is a CPU-only build; a GPU needs the CUDA wheel (pip install torch==<same version>)"
        )
    report: dict[str, Any] = {"device": device, "device_name": name, "torch": torch.__version__}
    report["encoder"] = bench_encoder(
        device, args.sentences or (200_000 if gpu else 500), args.batch_size or (1024 if gpu else 64)
    )
    if not args.skip_analyze:
        report["analyze"] = bench_analyze(device, args.items or (20_000 if gpu else 300))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
