"""The gate: Great Expectations suites per dataset, the validation of a staged table, findings."""
