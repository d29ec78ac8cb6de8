"""Jobs that wire the stages together: ingest, the analysis stages, the whole run.

These are the library-level jobs the CLI and the Prefect flows call. They
open the store, call each stage and record a row in `runs`; the stages
themselves live in their own packages.
"""
