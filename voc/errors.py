"""Errors with codes that say what happened, show the value, and tell the fix.

Modelled on spaCy's `errors.py`: every user-facing failure is a `VocError`
subclass carrying a stable code (E1xx config, E2xx input, E3xx store,
E4xx models, E5xx stages, E6xx delivery) so logs and docs can point at it.
The CLI turns these into a one-line message and a non-zero exit code.
"""

from __future__ import annotations


class VocError(Exception):
    """Base class for every error voc raises on purpose."""

    code: str = "E000"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        if code:
            self.code = code
        super().__init__(f"[{self.code}] {message}")
        self.message = message

    def __reduce__(self) -> tuple:
        # Errors cross process boundaries (the ingest read-ahead child, Dask workers): pickle the
        # message and code, not the formatted text, or the copy reads "[E200] [E206] ...".
        return (_rebuild, (type(self), self.message, self.code))


def _rebuild(cls: type[VocError], message: str, code: str) -> VocError:
    return cls(message, code=code)


class ConfigError(VocError):
    """The configuration is missing, unreadable or has a bad key or value."""

    code = "E100"


class InputError(VocError):
    """An input file or API response cannot be used as a whole (not one bad row)."""

    code = "E200"


class StoreError(VocError):
    """The store cannot be opened, is locked, or an operation on it failed."""

    code = "E300"


class StoreLockedError(StoreError):
    """Another voc process holds the store's write lock."""

    code = "E301"


class ModelError(VocError):
    """A model cannot be found, loaded or used."""

    code = "E400"


class StageError(VocError):
    """A pipeline stage cannot run on the data it was given."""

    code = "E500"


class DeliveryError(VocError):
    """A notification (webhook, e-mail) could not be delivered."""

    code = "E600"
