"""Gates: Great Expectations suites per dataset, the load gate, freshness (missing files)."""
