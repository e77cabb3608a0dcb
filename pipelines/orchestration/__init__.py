"""Orchestration: the Dagster instance of a home and the runs `edumon run | backfill` execute."""
