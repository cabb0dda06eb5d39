"""The ``berth`` command: serve the registry and run its maintenance and node tools."""
from __future__ import annotations

import argparse
import logging
import sys
from importlib.metadata import PackageNotFoundError, version

from registry.cli.admin import add_commands
from registry.cli.healthcheck import add_command as add_healthcheck
from registry.cli.maintenance import add_commands as add_maintenance_commands
from registry.config import ConfigError, load_config


def _config_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="YAML file overriding conf/berth.yml")
    parser.add_argument("--data", help="data directory (data_dir)")


def _load(args: argparse.Namespace, **extra):
    return load_config(args.config, {"data_dir": args.data, **extra})


def _serve(args: argparse.Namespace) -> int:
    from registry.server.serve import serve

    config = _load(args, **{"http.host": args.host, "http.port": args.port, "http.workers": args.workers})
    logging.getLogger().setLevel(config["log.level"].upper())
    return serve(config)


def _version() -> str:
    try:
        return version("berth")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def _init(args: argparse.Namespace) -> int:
    """Create the registry (schema, admin, signing key) without serving it."""
    import asyncio

    from registry.server.serve import prepare

    config = _load(args)
    asyncio.run(prepare(config))
    print(f"registry ready in {config.data_dir}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="berth", description="Berth container registry")
    parser.add_argument("--version", action="version", version=f"berth {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the registry")
    _config_args(serve)
    serve.add_argument("--host", help="address to listen on (http.host)")
    serve.add_argument("--port", type=int, help="port to listen on (http.port)")
    serve.add_argument("--workers", type=int, help="processes sharing the port (http.workers)")
    serve.set_defaults(run=_serve)

    init = commands.add_parser("init", help="create a registry in the data directory without serving it")
    _config_args(init)
    init.set_defaults(run=_init)

    add_commands(commands, _config_args, _load)
    add_maintenance_commands(commands, _config_args, _load)
    add_healthcheck(commands, _config_args, _load)

    agent = commands.add_parser("agent", help="node agent: image pulls the kubelet way", add_help=False)
    agent.set_defaults(run=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if argv[:1] == ["agent"]:
        from registry.agent.cli import main as agent_main

        return agent_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ConfigError as exc:
        print(f"berth: configuration error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"berth: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
