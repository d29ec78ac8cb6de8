"""What every model sees of a text: `normalize_text` (no model, no heavy import).

Shared by the sentence encoder (`voc.nlp.encoder`) and the sentiment models
(`voc.nlp.sentiment`), so neither has to import the other for it.
"""

from __future__ import annotations

import re
from typing import Any

_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"(?<!\w)@\w{1,30}")
_SPACE = re.compile(r"\s+")


def _emoji_name(chars: str, data: dict[str, Any]) -> str:
    return " " + data["en"].strip(":").replace("_", " ") + " "


def normalize_text(text: str) -> str:
    """What the model sees: URLs and @handles replaced by placeholders, emoji named, spaces collapsed.

    Handles name the brand being addressed, not an opinion; keeping them would
    let the model learn one company's base rate instead of the wording. Emoji
    become their English names ("enraged face", "thumbs down"): MiniLM's
    vocabulary has no emoji, so they would all read as the same [UNK] token
    although they often carry the whole sentiment of a short message.
    """
    text = _URL.sub("http", text or "")
    text = _HANDLE.sub("@user", text)
    if not text.isascii():  # the emoji scan is the slow part; most feedback has none
        import emoji

        text = emoji.replace_emoji(text, replace=_emoji_name).replace("\ufe0f", "")
    return _SPACE.sub(" ", text).strip()
