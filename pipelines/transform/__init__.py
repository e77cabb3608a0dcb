"""dbt marts in Dagster: the dbt project's location, its vars from orchestration.yaml, the assets."""
