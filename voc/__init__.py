"""voc: voice-of-customer text mining, offline and self-hosted.

The library is the API; the CLI (`voc.cli`) and the Prefect flows (`flows/`)
are thin layers over it. Heavy dependencies (torch, transformers, bertopic)
are imported inside the functions that need them so `import voc` stays fast.
"""

__version__ = "0.1.0"
