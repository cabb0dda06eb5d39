"""``berth gc`` and ``berth fsck``: storage upkeep from the command line.

Both open the configured stores directly and are safe to run while the registry
serves: GC re-checks every deletion against concurrent pushes (see registry.core.gc),
and fsck only reads unless asked to repair.
"""
from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable

from registry.config import Config
from registry.cli.runner import run_on_registry
from registry.core.gc_jobs import LEASE_SECONDS, GcParameters
from registry.core.services import Services

Action = Callable[[Services, Config, argparse.Namespace], Awaitable[int]]


async def _gc(services: Services, config: Config, args: argparse.Namespace) -> int:
    parameters = GcParameters(delete_untagged=args.untagged or config["gc.untagged"], dry_run=args.dry_run)
    # A run elsewhere (or a killed one's lease, which expires) is waited for, not refused.
    _, report = await services.gc.run("MANUAL", parameters, grace=args.grace, wait=2 * LEASE_SECONDS)
    for manifest in report.manifests:
        print(f"{'would delete' if report.dry_run else 'deleted'} manifest {manifest}")
    if args.json:
        print(json.dumps({"dry_run": report.dry_run, "manifests": len(report.manifests), "blobs": report.blobs,
                          "bytes": report.bytes, "kept_in_race": report.kept_in_race}))
    else:
        print(report.summary())
    return 0


async def _fsck(services: Services, config: Config, args: argparse.Namespace) -> int:
    report = await services.fsck.run(repair=args.repair)
    for problem in report.problems:
        print(problem)
    print(f"checked {report.blobs} blob(s), {report.bytes} bytes: {len(report.problems)} problem(s)"
          + (f", {report.repaired} repaired" if args.repair else "")
          + f"; {report.unreferenced} unreferenced blob(s) for `berth gc`")
    return 1 if report.problems and not args.repair else 0


def _run(config: Config, action: Action, args: argparse.Namespace) -> int:
    return run_on_registry(config, lambda services: action(services, config, args))


def add_commands(commands, config_args: Callable[[argparse.ArgumentParser], None],
                 load: Callable[[argparse.Namespace], Config]) -> None:
    """Register ``gc`` and ``fsck`` on the ``berth`` parser."""
    gc = commands.add_parser("gc", help="delete blobs no repository references (safe while serving)")
    config_args(gc)
    gc.add_argument("--dry-run", action="store_true", help="report what would be deleted and the bytes freed")
    gc.add_argument("--untagged", action="store_true",
                    help="also delete manifests no tag, index or subject holds (gc.untagged)")
    gc.add_argument("--grace", type=float, help="seconds new unreferenced content is kept (gc.grace)")
    gc.add_argument("--json", action="store_true", help="print the totals as one JSON line")
    gc.set_defaults(run=lambda args: _run(load(args), _gc, args))

    fsck = commands.add_parser("fsck", help="verify every blob's digest and every reference; exit 1 on problems")
    config_args(fsck)
    fsck.add_argument("--repair", action="store_true",
                      help="quarantine corrupt blobs (data_dir/quarantine) and remove dangling rows")
    fsck.set_defaults(run=lambda args: _run(load(args), _fsck, args))
