"""Superset's own pinned virtualenv and its process: install once per machine, start, wait, stop.

Superset cannot share the pipeline's .venv (it pins pandas 2.1, numpy 1.26 and SQLAlchemy 1.4,
STACK.md), so it lives in `superset.environment` (default .superset/venv), built from the committed
requirements and constraints. A marker file holds the hash of both: a changed pin reinstalls,
an unchanged one costs nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipelines.config import PROJECT_ROOT, Superset, home_dir, home_path, load_config
from pipelines.dashboards.bundle import SERVING_CONNECTION
from pipelines.secrets import superset_secret_key

SUPERSET_CONFIG_FILE = Path(__file__).with_name("superset_config.py")
PATCHES_FILE = PROJECT_ROOT / "dashboards" / "superset-patches.yaml"
MARKER_NAME = ".edumon-requirements.sha256"


class SupersetError(RuntimeError):
    """Superset could not be installed, started or reached; the message says what to look at."""


@dataclass(frozen=True)
class Runtime:
    """Where one Superset instance keeps its files and where it listens."""

    home: Path  # <edumon home>/superset: SQLite metadata, caches, pid, log, state, secret key
    host: str
    port: int
    root: Path  # the edumon home itself: whether it is a demo decides which keys it may use

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.home / "superset.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "superset.log"

    @property
    def state_file(self) -> Path:
        return self.home / "state.json"


def settings() -> Superset:
    return load_config().superset


def runtime_for(home: str | Path | None, port: int | None = None) -> Runtime:
    """The runtime of a home folder; a port given here (tests) overrides orchestration.yaml."""
    cfg = settings()
    return Runtime(
        home=home_path("superset", home), host=cfg.host, port=port or cfg.port, root=home_dir(home)
    )


def saved_runtime(home: str | Path | None) -> Runtime:
    """The runtime `up` recorded for this home (its port may differ from the configured one)."""
    runtime = runtime_for(home)
    if runtime.state_file.exists():
        state = json.loads(runtime.state_file.read_text(encoding="utf-8"))
        return Runtime(home=runtime.home, host=state["host"], port=int(state["port"]), root=runtime.root)
    return runtime


# --- the virtualenv ------------------------------------------------------------------------


def venv_dir() -> Path:
    return PROJECT_ROOT / settings().environment


def venv_bin(name: str) -> Path:
    return venv_dir() / "bin" / name


def requirements_hash() -> str:
    cfg = settings()
    digest = hashlib.sha256()
    for path in (PROJECT_ROOT / cfg.requirements, PROJECT_ROOT / cfg.constraints, PATCHES_FILE):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def is_installed() -> bool:
    marker = venv_dir() / MARKER_NAME
    return marker.exists() and marker.read_text().strip() == requirements_hash()


def install(log: Path | None = None) -> bool:
    """Build the Superset virtualenv from the pinned files; False when it was already current."""
    if is_installed():
        return False
    cfg = settings()
    target = venv_dir()
    print(f"== installing Superset into {target} (one time per machine, a few minutes)")
    if not (target / "bin" / "python").exists():
        _run([sys.executable, "-m", "venv", str(target)], log)
    pip = [str(target / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
    _run(
        [*pip, "-r", str(PROJECT_ROOT / cfg.requirements), "-c", str(PROJECT_ROOT / cfg.constraints)],
        log,
    )
    apply_patches(site_packages(target))
    (target / MARKER_NAME).write_text(requirements_hash() + "\n")
    return True


def site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python*/site-packages"))
    if not found:
        raise SupersetError(f"{venv}: no site-packages folder (a broken virtualenv? delete it and re-run)")
    return found[-1]


def apply_patches(packages: Path) -> list[Path]:
    """Apply dashboards/superset-patches.yaml to the installed Superset; the files changed.

    Each patch is applied to the pristine copy (<file>.orig, made the first time), so running it
    again, or after a patch changed, gives the same file.
    """
    changed = []
    for patch in yaml.safe_load(PATCHES_FILE.read_text(encoding="utf-8"))["patches"]:
        find, replace = patch["find"].encode("utf-8"), patch["replace"].encode("utf-8")
        hits = []
        for path in sorted(packages.glob(patch["files"])):
            pristine = path.with_name(path.name + ".orig")
            content = (pristine if pristine.exists() else path).read_bytes()  # bytes: newlines as they are
            if find in content:
                hits.append((path, pristine, content))
        if len(hits) != 1 or hits[0][2].count(find) != 1:
            raise SupersetError(
                f"{PATCHES_FILE.name}: {patch['find']!r} occurs {sum(h[2].count(find) for h in hits)} "
                f"times in {len(hits)} files of {patch['files']} (expected once in one): is this another "
                "Superset version? Re-check the patch against it"
            )
        path, pristine, content = hits[0]
        if not pristine.exists():
            pristine.write_bytes(content)
        path.write_bytes(content.replace(find, replace))
        changed.append(path)
    return changed


def _run(command: list[str], log: Path | None, env: dict[str, str] | None = None) -> None:
    """Run a command; on failure raise with the tail of its output."""
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
        raise SupersetError(f"`{' '.join(command[:4])} ...` failed ({result.returncode}):\n{tail}")


# --- the superset CLI ----------------------------------------------------------------------


def superset_env(runtime: Runtime) -> dict[str, str]:
    """The environment every Superset process of this runtime gets."""
    env = dict(os.environ)
    env.update(
        {
            "SUPERSET_CONFIG_PATH": str(SUPERSET_CONFIG_FILE),
            "EDUMON_SUPERSET_HOME": str(runtime.home),
            "FLASK_APP": "superset.app:create_app()",
            "PYTHONUNBUFFERED": "1",
        }
    )
    # The environment's key or the home's generated one, never a published one (superset_config.py).
    env["EDUMON_SUPERSET_SECRET_KEY"] = superset_secret_key(runtime.root)
    env["EDUMON_DUCKDB_CONNECTION"] = json.dumps(SERVING_CONNECTION)
    return env


def superset_cli(runtime: Runtime, *arguments: str) -> None:
    runtime.home.mkdir(parents=True, exist_ok=True)
    _run([str(venv_bin("superset")), *arguments], runtime.log_file, superset_env(runtime))


def prepare_metadata(runtime: Runtime, admin_user: str, admin_password: str) -> None:
    """Migrate the SQLite metadata, create the admin (kept if it exists), create roles and permissions."""
    superset_cli(runtime, "db", "upgrade")
    superset_cli(
        runtime,
        "fab",
        "create-admin",
        "--username",
        admin_user,
        "--firstname",
        "Администратор",
        "--lastname",
        "edumon",
        "--email",
        f"{admin_user}@edumon.local",
        "--password",
        admin_password,
    )
    superset_cli(runtime, "init")


# --- the process ---------------------------------------------------------------------------


def running_pid(runtime: Runtime) -> int | None:
    """The pid of this runtime's Superset if it is alive."""
    if not runtime.pid_file.exists():
        return None
    try:
        pid = int(runtime.pid_file.read_text().strip())
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return None
    except PermissionError:
        return pid
    return None if _reaped(pid) else pid


