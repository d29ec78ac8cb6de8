"""Tiny synthetic feedback for the themes tests: four clear topics and a bag-of-words encoder.

The fake encoder (sum of fixed random word vectors) makes texts that share
words similar, like a sentence encoder would, without loading a model.
"""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from voc.schema import FeedbackRecord, stable_id

TOPICS: dict[str, tuple[list[str], list[str]]] = {
    "refund": (
        ["my refund has not arrived", "still waiting for the refund", "refund money never came back",
         "where is my refund payment", "the refund is three weeks late", "no refund after the return"],
        ["honestly", "again", "today", "sadly", "so far"],
    ),
    "delivery": (
        ["the parcel delivery was late", "delivery driver never came", "my parcel was delivered to the wrong address",
         "delivery took two weeks", "tracking shows the parcel stuck in delivery", "late delivery of the parcel"],
        ["honestly", "again", "today", "sadly", "so far"],
    ),
    "login": (
        ["cannot log in to the app", "password reset email never comes", "the app login keeps failing",
         "locked out of my account login", "login code is not accepted", "app says my password is wrong"],
        ["honestly", "again", "today", "sadly", "so far"],
    ),
    "staff": (
        ["the support agent was very friendly", "friendly staff in the store", "the agent was helpful and kind",
         "staff were polite and friendly", "a very helpful support agent", "kind and friendly staff"],
        ["honestly", "again", "today", "really", "so far"],
    ),
}  # fmt: skip


def _word_vec(word: str, dim: int = 64) -> np.ndarray:
    seed = int(hashlib.sha1(word.encode()).hexdigest()[:8], 16)
    return np.random.default_rng(seed).standard_normal(dim).astype(np.float32)


# What a sentence encoder knows and a bag of words does not: these words mean the same topic.
_ANCHORS = {
    "refund": ("refund",),
    "delivery": ("delivery", "parcel", "delivered"),
    "login": ("login", "log", "password", "account"),
    "staff": ("staff", "agent", "friendly"),
}


def fake_encode(texts: list[str]) -> np.ndarray:
    """Unit-length bag-of-words vectors plus a topic direction; deterministic per text."""
    calls.append(len(texts))
    out = np.zeros((len(texts), 64), dtype=np.float32)
    for i, t in enumerate(texts):
        words = [w for w in t.lower().replace(".", " ").split() if len(w) > 3]
        for w in words:
            out[i] += _word_vec(w)
        for topic, keys in _ANCHORS.items():
            if any(k in t.lower().split() for k in keys):
                out[i] += 4 * _word_vec("topic:" + topic)
    n = np.linalg.norm(out, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return out / n


calls: list[int] = []


def topic_sentences(topic: str, n: int = 30) -> list[str]:
    phrases, fillers = TOPICS[topic]
    combos = list(itertools.product(phrases, fillers))
    return [f"{p.capitalize()} {f}." for p, f in combos[:n]]


def records(texts: list[str], start: datetime, prefix: str) -> list[FeedbackRecord]:
    out = []
    for i, t in enumerate(texts):
        created = start + timedelta(hours=i)
        out.append(
            FeedbackRecord(
                id=stable_id("t", f"{prefix}{i}", t, created),
                source="t",
                external_id=f"{prefix}{i}",
                kind="review",
                created_at=created,
                text=t,
            )
        )
    return out


def add_items(store, items: list[tuple[str, list[str]]], start: datetime | None = None) -> list[str]:
    """Store items (id suffix, sentences) and their `sentences` rows; returns item ids."""
    start = start or datetime(2026, 3, 2, 9, tzinfo=UTC)
    recs = []
    rows = []
    for k, (key, sents) in enumerate(items):
        created = start + timedelta(hours=k)
        text = " ".join(sents)
        rec = FeedbackRecord(id=stable_id("t", key, text, created), source="t", external_id=key, kind="review",
                             created_at=created, text=text)  # fmt: skip
        recs.append(rec)
        rows += [(rec.id, j, s, 0, len(s)) for j, s in enumerate(sents)]
    store.commit_batch("t", recs, [])
    df = pd.DataFrame(rows, columns=["item_id", "sent_idx", "text", "start_char", "end_char"])
    df = df.astype({"sent_idx": "int32", "start_char": "int32", "end_char": "int32"})
    store.write_frame("sentences", df, key=["item_id", "sent_idx"])
    return [r.id for r in recs]


def topic_items(prefix: str, n_per_topic: int = 30) -> list[tuple[str, list[str]]]:
    """One-sentence items for every topic."""
    out = []
    for topic in TOPICS:
        for i, s in enumerate(topic_sentences(topic, n_per_topic)):
            out.append((f"{prefix}-{topic}-{i}", [s]))
    return out
