"""`edumon superset user add` without a Superset: the password rules and the role a region gets."""

from __future__ import annotations

import pytest

from pipelines.config import load_config
from pipelines.dashboards import users


def test_password_comes_from_the_named_variable_or_the_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    """The password is read from the variable named by --password-env, or typed twice at the prompt;
    an empty variable, two different entries or a short password stop with a message. Matters
    because a password on the command line stays in the shell history. On failure see users.py."""
    monkeypatch.setenv("EDUMON_TEST_PASSWORD", "analyst-pass-1")
    assert users.read_password("EDUMON_TEST_PASSWORD") == "analyst-pass-1"
    monkeypatch.setenv("EDUMON_TEST_PASSWORD", "")
    with pytest.raises(users.UserError, match="EDUMON_TEST_PASSWORD"):
        users.read_password("EDUMON_TEST_PASSWORD")
    typed = iter(["analyst-pass-2", "analyst-pass-2"])
    assert users.read_password(None, prompt=lambda _: next(typed)) == "analyst-pass-2"
    differing = iter(["analyst-pass-2", "analyst-pass-3"])
    with pytest.raises(users.UserError, match="differ"):
        users.read_password(None, prompt=lambda _: next(differing))
    short = iter(["short", "short"])
    with pytest.raises(users.UserError, match="shorter"):
        users.read_password(None, prompt=lambda _: next(short))


def test_a_region_gets_its_analyst_role_and_an_unknown_region_is_refused() -> None:
    """--region RU-KB gives «Аналитик RU-KB» (the role row-level security filters), --ministry the
    ministry role; a region not in orchestration.yaml is refused, naming the deployed ones."""
    cfg = load_config()
    regions = list(cfg.regions)
    assert users.role_for("RU-KB", regions) == f"{cfg.superset.regional_role_prefix}RU-KB"
    assert users.role_for(None, regions) == cfg.superset.ministry_role
    with pytest.raises(users.UserError, match="RU-KB"):
        users.role_for("RU-XX", regions)
