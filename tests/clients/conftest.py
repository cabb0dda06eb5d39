"""Private container engines for the client tests: one daemon per test module that asks."""
from tests.support.containerd import containerd  # noqa: F401  (module fixture)
from tests.support.dockerd import dockerd  # noqa: F401  (module fixture)
