"""``berth agent``: the node agent's command line.

Every input problem is reported as ``berth agent: error: FILE: document N: FIELD: …``
with exit status 2; image problems are reported as kubelet events, exit status 1.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Callable

from registry.agent import credential_provider
from registry.agent.daemon_config import DaemonConfig, load_daemon_config
from registry.agent.dockerconfig import load_docker_config
from registry.agent.documents import load_documents
from registry.agent.errors import AgentError, InputError
from registry.agent.events import Event, tabulate
from registry.agent.image_gc import HIGH_THRESHOLD, LOW_THRESHOLD, MINIMUM_AGE, GcPolicy
from registry.agent.image_manager import pull_with_credentials
from registry.agent.layout_runtime import LayoutRuntime
from registry.agent.node import DEFAULT_ATTEMPTS, NodeAgent, PodResult
from registry.agent.platform import Platform
from registry.agent.pull_records import PullRecords, VerificationPolicy
from registry.agent.progress import Progress, TerminalProgress, human_size
from registry.agent.puller import DOCKER_HUB_ENDPOINT, Puller
from registry.agent.runtime import ImageRuntime
from registry.oci.reference import ImageReference, ReferenceError
from registry.agent.secret_yaml import DEFAULT_SERVER, render
from registry.agent.secrets import DEFAULT_NAMESPACE, SecretPool, is_secret
from registry.agent.serve import FILE_CHECK, ManifestDir, serve
from registry.agent.store import ContentStore
from registry.agent.throttle import DEFAULT_BURST, DEFAULT_QPS
from registry.agent.workloads import PodSpec, pods_from_document


def default_state_dir() -> str:
    configured = os.environ.get("BERTH_AGENT_STATE")
    if configured:
        return configured
    if os.geteuid() == 0:
        return "/var/lib/berth-agent"
    return str(Path.home() / ".local" / "share" / "berth-agent")


def _platform(text: str | None) -> Platform:
    try:
        return Platform.parse(text) if text else Platform.host()
    except ValueError as exc:
        raise InputError("--platform", str(exc)) from None


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than zero")
    return value


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _whole(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        return value
    return parse


def load_secrets(paths: list[str], namespace: str) -> SecretPool:
    """Secrets from ``--secret`` files; anything else in those files is a mistake worth naming."""
    pool = SecretPool()
    for path in paths:
        docs = load_documents(path)
        for doc in docs:
            if not is_secret(doc):
                raise doc.error("kind", f"expected a Secret, found {doc.body.get('kind')!r}")
        pool.add_documents(docs, namespace)
    return pool


def _progress(args: argparse.Namespace) -> Progress:
    return Progress() if args.quiet else TerminalProgress(sys.stderr)


def _cri(endpoint: str) -> ImageRuntime:
    """The runtime at ``endpoint`` over CRI ("": the default socket); grpc is imported only then."""
    from registry.agent.cri.runtime import CriRuntime, default_endpoint

    return CriRuntime(endpoint or default_endpoint())


def _runtime(args: argparse.Namespace) -> ImageRuntime:
    """The node's runtime over CRI with ``--runtime-endpoint``, else the agent's own OCI-layout store."""
    if args.runtime_endpoint is not None:
        for option, value in (("--daemon-json", args.daemon_json), ("--platform", args.platform),
                              ("--docker-hub-endpoint", args.docker_hub_endpoint)):
            if value:
                raise InputError(option, "applies to the agent's own image store; with --runtime-endpoint the "
                                         "runtime's configuration decides (containerd: hosts.toml, its platform)")
        return _cri(args.runtime_endpoint)
    daemon = load_daemon_config(args.daemon_json) if args.daemon_json else DaemonConfig()
    store = ContentStore(args.state)
    return LayoutRuntime(store, Puller(store, daemon=daemon, platform=_platform(args.platform),
                                       progress=_progress(args),
                                       docker_hub=args.docker_hub_endpoint or DOCKER_HUB_ENDPOINT))


def _watch(pod: PodSpec, event: Event) -> None:
    """Events as they happen (like ``kubectl get events -w``): back-offs can take minutes."""
    print(f"{event.type:<8} {event.reason:<10} pod/{pod.name}: {event.message}", file=sys.stderr, flush=True)


def _node_agent(args: argparse.Namespace, secrets: SecretPool, **options) -> NodeAgent:
    """The agent ``run`` and ``serve`` configure alike from their options."""
    node_keyring = load_docker_config(args.docker_config) if args.docker_config else None
    return NodeAgent(args.state, runtime=_runtime(args), secrets=secrets, node_keyring=node_keyring,
                     backoff_scale=args.fast_backoff, max_parallel_image_pulls=args.max_parallel_image_pulls or None,
                     registry_pull_qps=args.registry_pull_qps, registry_burst=args.registry_burst,
                     verification=VerificationPolicy(args.image_pull_credentials_verification_policy),
                     allowlist=tuple(args.preloaded_images_verification_allowlist),
                     on_event=None if args.quiet else _watch, **options)


async def _serve(args: argparse.Namespace) -> int:
    directory = Path(args.manifests)
    if not directory.is_dir():
        raise InputError(args.manifests, "not a directory")
    manifests = ManifestDir(directory, args.namespace,
                            lambda message: print(f"berth agent serve: {message}", file=sys.stderr, flush=True))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    def ready(result: PodResult) -> None:
        print(f"pod/{result.pod.name}: {result.status}", flush=True)

    async with _node_agent(args, load_secrets(args.secret, args.namespace)) as agent:
        await serve(agent, manifests, stop, file_check=args.file_check_frequency, on_ready=ready)
    return 0


async def _run(args: argparse.Namespace) -> int:
    secrets = load_secrets(args.secret, args.namespace)
    pods = []
    for path in args.files:
        docs = load_documents(path)
        secrets.add_documents([doc for doc in docs if is_secret(doc)], args.namespace)
        for doc in docs:
            pods.extend(pods_from_document(doc, args.namespace))
    async with _node_agent(args, secrets, attempts=args.attempts) as agent:
        results = await agent.run(pods)
    if args.json:
        print(json.dumps({"pods": [result.to_json() for result in results]}, indent=2))
    else:
        print("\n".join(result.describe() for result in results), end="")
    return 0 if all(result.ready for result in results) else 1


async def _pull(args: argparse.Namespace) -> int:
    try:
        ref = ImageReference.parse(args.image)
    except ReferenceError as exc:
        raise InputError(args.image, str(exc)) from None
    keyring = load_secrets(args.secret, DEFAULT_NAMESPACE).all_credentials()
    if args.docker_config:
        keyring.extend(load_docker_config(args.docker_config))
    ref = ref.with_default_tag()
    async with _runtime(args) as runtime:
        pulled = await pull_with_credentials(runtime, ref, keyring.lookup(ref))
        image = await runtime.status(ref)
    if args.json:
        digests = [d.partition("@")[2] for d in (image.repo_digests if image else ()) if d.startswith(f"{ref.name}@")]
        print(json.dumps({"reference": str(ref), "digest": digests[0] if digests else "", "imageID": pulled.image_ref,
                          "size": image.size if image else 0}))
    return 0


def _duration(text: str) -> float:
    """A Go-style duration of one unit (``90s``, ``2m``, ``1h``) in seconds."""
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    for suffix in sorted(units, key=len, reverse=True):
        if text.endswith(suffix):
            try:
                value = float(text[: -len(suffix)])
            except ValueError:
                break
            if value >= 0:
                return value * units[suffix]
    raise argparse.ArgumentTypeError(f"not a duration like 90s, 2m or 1h: {text!r}")


def _percent(text: str) -> float:
    value = _non_negative(text)
    if value > 100:
        raise argparse.ArgumentTypeError("must be a percentage from 0 to 100")
    return value


async def _gc(args: argparse.Namespace) -> int:
    pods = []
    for path in args.files:
        for doc in load_documents(path):
            pods.extend(pods_from_document(doc, args.namespace))
    policy = GcPolicy(args.image_gc_high_threshold, args.image_gc_low_threshold, args.image_minimum_gc_age)
    async with NodeAgent(args.state, runtime=_runtime(args)) as agent:
        result, log = await agent.collect_garbage(pods, policy)
    if args.json:
        print(json.dumps({**result.to_json(), "events": log.to_json()}, indent=2))
    else:
        for image in result.removed:
            print(f"Deleted: {image.id} ({', '.join(image.repo_tags) or '<none>'}, {human_size(image.size)})")
        print(f"Image filesystem {result.usage_percent:.1f}% used; freed {human_size(result.freed)}")
        if log.events:
            print(log.describe(), end="")
    return 1 if log.events else 0


async def _runtime_images(args: argparse.Namespace) -> int:
    """``images`` of the runtime: one row per name, as ``crictl images`` shows them."""
    async with _cri(args.runtime_endpoint) as runtime:
        images = await runtime.images()
    if args.json:
        print(json.dumps([{"id": i.id, "repoTags": list(i.repo_tags), "repoDigests": list(i.repo_digests),
                           "size": i.size, "pinned": i.pinned} for i in images], indent=2))
        return 0
    table = [["IMAGE", "TAG", "IMAGE ID", "SIZE"]]
    for image in images:
        for name in image.repo_tags or ("<none>:<none>",):
            repository, _, tag = name.rpartition(":")
            table.append([repository, tag, image.id.partition(":")[2][:13], human_size(image.size)])
    print("\n".join(line.rstrip() for line in tabulate(table, padding=3)))
    return 0


async def _runtime_rmi(args: argparse.Namespace) -> int:
    """``rmi`` in the runtime by name or image ID (prefix); the image's pull records go with it."""
    records = PullRecords(args.state)
    status = 0
    async with _cri(args.runtime_endpoint) as runtime:
        for selector in args.images:
            try:
                found = await runtime.status(ImageReference.parse(selector).with_default_tag())
            except ReferenceError:
                found = None
            wanted = selector.removeprefix("sha256:")
            matches = [found] if found else [image for image in await runtime.images() if len(wanted) >= 4
                                             and image.id.removeprefix("sha256:").startswith(wanted)]
            if not matches:
                print(f"Error: No such image: {selector}", file=sys.stderr)
                status = 1
            for image in matches:
                await runtime.remove(image.id)
                records.forget(image.id)
                print(f"Deleted: {image.id}")
    return status


