"""Helpers only tests use (a headless browser, the production publish path over a fixture lake)."""
