"""The keys policy of pipelines/secrets.py: development values in a demo home only, a generated
0600 Superset key per home, and no command that starts work without the keys it needs.

These matter because a published key is no key: a СНИЛС hash under it is reversible and a session
cookie signed with it is a forged login. On failure: read pipelines/secrets.py and docs/security.md.
"""

from __future__ import annotations

import json
import runpy
import stat
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from pipelines.cli import main
from pipelines.config import ConfigError, load_config
from pipelines.dashboards.bundle import SERVING_CONNECTION
from pipelines.dashboards.environment import SUPERSET_CONFIG_FILE
from pipelines.secrets import (
    DEMO_MARKER,
    MissingSecret,
    is_demo,
    mark_demo,
    snils_key,
    superset_admin,
    superset_secret_key,
)

SNILS_ENV = load_config().privacy.snils_key_env
ADMIN_ENV = load_config().superset.admin_password_env
SECRET_ENV = load_config().superset.secret_key_env
# The key superset_config.py used before: published in this repository's history, so never valid.
PUBLISHED_SUPERSET_KEY = "edumon-superset-development-key-do-not-use-in-production"


@pytest.fixture(autouse=True)
def _no_keys_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (SNILS_ENV, ADMIN_ENV, SECRET_ENV, load_config().superset.admin_user_env):
        monkeypatch.delenv(variable, raising=False)


def test_only_the_marker_file_makes_a_demo_home(tmp_path: Path) -> None:
    """A plain folder is not a demo; `mark_demo` makes it one; a marker that is a symlink (pointing
    at some other home's marker) does not count."""
    home, other = tmp_path / "home", tmp_path / "other"
    home.mkdir()
    assert not is_demo(home)
    mark_demo(other)
    (home / DEMO_MARKER).symlink_to(other / DEMO_MARKER)
    assert is_demo(other) and not is_demo(home)


def test_snils_key_outside_a_demo_needs_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No key: a plain home refuses with the variable's name, a demo home gets the documented
    development key; a key in the environment wins in both."""
    plain, demo = tmp_path / "plain", tmp_path / "demo"
    plain.mkdir()
    mark_demo(demo)
    with pytest.raises(MissingSecret, match=SNILS_ENV):
        snils_key(plain)
    assert snils_key(demo) == load_config().privacy.development_key.encode()
    monkeypatch.setenv(SNILS_ENV, "a-real-key-from-the-vault")
    assert snils_key(plain) == snils_key(demo) == b"a-real-key-from-the-vault"


def test_superset_admin_outside_a_demo_needs_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The admin password: the environment's, else the demo's documented one in a demo home only."""
    cfg = load_config().superset
    plain, demo = tmp_path / "plain", tmp_path / "demo"
    plain.mkdir()
    mark_demo(demo)
    with pytest.raises(MissingSecret, match=ADMIN_ENV):
        superset_admin(plain)
    development = superset_admin(demo)
    assert development.development and development.password == cfg.development_admin_password
    monkeypatch.setenv(ADMIN_ENV, "s3cret-from-the-vault")
    chosen = superset_admin(plain)
    assert (chosen.user, chosen.password, chosen.development) == (
        cfg.development_admin_user,
        "s3cret-from-the-vault",
        False,
    )


def test_superset_secret_key_is_generated_once_per_home_0600(tmp_path: Path) -> None:
    """Without the environment's key each home gets its own random key in a 0600 file, the same on
    every start, never the key that used to be written in the code — demo homes included."""
    first, second = tmp_path / "first", tmp_path / "second"
    mark_demo(first)
    key = superset_secret_key(first)
    path = first / load_config().paths.superset / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert superset_secret_key(first) == key and len(key) >= 32
    assert superset_secret_key(second) != key
    assert PUBLISHED_SUPERSET_KEY not in {key, superset_secret_key(second)}


