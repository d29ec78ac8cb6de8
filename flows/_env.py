"""Environment defaults Prefect reads when it is first imported.

Imported by `flows/__init__.py` before anything imports Prefect, so every
entry point (tests, `voc flow run`, `voc serve`, a worker loading an
entrypoint) gets them. Values already set by the caller win.
"""

from __future__ import annotations

import os

DEFAULTS = {
    # The temporary local API can take over 20 s to start on a busy 2-core machine.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # Offline: the packaged models are on disk; a hub lookup would retry for a minute.
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    # The library logs through `logging`; this puts its lines in the Prefect run logs too.
    "PREFECT_LOGGING_EXTRA_LOGGERS": "voc",
}

for _key, _value in DEFAULTS.items():
    os.environ.setdefault(_key, _value)
