"""The serving snapshot: the marts copied into serving.duckdb by an atomic swap."""
