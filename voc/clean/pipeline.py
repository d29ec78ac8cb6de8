"""The cleaning pipeline: every record passes here between connector and store.

Order matters: the binary-garbage test sees the raw text; unicode repair runs
before HTML parsing (entities and tags may be mojibake too); replies are cut
before whitespace is collapsed (they are found by line structure), and chat
transcripts are cut to the customer's turns just before them (same reason,
and a transcript's last lines must not be read as a signature); language
is detected before redaction (placeholders are not words of any language);
truncation comes last so a cut can never split a card number into an
unredacted fragment.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from voc.clean.html import html_to_text, looks_like_html
from voc.clean.language import UNDETERMINED, detect_languages
from voc.clean.pii import redact, redact_names_batch
from voc.clean.replies import strip_replies
from voc.clean.transcripts import strip_transcript
from voc.clean.unicode import garbage_ratio, repair_unicode
from voc.clean.whitespace import normalize_whitespace
from voc.config.core import CleanConfig
from voc.schema import FeedbackRecord, Flag, QuarantineRow

log = logging.getLogger(__name__)

# Plain strings: enum attribute lookups cost ~0.5 us each in the per-record path.
_F_UNICODE = Flag.unicode_repaired.value
_F_HTML = Flag.html_stripped.value
_F_REPLY = Flag.quoted_reply_removed.value
_F_CHAT = Flag.chat_agent_turns_removed.value
_F_NON_EN = Flag.non_english.value
_F_PII = Flag.pii_redacted.value
_F_TRUNC = Flag.truncated.value


@dataclass
class CleanStats:
    """What a batch of cleaning did: counts per flag, PII type and quarantine reason."""

    records: int = 0
    kept: int = 0
    flags: Counter = field(default_factory=Counter)
    pii: Counter = field(default_factory=Counter)
    quarantined: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def merge(self, other: CleanStats) -> None:
        self.records += other.records
        self.kept += other.kept
        self.flags.update(other.flags)
        self.pii.update(other.pii)
        self.quarantined.update(other.quarantined)
        self.seconds += other.seconds

    def summary(self) -> str:
        parts = [f"clean: {self.records:,} records in {self.seconds:.2f} s, kept {self.kept:,}"]
        if self.quarantined:
            parts.append(
                "quarantined " + ", ".join(f"{k}={v:,}" for k, v in sorted(self.quarantined.items()))
            )
        if self.flags:
            parts.append("flags " + ", ".join(f"{k}={v:,}" for k, v in sorted(self.flags.items())))
        if self.pii:
            parts.append("pii " + ", ".join(f"{k}={v:,}" for k, v in sorted(self.pii.items())))
        return "; ".join(parts)


def truncate(text: str, max_chars: int) -> tuple[str, bool]:
    """Cut `text` to at most `max_chars` at a word boundary; return (text, truncated)."""
    if len(text) <= max_chars:
        return text, False
    cut = text[:max_chars]
    # Back up to the last whitespace if it is near the end; a text without
    # spaces (a URL, CJK) is cut hard rather than losing most of it.
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space >= max_chars * 0.8:
        cut = cut[:space]
    return cut.rstrip(), True


def _redact_value(value: Any, cfg: CleanConfig, counts: Counter) -> Any:
    if isinstance(value, str):
        out, c = redact(
            value, phone_regions=cfg.phone_regions, names=cfg.redact_names, addresses=cfg.redact_addresses
        )
        for kind, n in c.items():
            counts[kind] += n
        return out
    if isinstance(value, dict):
        return {k: _redact_value(v, cfg, counts) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v, cfg, counts) for v in value]
    return value


# Metadata keys that may carry the record's author, which names the customer in a chat transcript.
_AUTHOR_KEYS = (
    "author_name",
    "requester_name",
    "contact_name",
    "customer_name",
    "author",
    "requester",
    "name",
)


def _author_of(metadata: dict[str, Any]) -> str | None:
    for key in _AUTHOR_KEYS:
        value = metadata.get(key)
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            return value["name"]
    return None


def _repair(
    text: str, cfg: CleanConfig, flags: list[str], *, replies: bool, author: str | None = None
) -> str:
    """Unicode, HTML, chat transcript, replies and whitespace steps (no redaction, no language)."""
    text, changed = repair_unicode(text)
    if changed:
        flags.append(_F_UNICODE)
    if cfg.strip_html and looks_like_html(text):
        stripped = html_to_text(text)
        if stripped != text:
            text = stripped
            flags.append(_F_HTML)
    if replies and cfg.strip_chat_agent_turns:
        text, changed = strip_transcript(text, author)
        if changed:
            flags.append(_F_CHAT)
    if replies and cfg.strip_quoted_replies:
        text, changed = strip_replies(text)
        if changed:
            flags.append(_F_REPLY)
    return normalize_whitespace(text)


class Cleaned(NamedTuple):
    """What cleaning decided for one record's fields (plain data, cheap to pickle).

    `reason` is None for a kept record; otherwise the quarantine reason, and
    `update` then holds the redacted raw fields for the quarantine row.
    """

    reason: str | None
    detail: str
    update: dict[str, Any]
    flags: list[str]
    pii: dict[str, int]


def _redacted_raw(
    text: str, title: str | None, metadata: dict[str, Any], cfg: CleanConfig, reason: str, detail: str
) -> Cleaned:
    # Raw PII must not reach the quarantine table either: redact what is kept
    # (unless clean.quarantine_keep_raw asks for raw rows, see voc.clean.quarantine).
    if not cfg.redact_pii or cfg.quarantine_keep_raw:
        return Cleaned(reason, detail, {}, [], {})
    counts: Counter = Counter()
    update: dict[str, Any] = {"text": _redact_value(text, cfg, counts)}
    if title:
        update["title"] = _redact_value(title, cfg, counts)
    if metadata:
        update["metadata"] = _redact_value(metadata, cfg, counts)
    return Cleaned(reason, detail, update, [], dict(counts))


class _Prepared(NamedTuple):
    """A record's fields after repair, waiting for the batched language step."""

    text: str
    title: str | None
    metadata: dict[str, Any]
    language: str | None
    new_text: str
    flags: list[str]


