"""Superset dashboards: its own environment, the asset bundle, roles and the refresh asset."""
