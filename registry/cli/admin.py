"""``berth user|project|robot|cert``: administration from the command line.

These open the configured stores directly (see registry.cli.runner), so they work
on a registry that is not running.
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from registry.config import Config
from registry.core.rbac import ROLE_NAMES
from registry.cli.runner import run_on_registry
from registry.core.services import Services

Action = Callable[[Services, argparse.Namespace], Awaitable[int]]
ROLE_IDS = {name: role_id for role_id, name in ROLE_NAMES.items()}


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if args.password:
        return args.password
    return getpass.getpass("Password: ")


async def _user_named(s: Services, username: str):
    return await s.accounts.user_named(username)


async def _user_add(s: Services, a: argparse.Namespace) -> int:
    user_id = await s.accounts.create_user(a.username, _password(a), email=a.email or "", sysadmin=a.admin)
    print(f"created user {a.username} (id {user_id})")
    return 0


async def _user_passwd(s: Services, a: argparse.Namespace) -> int:
    user = await _user_named(s, a.username)
    await s.accounts.set_password(user.id, _password(a))
    print(f"password of {a.username} changed")
    return 0


async def _user_list(s: Services, a: argparse.Namespace) -> int:
    users, _ = await s.accounts.users("", 0, 100000)
    for user in users:
        print(f"{user.id}\t{user.username}\t{'admin' if user.sysadmin else ''}")
    return 0


async def _user_delete(s: Services, a: argparse.Namespace) -> int:
    user = await _user_named(s, a.username)
    await s.accounts.delete_user(user.id)
    print(f"deleted user {a.username}")
    return 0


async def _project_create(s: Services, a: argparse.Namespace) -> int:
    project_id = await s.projects.create(a.name, a.public, None, a.storage_limit)
    print(f"created {'public' if a.public else 'private'} project {a.name} (id {project_id})")
    return 0


async def _project_list(s: Services, a: argparse.Namespace) -> int:
    for project in await s.projects.all():
        print(f"{project.id}\t{project.name}\t{'public' if project.public else 'private'}")
    return 0


async def _project_member(s: Services, a: argparse.Namespace) -> int:
    project = await s.projects.get(a.project)
    user = await _user_named(s, a.username)
    await s.projects.set_member(project, user.id, ROLE_IDS[a.role])
    print(f"{a.username} is {a.role} of {a.project}")
    return 0


async def _robot_create(s: Services, a: argparse.Namespace) -> int:
    actions = [x for x in a.actions.split(",") if x]
    level = "project" if a.project else "system"
    namespace = a.project or "*"
    permissions = [{"kind": "project", "namespace": namespace,
                    "access": [{"resource": "repository", "action": x} for x in actions]}]
    robot = await s.robots.create(a.name, level, permissions, description=a.description or "",
                                  duration=a.days, creator="cli")
    print(json.dumps({"id": robot.id, "name": robot.name, "secret": robot.secret, "expires_at": robot.expires_at}))
    return 0


def _run(config: Config, action: Action, args: argparse.Namespace) -> int:
    return run_on_registry(config, lambda services: action(services, args))


def _password_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--password", help="the password (prefer --password-stdin or the prompt)")
    parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")


def add_commands(commands, config_args: Callable[[argparse.ArgumentParser], None],
                 load: Callable[[argparse.Namespace], Config]) -> None:
    """Register the administration subcommands on the ``berth`` parser."""

    def command(parent, name: str, action: Action, help_text: str) -> argparse.ArgumentParser:
        parser = parent.add_parser(name, help=help_text)
        config_args(parser)
        parser.set_defaults(run=lambda args: _run(load(args), action, args))
        return parser

    user = commands.add_parser("user", help="manage users").add_subparsers(dest="user_command", required=True)
    add = command(user, "add", _user_add, "create a user")
    add.add_argument("username")
    add.add_argument("--email")
    add.add_argument("--admin", action="store_true", help="make the user a system admin")
    _password_args(add)
    passwd = command(user, "passwd", _user_passwd, "change a user's password")
    passwd.add_argument("username")
    _password_args(passwd)
    command(user, "list", _user_list, "list users")
    command(user, "delete", _user_delete, "delete a user").add_argument("username")

    project = commands.add_parser("project", help="manage projects").add_subparsers(dest="project_command",
                                                                                   required=True)
    create = command(project, "create", _project_create, "create a project")
    create.add_argument("name")
    create.add_argument("--public", action="store_true")
    create.add_argument("--storage-limit", type=int, default=-1, help="bytes; -1 for unlimited")
    command(project, "list", _project_list, "list projects")
    member = command(project, "member", _project_member, "add a member or change their role")
    member.add_argument("project")
    member.add_argument("username")
    member.add_argument("role", choices=sorted(ROLE_IDS))

    robot = commands.add_parser("robot", help="manage robot accounts").add_subparsers(dest="robot_command",
                                                                                     required=True)
    rcreate = command(robot, "create", _robot_create, "create a robot account; prints its secret once")
    rcreate.add_argument("name")
    rcreate.add_argument("--project", help="project of a project-level robot (omit for a system robot)")
    rcreate.add_argument("--actions", default="pull", help="comma-separated: pull,push,delete")
    rcreate.add_argument("--days", type=int, default=-1, help="lifetime in days; -1 never expires")
    rcreate.add_argument("--description")

    cert = commands.add_parser("cert", help="make a private CA and a server certificate for HTTPS")
    cert.add_argument("hosts", nargs="+", help="host names and IP addresses the certificate is for")
    cert.add_argument("--out", default="certs", help="directory to write ca.crt, server.crt and keys into")
    cert.set_defaults(run=_cert)


def _cert(args: argparse.Namespace) -> int:
    from registry.auth.certs import make_certificates

    paths = make_certificates(Path(args.out), args.hosts)
    print(f"wrote {', '.join(str(p) for p in paths.values())}")
    print(f"serve HTTPS with:  http: {{tls_certificate: {paths['server.crt']}, tls_key: {paths['server.key']}}}")
    print(f"trust it in docker: /etc/docker/certs.d/<host:port>/ca.crt  <-  {paths['ca.crt']}")
    return 0