def _prepare(
    text: str, title: str | None, metadata: dict[str, Any], language: str | None, cfg: CleanConfig
) -> _Prepared | Cleaned:
    """Garbage test, repair steps and the empty/short checks: a quarantine decision or the repaired text."""
    ratio = garbage_ratio(text)
    if ratio > cfg.binary_garbage_ratio:
        detail = (
            f"{ratio:.0%} of {len(text):,} characters are control or replacement characters "
            f"(limit clean.binary_garbage_ratio={cfg.binary_garbage_ratio:g}); is the file's encoding right?"
        )
        return _redacted_raw(text, title, metadata, cfg, "binary_garbage", detail)
    flags: list[str] = []
    new_text = _repair(text, cfg, flags, replies=True, author=_author_of(metadata) if metadata else None)
    if not new_text:
        return _redacted_raw(
            text, title, metadata, cfg, "empty_after_cleaning", "text is empty after cleaning"
        )
    if len(new_text) < cfg.min_text_chars:
        detail = (
            f"{len(new_text)} characters after cleaning, fewer than clean.min_text_chars={cfg.min_text_chars}"
        )
        return _redacted_raw(text, title, metadata, cfg, "too_short", detail)
    if len(new_text) > 2 * cfg.max_text_chars:
        # Redaction cost grows with length and all but max_text_chars is cut
        # anyway. The margin keeps a PII token that straddles max_text_chars
        # whole for redaction; the final word-boundary cut still flags it.
        new_text = new_text[: 2 * cfg.max_text_chars]
    return _Prepared(text, title, metadata, language or None, new_text, flags)