def _images(args: argparse.Namespace):
    if args.runtime_endpoint is not None:
        return _runtime_images(args)
    store = ContentStore(args.state)
    rows = []
    for record in store.records():
        details = store.details(record)
        ref = ImageReference.parse(record.name)
        rows.append({"name": record.name, "repository": ImageReference(ref.domain, ref.path).familiar(),
                     "tag": ref.tag or "<none>", "digest": record.repo_digest,
                     "imageID": details.config_digest if details else "", "size": details.size if details else 0,
                     "complete": details is not None, "pulled": record.pulled})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    table = [["REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "PULLED", "SIZE"]]
    for row in rows:
        image_id = row["imageID"].partition(":")[2][:12] if row["complete"] else "<incomplete>"
        table.append([row["repository"], row["tag"], row["digest"], image_id, row["pulled"], human_size(row["size"])])
    print("\n".join(line.rstrip() for line in tabulate(table, padding=3)))
    return 0


def _rmi(args: argparse.Namespace):
    if args.runtime_endpoint is not None:
        return _runtime_rmi(args)
    store = ContentStore(args.state)
    status = 0
    for selector in args.images:
        removed = store.remove(selector)
        if not removed:
            print(f"Error: No such image: {selector}", file=sys.stderr)
            status = 1
        for record in removed:
            print(f"Untagged: {record.name}")
    for digest in store.garbage_collect():
        print(f"Deleted: {digest}")
    return status


def _credential_provider(args: argparse.Namespace) -> int:
    keyring = load_secrets(args.secret, DEFAULT_NAMESPACE).all_credentials()
    if args.docker_config:
        keyring.extend(load_docker_config(args.docker_config))
    print(credential_provider.serve(sys.stdin.read(), keyring, args.cache_duration))
    return 0


def _create_secret(args: argparse.Namespace) -> int:
    try:
        text = render(args.name, args.docker_server, args.docker_username, args.docker_password,
                      args.docker_email, args.namespace)
    except ValueError as exc:
        raise InputError("create-secret", str(exc)) from None
    sys.stdout.write(text)
    return 0


def _add_state(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state", default=default_state_dir(),
                        help="agent state directory holding the image store (env BERTH_AGENT_STATE)")


def _add_endpoint(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runtime-endpoint", nargs="?", const="", metavar="unix:///SOCKET",
                        help="use the node's container runtime over CRI (the kubelet's "
                             "--container-runtime-endpoint); without a value, containerd's or CRI-O's default socket. "
                             "Without this option images go to the agent's own OCI-layout store under --state")


def _add_image_store(parser: argparse.ArgumentParser) -> None:
    """Where images go: the node's runtime over CRI, or the agent's own store and how it pulls."""
    _add_endpoint(parser)
    parser.add_argument("--daemon-json", metavar="FILE", help="Docker daemon.json (insecure-registries, registry-mirrors)")
    parser.add_argument("--platform", help="os/architecture[/variant] to pick from indexes (default: this machine)")
    parser.add_argument("--docker-hub-endpoint", metavar="URL",
                        help=f"where Docker Hub images come from when no registry-mirror has them (default "
                             f"{DOCKER_HUB_ENDPOINT}; an air-gapped node names its own registry here)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no pull progress on standard error")
    _add_state(parser)


def _add_sources(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--secret", action="append", default=[], metavar="FILE",
                        help="file with image pull Secrets (YAML or JSON); repeatable")
    parser.add_argument("--docker-config", metavar="FILE", help="node-level Docker config.json with auths")
    _add_image_store(parser)


def _add_pull_settings(parser: argparse.ArgumentParser) -> None:
    """The kubelet's pull settings, for ``run`` and ``serve``."""
    parser.add_argument("--fast-backoff", type=_positive, default=1.0, metavar="N",
                        help="divide the kubelet back-off (10s doubling to 300s) by N")
    parser.add_argument("--max-parallel-image-pulls", type=_whole(0), default=1, metavar="N",
                        help="pulls running at once; 1 (the default) is the kubelet's serializeImagePulls, 0 no limit")
    parser.add_argument("--registry-pull-qps", type=_non_negative, default=DEFAULT_QPS, metavar="QPS",
                        help=f"PullImage calls per second before 'pull QPS exceeded' (default {DEFAULT_QPS:g}; 0: no limit)")
    parser.add_argument("--registry-burst", type=_whole(1), default=DEFAULT_BURST, metavar="N",
                        help=f"PullImage calls allowed in a burst (default {DEFAULT_BURST})")
    parser.add_argument("--image-pull-credentials-verification-policy", metavar="POLICY",
                        choices=[str(policy) for policy in VerificationPolicy],
                        default=str(VerificationPolicy.NEVER_VERIFY_PRELOADED),
                        help="which present images a pod may use only with the credentials that pulled them: "
                             + ", ".join(str(policy) for policy in VerificationPolicy)
                             + f" (default {VerificationPolicy.NEVER_VERIFY_PRELOADED})")
    parser.add_argument("--preloaded-images-verification-allowlist", action="append", default=[], metavar="IMAGE",
                        help="registry/repository or registry/path/* exempt under NeverVerifyAllowlistedImages; repeatable")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="berth agent", description="Kubelet-style image handling on this node.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="make the image decisions for pods and workloads, pull, show events")
    run.add_argument("files", nargs="+", metavar="FILE", help="Pod or workload manifests (YAML or JSON)")
    run.add_argument("--namespace", "-n", default=DEFAULT_NAMESPACE, help="namespace of objects that name none")
    run.add_argument("--attempts", type=int, default=DEFAULT_ATTEMPTS, help="pulls a failing image gets (default 3)")
    _add_pull_settings(run)
    _add_sources(run)
    run.add_argument("--json", action="store_true", help="machine-readable output")
    run.set_defaults(handler=_run)

    serve_ = commands.add_parser("serve", help="keep the images of the Pods in a folder present, like the kubelet's "
                                               "static Pod path, until stopped")
    serve_.add_argument("--manifests", required=True, metavar="DIR",
                        help="folder of Pod/workload manifests and Secrets (YAML or JSON), watched for changes")
    serve_.add_argument("--namespace", "-n", default=DEFAULT_NAMESPACE, help="namespace of objects that name none")
    serve_.add_argument("--file-check-frequency", type=_duration, default=FILE_CHECK, metavar="DURATION",
                        help="how often the folder is read again (default 20s)")
    _add_pull_settings(serve_)
    _add_sources(serve_)
    serve_.set_defaults(handler=_serve)

    pull = commands.add_parser("pull", help="pull one image with the matching Secret credentials")
    pull.add_argument("image")
    _add_sources(pull)
    pull.add_argument("--json", action="store_true", help="machine-readable output")
    pull.set_defaults(handler=_pull)

    gc = commands.add_parser("gc", help="the kubelet's image garbage collection, keeping the images of FILEs' pods")
    gc.add_argument("files", nargs="*", metavar="FILE", help="Pod or workload manifests whose images stay")
    gc.add_argument("--namespace", "-n", default=DEFAULT_NAMESPACE, help="namespace of objects that name none")
    gc.add_argument("--image-gc-high-threshold", type=_percent, default=HIGH_THRESHOLD, metavar="PERCENT",
                    help=f"collect when the image filesystem is this full (default {HIGH_THRESHOLD:g})")
    gc.add_argument("--image-gc-low-threshold", type=_percent, default=LOW_THRESHOLD, metavar="PERCENT",
                    help=f"collect down to this (default {LOW_THRESHOLD:g})")
    gc.add_argument("--image-minimum-gc-age", type=_duration, default=MINIMUM_AGE, metavar="DURATION",
                    help="never remove an image first seen more recently (default 2m)")
    _add_image_store(gc)
    gc.add_argument("--json", action="store_true", help="machine-readable output")
    gc.set_defaults(handler=_gc)

    images = commands.add_parser("images", help="list images on this node")
    images.add_argument("--json", action="store_true")
    _add_endpoint(images)
    _add_state(images)
    images.set_defaults(handler=_images)

    rmi = commands.add_parser("rmi", help="remove images (by reference or image ID) and their unused blobs")
    rmi.add_argument("images", nargs="+", metavar="IMAGE")
    _add_endpoint(rmi)
    _add_state(rmi)
    rmi.set_defaults(handler=_rmi)

    provider = commands.add_parser("credential-provider", help="kubelet credential provider plugin (stdin → stdout)")
    provider.add_argument("--secret", action="append", default=[], metavar="FILE")
    provider.add_argument("--docker-config", metavar="FILE")
    provider.add_argument("--cache-duration", default="5m", help="cacheDuration of responses (default 5m)")
    provider.set_defaults(handler=_credential_provider)

    secret = commands.add_parser("create-secret", help="print a docker-registry Secret like kubectl --dry-run")
    secret.add_argument("name")
    secret.add_argument("--docker-server", default=DEFAULT_SERVER)
    secret.add_argument("--docker-username", required=True)
    secret.add_argument("--docker-password", required=True)
    secret.add_argument("--docker-email", default="")
    secret.add_argument("--namespace", "-n", default="")
    secret.set_defaults(handler=_create_secret)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        outcome = args.handler(args)
        return asyncio.run(outcome) if asyncio.iscoroutine(outcome) else outcome
    except AgentError as exc:
        print(f"berth agent: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, InputError) else 1
    except OSError as exc:  # e.g. a state directory that cannot be created
        print(f"berth agent: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
