"""Ingest: landing files → parsed, normalised, PII-free, gated Parquet partitions in the lake."""
