"""A private docker daemon for the walkthrough's docker steps."""
from tests.support.dockerd import dockerd  # noqa: F401  (module fixture)
