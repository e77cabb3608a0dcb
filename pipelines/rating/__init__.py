"""The ministry's weekly rating edition (protocol of 18.10.2022 p.11, seed 002).

Read the published serving snapshot (`marts`), shape the tables an official reads (`tables`),
write them as XLSX, CSV and JSON with a manifest into outbox/ as an immutable, versioned edition
(`workbook`, `flat`, `edition`), from a Dagster asset on a weekly schedule (`assets`) or by hand
(`edumon rating`, `commands`). The file formats are described in docs/rating_edition.md.
"""