def _reaped(pid: int) -> bool:
    """True when `pid` is our own exited child (a zombie still answers signal 0)."""
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return finished == pid


def start(runtime: Runtime) -> int:
    """Start gunicorn serving Superset in the background; the pid goes to the pid file."""
    cfg = settings()
    runtime.home.mkdir(parents=True, exist_ok=True)
    command = [
        str(venv_bin("gunicorn")),
        "--workers",
        "1",
        "--threads",
        str(cfg.workers),
        "--worker-class",
        "gthread",
        "--timeout",
        str(cfg.request_timeout_seconds),
        "--bind",
        f"{runtime.host}:{runtime.port}",
        "--pid",
        str(runtime.pid_file),
        "superset.app:create_app()",
    ]
    with runtime.log_file.open("a", encoding="utf-8") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=superset_env(runtime),
            start_new_session=True,  # survives the `edumon` command that started it
        )
    runtime.pid_file.write_text(f"{process.pid}\n")
    runtime.state_file.write_text(
        json.dumps({"host": runtime.host, "port": runtime.port, "pid": process.pid}), encoding="utf-8"
    )
    return process.pid


def is_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wait_until_healthy(runtime: Runtime, timeout_seconds: float) -> None:
    """Poll /health until it answers, the process dies or the timeout passes."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if is_healthy(runtime.url):
            return
        if running_pid(runtime) is None:
            raise SupersetError(f"Superset exited during start-up; see {runtime.log_file}")
        time.sleep(1)  # poll interval, not a wait for readiness
    raise SupersetError(
        f"Superset did not answer {runtime.url}/health in {timeout_seconds} s; see {runtime.log_file}"
    )


def stop(runtime: Runtime, timeout_seconds: float = 30) -> bool:
    """Stop this runtime's Superset (TERM, then KILL); False when it was not running."""
    pid = running_pid(runtime)
    if pid is None:
        runtime.pid_file.unlink(missing_ok=True)
        return False
    os.killpg(os.getpgid(pid), signal.SIGTERM)
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline and running_pid(runtime) is not None:
        time.sleep(0.5)
    if running_pid(runtime) is not None:
        os.killpg(os.getpgid(pid), signal.SIGKILL)
    runtime.pid_file.unlink(missing_ok=True)
    return True
