"""`edumon superset up|sync|down`: Superset in its own environment, dashboards from the bundle."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.config import home_dir, home_path, load_config
from pipelines.dashboards import deploy, environment, users
from pipelines.dashboards.environment import SupersetError
from pipelines.secrets import DEMO_MARKER


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("superset", help="Superset dashboards: start, re-import, stop")
    actions = parser.add_subparsers(dest="superset_action", required=True, metavar="ACTION")
    up = actions.add_parser("up", help="install if needed, start Superset, import the dashboards")
    sync = actions.add_parser("sync", help="re-import the dashboards; delete what the bundle dropped")
    down = actions.add_parser("down", help="stop Superset")
    for action in (up, sync, down):
        action.add_argument("--home", default=None, help="working folder (default EDUMON_HOME or ./data)")
    for action in (up, sync):
        action.add_argument(
            "--bundle", type=Path, default=None, help="asset bundle folder (default dashboards/bundle)"
        )
    up.add_argument("--port", type=int, default=None, help="listen here instead of orchestration.yaml's port")
    user = actions.add_parser("user", help="accounts: a regional analyst's or the ministry's login")
    user_actions = user.add_subparsers(dest="user_action", required=True, metavar="ACTION")
    add = user_actions.add_parser("add", help="create (or update) a user with one edumon role")
    add.add_argument("--home", default=None, help="working folder (default EDUMON_HOME or ./data)")
    add.add_argument("--username", required=True)
    who = add.add_mutually_exclusive_group(required=True)
    who.add_argument("--region", help="role «Аналитик REGION»: sees only that region's rows")
    who.add_argument("--ministry", action="store_true", help="the ministry role: sees every region")
    add.add_argument(
        "--password-env", default=None, help="read the password from this environment variable (default: ask)"
    )
    add.add_argument("--email", default=None)
    add.set_defaults(handler=run_user_add)
    up.set_defaults(handler=run_up)
    sync.set_defaults(handler=run_sync)
    down.set_defaults(handler=run_down)


def print_report(report: deploy.SyncReport) -> None:
    counts = ", ".join(f"{kind} {count}" for kind, count in report.imported.items())
    print(f"imported: {counts}")
    for kind, uuids in report.deleted.items():
        print(f"deleted from Superset (no longer in the bundle): {kind} {len(uuids)}")
    print(f"roles: {', '.join(report.roles)}")


def print_login(home: str | Path | None) -> None:
    cfg = load_config().superset
    admin = deploy.admin_login(home)
    if admin.development:
        print(
            f"login: {admin.user} / {admin.password}  (the demo's documented development values; "
            f"a home without {DEMO_MARKER} needs {cfg.admin_password_env})"
        )
    else:
        print(f"login: {admin.user} / (the password in {cfg.admin_password_env})")


def run_up(args: argparse.Namespace) -> int:
    deploy.admin_login(args.home)  # outside a demo home no admin password, no Superset: exit 2 first
    serving = home_path("serving", args.home)
    if not serving.exists():
        print(f"note: {serving} does not exist yet; dashboards stay empty until `edumon run` publishes it")
    try:
        runtime, report = deploy.up(args.home, args.port, args.bundle)
    except SupersetError as error:
        print(error, file=sys.stderr)
        return 1
    print_report(report)
    print(f"Superset is up: {runtime.url}/dashboard/list/  (log {runtime.log_file})")
    print_login(args.home)
    return 0


def run_sync(args: argparse.Namespace) -> int:
    try:
        runtime = deploy.running_runtime(args.home)
        report = deploy.sync_bundle(runtime, home_path("serving", args.home), args.bundle)
    except SupersetError as error:
        print(error, file=sys.stderr)
        return 1
    print_report(report)
    return 0


def run_down(args: argparse.Namespace) -> int:
    runtime = environment.saved_runtime(args.home)
    if environment.stop(runtime):
        print(f"Superset stopped ({home_dir(args.home)})")
    else:
        print("Superset was not running")
    return 0


def run_user_add(args: argparse.Namespace) -> int:
    try:
        role = users.role_for(None if args.ministry else args.region, list(load_config().regions))
        password = users.read_password(args.password_env)
        runtime = deploy.running_runtime(args.home)
        account = users.add_user(deploy.client_for(runtime), args.username, password, role, args.email)
    except (SupersetError, users.UserError) as error:
        print(error, file=sys.stderr)
        return 1
    done = "created" if account.created else "updated (role and password replaced)"
    print(f"user {account.username} {done}: role «{account.role}»; log in at {runtime.url}/login/")
    return 0
