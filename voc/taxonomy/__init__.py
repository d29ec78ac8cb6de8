"""Journey stages and CX-framework pillars: taxonomies in TOML, zero-shot mapping of themes and mentions."""
