"""The keys a home needs, and the one place that decides whether a home is a demo.

A demo home holds generated sample data only. It is marked by the file `<home>/.edumon-demo`, which
only `edumon generate --preset demo --demo-home HOME` (scripts/demo.sh) writes: a marker inside one
home cannot leak into another the way an environment variable in a shell profile would. Only a demo
home may use the documented development values of orchestration.yaml (the СНИЛС HMAC key, the
Superset admin password); every other home refuses to ingest or to start Superset without them in
the environment. Superset's session-signing key is never a published value, demo or not: unset in
the environment, it is a random key generated once per home into a file only its owner can read.
docs/security.md is the operator's version of this.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from pipelines.config import ConfigError, home_dir, home_path, load_config

log = logging.getLogger(__name__)

DEMO_MARKER = ".edumon-demo"
SUPERSET_SECRET_KEY_FILE = "secret_key"  # inside the home's superset folder (paths.superset)
MIN_SECRET_KEY_LENGTH = 32  # superset_config.py refuses shorter keys too
_MARKER_TEXT = """\
This edumon home holds generated demo data (edumon generate --preset demo).
Because of this file the home may use the documented development keys of orchestration.yaml,
which are public: never load real exports into it. See docs/security.md.
"""
_warned: set[Path] = set()


class MissingSecret(ConfigError):
    """A key the home needs is not in the environment; the message names the variable.

    A ConfigError, so `edumon` prints it and exits 2 before doing any work.
    """


@dataclass(frozen=True)
class SupersetAdmin:
    user: str
    password: str
    development: bool  # the documented demo values, not the environment's


def is_demo(home: str | Path | None) -> bool:
    """True when the home carries the demo marker (a regular file, not a link to elsewhere)."""
    marker = home_dir(home) / DEMO_MARKER
    return marker.is_file() and not marker.is_symlink()


def mark_demo(home: str | Path | None) -> Path:
    """Mark a home as a demo home (idempotent); the marker says what it allows."""
    root = home_dir(home)
    root.mkdir(parents=True, exist_ok=True)
    marker = root / DEMO_MARKER
    marker.write_text(_MARKER_TEXT, encoding="utf-8")
    return marker


def _missing(variable: str, purpose: str, home: Path) -> MissingSecret:
    return MissingSecret(
        f"{variable} is not set: {purpose} outside a demo home ({home} has no {DEMO_MARKER}); "
        f"set it in the environment (docs/security.md)"
    )


def snils_key(home: str | Path | None) -> bytes:
    """The HMAC key for СНИЛС: the environment's, else the development key in a demo home only.

    Under a published key the hash is reversible (10⁹ СНИЛС take about half an hour to enumerate),
    so a home with real data must not ingest without its own key.
    """
    privacy = load_config().privacy
    value = os.environ.get(privacy.snils_key_env)
    if value:
        return value.encode()
    root = home_dir(home)
    if not is_demo(root):
        raise _missing(privacy.snils_key_env, "the ingest will not hash СНИЛС with a public key", root)
    if root not in _warned:
        _warned.add(root)
        log.warning(
            "demo home %s: СНИЛС hashed with the documented development key (privacy.development_key)",
            root,
        )
    return privacy.development_key.encode()


def superset_admin(home: str | Path | None) -> SupersetAdmin:
    """The Superset admin account: the environment's password, else the demo's documented one."""
    cfg = load_config().superset
    user = os.environ.get(cfg.admin_user_env) or cfg.development_admin_user
    password = os.environ.get(cfg.admin_password_env)
    if password:
        return SupersetAdmin(user, password, development=False)
    root = home_dir(home)
    if not is_demo(root):
        raise _missing(
            cfg.admin_password_env, "Superset will not start with a published admin password", root
        )
    return SupersetAdmin(user, cfg.development_admin_password, development=True)


def superset_secret_key(home: str | Path | None) -> str:
    """Superset's session-signing key: the environment's, else this home's generated key file.

    The file is created on first use with `secrets.token_urlsafe` and mode 0600; one readable by
    others, a link or an empty file is refused rather than trusted or replaced (replacing would log
    everybody out and hide the exposure).
    """
    variable = load_config().superset.secret_key_env
    value = os.environ.get(variable)
    if value:
        if len(value) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(
                f"{variable} is shorter than {MIN_SECRET_KEY_LENGTH} characters: too easy to guess"
            )
        return value
    path = home_path("superset", home) / SUPERSET_SECRET_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return _read_key_file(path)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(48) + "\n")
    return _read_key_file(path)


def _read_key_file(path: Path) -> str:
    info = path.lstat()
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{path} is not a regular file: remove it and start again to generate a new key")
    if info.st_mode & 0o077:
        raise ConfigError(
            f"{path} can be read by other users (mode {stat.S_IMODE(info.st_mode):o}): "
            f"`chmod 600 {path}`, or remove it to generate a new key (everyone is logged out)"
        )
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise ConfigError(f"{path} is empty: remove it and start again to generate a new key")
    return key
