"""Measuring models on labelled data (`voc eval ...`); shared metric helpers in `voc.eval.metrics`."""