def test_superset_secret_key_refuses_what_it_cannot_trust(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key file others can read, an empty one or a too short key from the environment is refused
    with what to do, not silently replaced or used; a long enough environment key wins."""
    path = tmp_path / load_config().paths.superset / "secret_key"
    superset_secret_key(tmp_path)
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        superset_secret_key(tmp_path)
    path.write_text("")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="empty"):
        superset_secret_key(tmp_path)
    monkeypatch.setenv(SECRET_ENV, "short")
    with pytest.raises(ConfigError, match=SECRET_ENV):
        superset_secret_key(tmp_path)
    monkeypatch.setenv(SECRET_ENV, "k" * 40)
    assert superset_secret_key(tmp_path) == "k" * 40


def test_superset_config_has_no_fallback_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """superset_config.py (loaded by Superset itself) refuses to load without a key rather than
    signing sessions with one written in the code."""
    monkeypatch.setenv("EDUMON_SUPERSET_HOME", str(tmp_path))
    monkeypatch.setenv("EDUMON_DUCKDB_CONNECTION", json.dumps(SERVING_CONNECTION))
    with pytest.raises(RuntimeError, match="EDUMON_SUPERSET_SECRET_KEY"):
        runpy.run_path(str(SUPERSET_CONFIG_FILE))
    monkeypatch.setenv("EDUMON_SUPERSET_SECRET_KEY", "k" * 40)
    assert runpy.run_path(str(SUPERSET_CONFIG_FILE))["SECRET_KEY"] == "k" * 40


def test_superset_forces_the_serving_settings_on_every_duckdb_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """superset_config.py's DB_CONNECTION_MUTATOR puts SERVING_CONNECTION on any DuckDB URI, also
    one an admin edited to turn external access back on, and leaves other databases alone."""
    monkeypatch.setenv("EDUMON_SUPERSET_HOME", str(tmp_path))
    monkeypatch.setenv("EDUMON_SUPERSET_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("EDUMON_DUCKDB_CONNECTION", json.dumps(SERVING_CONNECTION))
    mutate = runpy.run_path(str(SUPERSET_CONFIG_FILE))["DB_CONNECTION_MUTATOR"]
    edited = make_url("duckdb:////srv/serving.duckdb?enable_external_access=true&lock_configuration=false")
    uri, params = mutate(edited, {"connect_args": {}}, None, None, None)
    assert dict(uri.query) == SERVING_CONNECTION and params == {"connect_args": {}}
    other = make_url("postgresql://reader@db/edumon")
    assert mutate(other, {}, None, None, None)[0] == other


@pytest.mark.parametrize(
    ("argv", "variable"),
    [
        (["run"], SNILS_ENV),
        (["backfill", "--from", "2026-W45", "--to", "2026-W46"], SNILS_ENV),
        (["superset", "up"], ADMIN_ENV),
    ],
)
def test_commands_refuse_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], variable: str
) -> None:
    """Outside a demo home `run`, `backfill` and `superset up` without their key exit 2 with one
    sentence naming the variable, and leave the home as it was (no instance, no Superset files)."""
    home = tmp_path / "home"
    home.mkdir()
    code = main([*argv, "--home", str(home)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert variable in err and len(err.splitlines()) == 1, err
    assert list(home.iterdir()) == []


def test_generate_marks_a_demo_home(tmp_path: Path) -> None:
    """`edumon generate --demo-home HOME` (what scripts/demo.sh runs) writes HOME's marker."""
    home = tmp_path / "home"
    argv = [
        "generate",
        "--preset",
        "demo",
        "--out",
        str(home / "landing"),
        "--weeks",
        "1",
        "--regions",
        "RU-KB",
    ]
    assert main([*argv, "--demo-home", str(home)]) == 0
    assert is_demo(home) and "never load real exports" in (home / DEMO_MARKER).read_text(encoding="utf-8")


def test_an_ingest_asset_started_from_the_ui_refuses(tmp_path: Path) -> None:
    """An ingest asset materialised outside the CLI (the Dagster UI, the landing sensor) in a home
    that is no demo and has no key fails with the sentence naming the variable, before it looks
    for a file (the landing is empty, which would otherwise be the failure)."""
    import dagster as dg

    from pipelines.ingest.assets import INGEST_ASSETS, EdumonHome, partition_key

    home = tmp_path / "home"
    (home / "landing").mkdir(parents=True)
    result = dg.materialize(
        [INGEST_ASSETS[0]],
        resources={"edumon": EdumonHome(home=str(home))},
        partition_key=str(partition_key(load_config().calendar.first_week, "RU-KB")),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    failures = [event for event in result.all_events if event.is_step_failure]
    assert failures
    description = failures[0].step_failure_data.user_failure_data.description
    assert SNILS_ENV in description
