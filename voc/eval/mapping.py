"""`voc eval mapping`: accuracy of journey-stage mapping on the hand-labelled check set.

The check set (`voc/eval/checksets/journey_stages.toml`) labels intent NAMES
of public datasets with a stage; every text of an intent gets that stage as
its gold label. Texts are read from the shared data folder at eval time and
sampled per intent with a fixed seed. Baselines run in the same process:
the majority stage, keyword hints alone, and descriptions alone (no examples,
no keywords), so the mapper's number can be read against them.
"""

from __future__ import annotations

import logging
import time
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from voc.errors import InputError
from voc.eval.shared_data import require_data
from voc.taxonomy.mapping import Encoder, MappingParams, TaxonomyIndex, build_index, decide, score
from voc.taxonomy.taxonomies import UNMAPPED, Taxonomy

log = logging.getLogger(__name__)

CHECKSET = "journey_stages.toml"


@dataclass
class CheckSet:
    """Gold texts with their stage, and where they came from."""

    texts: list[str]
    gold: list[str]
    dataset: list[str]
    intent: list[str]
    excluded: dict[str, str] = field(default_factory=dict)


def load_checkset(
    data_dir: Path, seed: int = 0, per_label: int | None = None, name: str = CHECKSET
) -> CheckSet:
    """Read the labelled intent names and sample texts of each intent from `data_dir`."""
    spec = tomllib.loads((resources.files("voc.eval") / "checksets" / name).read_text(encoding="utf-8"))
    texts: list[str] = []
    gold: list[str] = []
    dataset: list[str] = []
    intent: list[str] = []
    excluded: dict[str, str] = {}
    for ds in spec["dataset"]:
        path = data_dir / ds["path"]
        require_data(path, "--data")
        frame = pd.read_csv(path)
        for col in (ds["text_column"], ds["label_column"]):
            if col not in frame.columns:
                raise InputError(
                    f"{path} has no column {col!r}; columns: {', '.join(frame.columns)}", code="E271"
                )
        n = per_label or int(ds.get("per_label", 50))
        labels: dict[str, str] = ds["labels"]
        unknown = set(frame[ds["label_column"]].unique()) - set(labels) - set(ds.get("excluded", {}))
        if unknown:
            raise InputError(
                f"{path}: intents without a label in the check set: {sorted(unknown)}", code="E272"
            )
        for key, why in ds.get("excluded", {}).items():
            excluded[f"{ds['name']}:{key}"] = why
        for k, (lab, stage) in enumerate(sorted(labels.items())):
            rows = frame[frame[ds["label_column"]] == lab]
            rows = rows.sample(n=min(n, len(rows)), random_state=seed + k)
            texts.extend(str(t) for t in rows[ds["text_column"]].tolist())
            gold.extend([stage] * len(rows))
            dataset.extend([ds["name"]] * len(rows))
            intent.extend([lab] * len(rows))
    return CheckSet(texts, gold, dataset, intent, excluded)


@dataclass
class MappingEval:
    """Results of one evaluation run."""

    n: int
    results: dict[str, dict[str, float]]  # method -> metrics
    per_dataset: dict[str, dict[str, float]]  # dataset -> accuracy per method
    per_stage: dict[str, float]  # stage -> mapper recall
    confusion: pd.DataFrame
    worst_intents: list[tuple[str, float, str]]
    seconds: float


def _metrics(gold: list[str], pred: list[str]) -> dict[str, float]:
    from voc.eval.metrics import accuracy, macro_f1

    g, p = np.asarray(gold), np.asarray(pred)
    mapped = p != UNMAPPED
    return {
        "accuracy": accuracy(g, p),
        "coverage": float(mapped.mean()) if len(p) else 0.0,
        "accuracy_when_mapped": accuracy(g[mapped], p[mapped]) if mapped.any() else 0.0,
        "macro_f1": macro_f1(g, p, labels=sorted(set(gold))),
    }


def keyword_only(texts: list[str], index: TaxonomyIndex) -> list[str]:
    """Baseline: the entry with most keyword hints; unmapped when none."""
    from voc.taxonomy.mapping import keyword_hits

    out = []
    for row in keyword_hits(texts, index):
        counts = [len(h) for h in row]
        out.append(index.names[int(np.argmax(counts))] if max(counts) else UNMAPPED)
    return out


def evaluate_mapping(
    checkset: CheckSet, stages: Taxonomy, params: MappingParams, encode: Encoder
) -> MappingEval:
    """Map every check-set text and compare with the hand labels (and the baselines)."""
    t0 = time.perf_counter()
    index = build_index(stages, encode)
    vecs = encode(checkset.texts)
    pred = decide(score(vecs, checkset.texts, index, params), index, params.min_similarity)["label"].tolist()
    # Descriptions only: same encoder, no examples, no keyword hints, no threshold.
    desc_only = [index.names[i] for i in (vecs @ index.description_vectors.T).argmax(axis=1)]
    majority = pd.Series(checkset.gold).mode().iloc[0]
    methods = {
        "mapper": pred,
        "descriptions_only": desc_only,
        "keywords_only": keyword_only(checkset.texts, index),
        "majority": [majority] * len(checkset.gold),
    }
    results = {m: _metrics(checkset.gold, p) for m, p in methods.items()}
    frame = pd.DataFrame(
        {"gold": checkset.gold, "dataset": checkset.dataset, "intent": checkset.intent, **methods}
    )
    per_dataset = {
        ds: {m: float((g["gold"] == g[m]).mean()) for m in methods}
        for ds, g in frame.groupby("dataset", sort=True)
    }
    per_stage = {st: float((g["gold"] == g["mapper"]).mean()) for st, g in frame.groupby("gold", sort=True)}
    labels = [*stages.names, UNMAPPED]
    conf = pd.crosstab(frame["gold"], frame["mapper"]).reindex(
        index=stages.names, columns=labels, fill_value=0
    )
    by_intent = frame.assign(ok=frame["gold"] == frame["mapper"]).groupby(["dataset", "intent"])
    worst = []
    for (ds, it), g in by_intent:
        top_pred = g["mapper"].mode().iloc[0]
        worst.append((f"{ds}:{it} (gold {g['gold'].iloc[0]})", float(g["ok"].mean()), top_pred))
    worst.sort(key=lambda x: x[1])
    return MappingEval(
        n=len(frame),
        results=results,
        per_dataset=per_dataset,
        per_stage=per_stage,
        confusion=conf.dropna(how="all"),
        worst_intents=worst[:10],
        seconds=time.perf_counter() - t0,
    )
