"""`edumon superset user add`: an account for a regional analyst or the ministry.

The account gets exactly one of the roles `edumon superset up|sync` maintains: «Аналитик <region>»
(row-level security: only that region's rows) or the ministry role (every region). The password is
read from an environment variable named on the command line, or asked for at the terminal, never
taken as an argument (it would stay in the shell history and the process list).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from dataclasses import dataclass

from supersetapiclient.client import SupersetClient

from pipelines.dashboards import api

MIN_PASSWORD_LENGTH = 8


class UserError(ValueError):
    """The account cannot be created as asked; the message says what to change."""


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    created: bool  # False: the user existed and got the role and the new password


def read_password(
    password_env: str | None,
    prompt: Callable[[str], str] = getpass.getpass,
) -> str:
    """The password from `password_env`, else typed twice at the terminal."""
    if password_env:
        password = os.environ.get(password_env, "")
        if not password:
            raise UserError(f"the environment variable {password_env} is empty or unset")
    else:
        password = prompt("Пароль: ")
        if prompt("Пароль ещё раз: ") != password:
            raise UserError("the two passwords differ")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password is shorter than {MIN_PASSWORD_LENGTH} characters")
    return password


def role_for(region: str | None, regions: list[str]) -> str:
    """The role name a region's analyst (or, with no region, the ministry) gets."""
    if region is not None and region not in regions:
        raise UserError(f"region {region} is not deployed (orchestration.yaml regions: {', '.join(regions)})")
    return api.role_names(regions if region is None else [region])[region]


def _role_id(client: SupersetClient, name: str) -> int:
    for role in api.list_all(
        client, "security/roles/", filters=[{"col": "name", "opr": "eq", "value": name}]
    ):
        if role["name"] == name:
            return int(role["id"])
    raise UserError(f"Superset has no role «{name}»: run `edumon superset sync` first")


def _user_id(client: SupersetClient, username: str) -> int | None:
    rows = api.list_all(
        client, "security/users/", filters=[{"col": "username", "opr": "eq", "value": username}]
    )
    return next((int(row["id"]) for row in rows if row.get("username") == username), None)


def add_user(
    client: SupersetClient, username: str, password: str, role: str, email: str | None = None
) -> Account:
    """Create the user with only `role`, or give an existing user only that role and the password."""
    role_id = _role_id(client, role)
    body = {
        "first_name": username,
        "last_name": role,
        "username": username,
        "email": email or f"{username}@edumon.local",
        "active": True,
        "password": password,
        "roles": [role_id],
    }
    existing = _user_id(client, username)
    if existing is None:
        api.send_json(client, "POST", "security/users/", body)
        return Account(username, role, created=True)
    api.send_json(client, "PUT", f"security/users/{existing}", body)
    return Account(username, role, created=False)
