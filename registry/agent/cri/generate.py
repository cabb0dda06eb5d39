"""Regenerate ``api_pb2.py`` and ``api_pb2_grpc.py`` from ``api.proto``.

The generated modules are committed, so installing and running the agent needs only
``grpcio`` and ``protobuf``; this step needs ``grpcio-tools`` too (the ``codegen``
extra): ``pip install -e '.[codegen]' && python -m registry.agent.cri.generate``.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]  # the folder holding the registry package, so imports come out absolute


def main() -> int:
    try:
        from grpc_tools import protoc
    except ImportError:
        print("grpcio-tools is needed: pip install -e '.[codegen]'", file=sys.stderr)
        return 2
    proto = (HERE / "api.proto").relative_to(ROOT)
    return protoc.main(["grpc_tools.protoc", f"-I{ROOT}", f"--python_out={ROOT}", f"--pyi_out={ROOT}",
                        f"--grpc_python_out={ROOT}", str(proto)])


if __name__ == "__main__":
    raise SystemExit(main())