def _finish(p: _Prepared, detected: str | None, cfg: CleanConfig) -> Cleaned:
    """Language flag, title, redaction and truncation for one prepared record."""
    update: dict[str, Any] = {}
    flags = p.flags
    language = p.language
    if language is None and detected is not None:
        language = detected
        update["language"] = detected
    if language and language != UNDETERMINED and not language.lower().startswith("en"):
        flags.append(_F_NON_EN)

    new_text = p.new_text
    new_title = p.title
    if new_title:
        new_title = _repair(new_title, cfg, flags, replies=False) or None

    pii: dict[str, int] = {}
    if cfg.redact_pii:
        new_text, counts = redact(
            new_text, phone_regions=cfg.phone_regions, names=cfg.redact_names, addresses=cfg.redact_addresses
        )
        if new_title:
            new_title = _redact_value(new_title, cfg, counts)
        if p.metadata:
            new_metadata = _redact_value(p.metadata, cfg, counts)
            if new_metadata != p.metadata:
                update["metadata"] = new_metadata
        if counts:
            flags.append(_F_PII)
            pii = dict(counts)

    new_text, cut = truncate(new_text, cfg.max_text_chars)
    if new_title:
        new_title, cut_title = truncate(new_title, cfg.max_text_chars)
        cut = cut or cut_title
    if cut:
        flags.append(_F_TRUNC)

    if new_text != p.text:
        update["text"] = new_text
    if new_title != p.title:
        update["title"] = new_title
    return Cleaned(None, "", update, flags, pii)


def clean_fields_batch(
    fields: list[tuple[str, str | None, dict[str, Any], str | None]], cfg: CleanConfig
) -> list[Cleaned]:
    """Clean (text, title, metadata, language) tuples; the pure core of `clean_records` (no pydantic).

    Three passes so that language detection runs as one batch (see
    `detect_languages` for why that is 2x cheaper than interleaving it).
    """
    prepared = [_prepare(text, title, metadata, language, cfg) for text, title, metadata, language in fields]
    detected: list[str | None] = [None] * len(prepared)
    if cfg.detect_language:
        todo = [i for i, p in enumerate(prepared) if isinstance(p, _Prepared) and p.language is None]
        if todo:
            found = detect_languages(
                [prepared[i].new_text for i in todo],  # type: ignore[union-attr]
                backend=cfg.language_detector,
                languages=tuple(cfg.languages),
                min_chars=cfg.language_min_chars,
                min_confidence=cfg.language_min_confidence,
                short_confidence=cfg.language_short_confidence,
            )
            for i, (code, _) in zip(todo, found, strict=True):
                detected[i] = code
    # Person names need spaCy: one nlp.pipe pass over the batch afterwards
    # instead of a model call per record inside _finish.
    names = cfg.redact_pii and cfg.redact_names
    finish_cfg = cfg.model_copy(update={"redact_names": False}) if names else cfg
    results = [
        p if isinstance(p, Cleaned) else _finish(p, d, finish_cfg)
        for p, d in zip(prepared, detected, strict=True)
    ]
    if names:
        results = _redact_names_pass(results, fields)
    return results


def _redact_names_pass(
    results: list[Cleaned], fields: list[tuple[str, str | None, dict[str, Any], str | None]]
) -> list[Cleaned]:
    slots: list[tuple[int, str]] = []
    texts: list[str] = []
    for i, c in enumerate(results):
        if c.reason is not None:
            continue
        slots.append((i, "text"))
        texts.append(c.update.get("text", fields[i][0]))
        title = c.update.get("title", fields[i][1])
        if title:
            slots.append((i, "title"))
            texts.append(title)
    for (i, name), (new, n) in zip(slots, redact_names_batch(texts), strict=True):
        if not n:
            continue
        c = results[i]
        pii = {**c.pii, "NAME": c.pii.get("NAME", 0) + n}
        flags = c.flags if _F_PII in c.flags else [*c.flags, _F_PII]
        results[i] = c._replace(update={**c.update, name: new}, pii=pii, flags=flags)
    return results


