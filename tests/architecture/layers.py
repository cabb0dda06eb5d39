"""The layer picture as data, and a reader of every module's imports to check it against.

Each module belongs to the first layer whose package prefix names it; a layer may
import only the layers it lists (and itself). Imports inside functions count too.
"""
from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

GROUND = ("registry.oci",)
CONFIG = ("registry.config",)
STORAGE = ("storage",)
CORE = ("registry.core",)
AUTH = ("registry.auth",)
HTTP = ("registry.http",)
HANDLERS = ("registry.distribution", "registry.api", "registry.ui")
AGENT = ("registry.agent",)
ROOT_OF_COMPOSITION = ("registry.server",)
COMMAND = ("registry.cli", "registry.__main__")

# layer name -> (its packages, the packages it may import besides itself)
LAYERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ground": (GROUND, ()),
    "config": (CONFIG, ()),
    "storage": (STORAGE, GROUND),
    "core": (CORE, GROUND + CONFIG + STORAGE),
    "auth": (AUTH, GROUND + CONFIG + CORE),
    "http": (HTTP, GROUND + CONFIG + CORE + AUTH),
    "handlers": (HANDLERS, GROUND + CONFIG + CORE + AUTH + HTTP),
    "agent": (AGENT, GROUND),
    "composition root": (ROOT_OF_COMPOSITION, GROUND + CONFIG + STORAGE + CORE + AUTH + HTTP + HANDLERS),
    # ``berth agent …`` is a subcommand, so the command may start the agent too.
    "command": (COMMAND, GROUND + CONFIG + STORAGE + CORE + AUTH + HTTP + HANDLERS + ROOT_OF_COMPOSITION + AGENT),
}
OURS = ("registry", "storage")


def _within(module: str, packages: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def layer_of(module: str) -> str | None:
    if module in OURS:
        return "package root"  # the bare ``registry`` / ``storage`` packages: they import nothing
    for name, (packages, _) in LAYERS.items():
        if _within(module, packages):
            return name
    return None


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, is_package: bool) -> Iterator[tuple[str, int]]:
    """Every module ``source`` imports (``from a import b`` counts as ``a.b`` when b is one)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            yield base, node.lineno
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno


def wrong_arrows(module: str, targets: Iterable[tuple[str, int]]) -> list[Arrow]:
    """The imports of ``module`` that run against the layer picture."""
    layer = layer_of(module)
    if layer is None:
        return [Arrow(module, "(no layer)", 0)]
    own, allowed = LAYERS.get(layer, ((), ()))
    wrong = []
    for target, line in targets:
        if not _within(target, OURS) or _within(target, own) or _within(target, allowed):
            continue
        if target in OURS:  # "import registry" or "from registry import x" is judged by x
            continue
        wrong.append(Arrow(module, target, line))
    return wrong


def project_modules() -> Iterator[tuple[str, Path]]:
    for top in OURS:
        for path in sorted((ROOT / top).rglob("*.py")):
            yield module_name(path), path
