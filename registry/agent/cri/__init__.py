"""CRI v1, the container runtime's image service, as the kubelet calls it over a unix socket.

``api.proto`` holds the subset of the CRI API the agent uses; ``api_pb2*.py`` are
generated from it (``python -m registry.agent.cri.generate``).
"""