def clean_fields(
    text: str, title: str | None, metadata: dict[str, Any], language: str | None, cfg: CleanConfig
) -> Cleaned:
    """Clean the text fields of one record (see `clean_fields_batch`)."""
    return clean_fields_batch([(text, title, metadata, language)], cfg)[0]


def apply_cleaned(
    record: FeedbackRecord, cleaned: Cleaned, stats: CleanStats | None = None
) -> FeedbackRecord | QuarantineRow:
    """Turn a `Cleaned` decision into a new record or a quarantine row (the input is not mutated)."""
    if cleaned.reason is not None:
        if stats is not None:
            stats.quarantined[cleaned.reason] += 1
        safe = record.model_copy(update=cleaned.update) if cleaned.update else record
        return QuarantineRow(
            source=record.source,
            input_file=record.input_file,
            input_row=record.input_row,
            reason=cleaned.reason,
            detail=cleaned.detail,
            raw=safe.model_dump_json(),
        )
    update = cleaned.update
    if cleaned.flags:
        update = {**update, "flags": list(dict.fromkeys([*record.flags, *cleaned.flags]))}
    if stats is not None:
        stats.kept += 1
        for flag in dict.fromkeys(cleaned.flags):
            stats.flags[flag] += 1
        # Counter.update() pays an ABC isinstance check per call; this is per record.
        for kind, n in cleaned.pii.items():
            stats.pii[kind] += n
    return record.model_copy(update=update) if update else record.model_copy()


def clean_record(
    record: FeedbackRecord, cfg: CleanConfig, stats: CleanStats | None = None
) -> FeedbackRecord | QuarantineRow:
    """Clean one record: repair, strip HTML/replies, normalise, detect language, redact, truncate.

    Returns a new `FeedbackRecord` (the input is never mutated) with flags for
    every change, or a `QuarantineRow` (reason `binary_garbage`,
    `empty_after_cleaning` or `too_short`) whose raw JSON is already redacted.
    """
    cleaned = clean_fields(record.text, record.title, record.metadata, record.language, cfg)
    return apply_cleaned(record, cleaned, stats)


def clean_records(
    records: list[FeedbackRecord],
    cfg: CleanConfig,
    source: str,
    stats: CleanStats | None = None,
) -> tuple[list[FeedbackRecord], list[QuarantineRow]]:
    """Clean a batch; returns (clean records, quarantine rows), both in input order.

    With `cfg.workers > 1` and at least `cfg.parallel_min_records` records the
    batch is split over a process pool. `stats`, when given, is updated with
    counts (see `CleanStats.summary`).
    """
    t0 = time.perf_counter()
    batch_stats = CleanStats(records=len(records))
    fields = [(r.text, r.title, r.metadata, r.language) for r in records]
    if cfg.workers > 1 and len(records) >= cfg.parallel_min_records:
        from voc.clean.parallel import clean_fields_parallel

        decisions = clean_fields_parallel(fields, cfg, clean_fields_batch)
    else:
        decisions = clean_fields_batch(fields, cfg)
    results = [apply_cleaned(r, c, batch_stats) for r, c in zip(records, decisions, strict=True)]
    batch_stats.seconds = time.perf_counter() - t0
    kept: list[FeedbackRecord] = []
    quarantined: list[QuarantineRow] = []
    for item in results:
        if isinstance(item, QuarantineRow):
            if item.source != source:
                item = item.model_copy(update={"source": source})
            quarantined.append(item)
        else:
            kept.append(item)
    if stats is not None:
        stats.merge(batch_stats)
    log.debug("%s (source %s)", batch_stats.summary(), source)
    return kept, quarantined
