"""The node agent driving a real containerd over CRI, as the kubelet does, with Berth (token
auth, a private project) as the registry: what it pulls is what ``ctr -n k8s.io images ls``
shows, and every failure leaves nothing in the runtime.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from tests.conftest import ADMIN
from tests.support.admin import add_project
from tests.support.client import RegistryClient
from tests.support.containerd import CRI_NAMESPACE, Containerd
from tests.support.images import make_image
from tests.support.server import ROOT, BerthServer
from tests.walkthrough.agent import deployment_for, events, run_agent

PROJECT = "gxs-project"

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
{secrets}  containers:
  - name: app
    image: {image}
    imagePullPolicy: {policy}
"""


@pytest.fixture(scope="module")
def runtime():
    """containerd with its CRI plugin on, private root, state and socket."""
    daemon = Containerd(cri=True).start()
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def berth(tmp_path_factory):
    """Berth with token auth and a private project, pull counters flushed every second."""
    server = BerthServer(tmp_path_factory.mktemp("berth-cri") / "data",
                         settings={"pulls": {"flush_interval": 1}}).start()
    add_project(server, PROJECT)
    yield server
    server.stop()


@pytest.fixture
def private_image(berth):
    """A fresh repository of the private project holding ``:111`` and ``:latest``; its name."""
    repo = f"{PROJECT}/nginx-{uuid.uuid4().hex[:8]}"
    client = RegistryClient(berth.url, ADMIN)
    for tag in ("111", "latest"):
        client.push_image(repo, make_image(layers=2), tag)
    return repo


def refused_by_berth(berth: BerthServer, repo: str, tag: str = "111") -> bool:
    """Whether containerd's last request for the tag was answered 401 (also after fetching a token)."""
    asked = [line for line in berth.log(tail=10**7).splitlines()
             if f"/v2/{repo}/manifests/{tag} HTTP/1.1" in line and "containerd/" in line]
    return bool(asked) and '" 401 ' in asked[-1]


def runtime_images(runtime: Containerd) -> set[str]:
    return set(runtime.ctr("images", "ls", "-q", namespace=CRI_NAMESPACE).stdout.split())


def pull_count(berth: BerthServer, repo: str) -> int:
    time.sleep(1.5)  # counters are flushed every second
    name = repo.split("/", 1)[1]
    found = RegistryClient(berth.url, ADMIN).get(f"/api/v2.0/projects/{PROJECT}/repositories/{name}")
    return found.json()["pull_count"] if found.status_code == 200 else 0


def pod(tmp_path, image: str, policy: str = "IfNotPresent", secrets: tuple[str, ...] = ("harbor-pull-secret",),
        name: str = "app") -> str:
    """A Pod manifest file naming ``secrets`` as its imagePullSecrets."""
    path = tmp_path / f"{name}-{uuid.uuid4().hex[:6]}.yaml"
    listed = "".join(f"  - name: {secret}\n" for secret in secrets)
    path.write_text(POD.format(name=name, image=image, policy=policy,
                               secrets=f"  imagePullSecrets:\n{listed}" if secrets else ""))
    return str(path)


def cri_agent(runtime: Containerd, tmp_path, *args: str) -> tuple[int, dict]:
    return run_agent(tmp_path / "state", "--runtime-endpoint", runtime.endpoint, *args)


def test_walkthrough_deployment_pulls_once_into_containerd(runtime, berth, private_image, kubectl_secret, tmp_path):
    manifest = tmp_path / "nginx-deployment.yaml"
    manifest.write_text(deployment_for(berth.host).replace(f"{PROJECT}/nginx:111", f"{private_image}:111"))
    secret = kubectl_secret("harbor-pull-secret", berth.host, *ADMIN)
    code, report = cri_agent(runtime, tmp_path, str(manifest), "--secret", str(secret))
    assert code == 0, report
    assert [p["status"] for p in report["pods"]] == ["ImagesReady", "ImagesReady"]
    messages = [m for _, m in events(report)]
    image = f"{berth.host}/{private_image}:111"
    assert sum(m.startswith(f'Successfully pulled image "{image}" in ') for m in messages) == 1
    assert messages.count(f'Container image "{image}" already present on machine') == 1
    assert image in runtime_images(runtime)
    ids = {c["imageID"] for p in report["pods"] for c in p["containers"]}
    assert len(ids) == 1 and ids.pop().startswith("sha256:")
    assert pull_count(berth, private_image) == 1


def test_always_pulls_again(runtime, berth, private_image, kubectl_secret, tmp_path):
    secret = kubectl_secret("harbor-pull-secret", berth.host, *ADMIN)
    image = f"{berth.host}/{private_image}:latest"
    for _ in range(2):
        code, report = cri_agent(runtime, tmp_path, pod(tmp_path, image, "Always"), "--secret", str(secret))
        assert code == 0, report
        assert [r for r, _ in events(report)] == ["Pulling", "Pulled"]
    assert image in runtime_images(runtime)
    # Each PullImage made containerd resolve the tag at Berth with the credential; the second
    # found every blob already in its content store and fetched nothing, so one pull was counted.
    resolved = f'"HEAD /v2/{private_image}/manifests/latest HTTP/1.1" 200'
    assert berth.log(tail=10**7).count(resolved) == 2
    assert pull_count(berth, private_image) == 1


def test_wrong_password_gives_the_kubelets_events_and_nothing_in_the_runtime(runtime, berth, private_image,
                                                                             kubectl_secret, tmp_path):
    secret = kubectl_secret("harbor-pull-secret", berth.host, ADMIN[0], "not-the-password")
    image = f"{berth.host}/{private_image}:111"
    code, report = cri_agent(runtime, tmp_path, pod(tmp_path, image), "--secret", str(secret))
    assert code == 1
    assert report["pods"][0]["status"] == "ImagePullBackOff"
    failed = [m for r, m in events(report) if r == "Failed"]
    assert any(m.startswith(f'Failed to pull image "{image}": rpc error: code = Unknown desc = ') and "401" in m
               for m in failed), failed
    assert "Error: ErrImagePull" in failed and "Error: ImagePullBackOff" in failed
    assert ("BackOff", f'Back-off pulling image "{image}"') in events(report)
    assert refused_by_berth(berth, private_image)
    assert not any(name.startswith(f"{berth.host}/{private_image}") for name in runtime_images(runtime))


def test_missing_secret_pulls_anonymously_and_is_refused(runtime, berth, private_image, tmp_path):
    image = f"{berth.host}/{private_image}:111"
    code, report = cri_agent(runtime, tmp_path, pod(tmp_path, image))  # names a Secret it is not given
    assert code == 1
    reasons = [r for r, _ in events(report)]
    assert reasons[0] == "FailedToRetrieveImagePullSecret"
    assert {"Pulling", "Failed", "BackOff"} <= set(reasons)
    assert report["pods"][0]["containers"][0]["reason"] == "ImagePullBackOff"
    assert refused_by_berth(berth, private_image)
    assert not any(name.startswith(f"{berth.host}/{private_image}") for name in runtime_images(runtime))


def test_one_pull_per_credential_and_no_anonymous_fallback(runtime, berth, private_image, kubectl_secret, tmp_path):
    image = f"{berth.host}/{private_image}:111"
    files = [arg for i in (1, 2) for arg in ("--secret", str(kubectl_secret(f"wrong-{i}", berth.host, ADMIN[0],
                                                                            f"bad-{i}")))]
    code, report = cri_agent(runtime, tmp_path, pod(tmp_path, image, secrets=("wrong-1", "wrong-2")), *files,
                             "--attempts", "1")
    assert code == 1
    failure = next(m for r, m in events(report) if r == "Failed" and m.startswith("Failed to pull"))
    # Two PullImage calls, one per credential, and none anonymous: the kubelet's aggregate of two errors.
    assert failure.count("rpc error:") == 2 and failure.split(": ", 1)[1].startswith("["), failure
    files += ["--secret", str(kubectl_secret("right", berth.host, *ADMIN))]
    code, report = cri_agent(runtime, tmp_path, pod(tmp_path, image, secrets=("wrong-1", "wrong-2", "right")), *files)
    assert code == 0, report
    assert image in runtime_images(runtime)


def test_never_uses_only_what_the_runtime_has(runtime, berth, private_image, kubectl_secret, tmp_path):
    image = f"{berth.host}/{private_image}:111"
    code, report = cri_agent(runtime, tmp_path, pod(tmp_path, image, "Never", secrets=()))
    assert code == 1
    assert events(report)[0] == ("ErrImageNeverPull", f'Container image "{image}" is not present with pull policy of Never')
    secret = kubectl_secret("harbor-pull-secret", berth.host, *ADMIN)
    done = run_agent_pull(runtime, image, secret)
    assert done["imageID"].startswith("sha256:") and done["digest"].startswith("sha256:")
    code, report = cri_agent(runtime, tmp_path, pod(tmp_path, image, "Never", secrets=()))
    assert code == 0 and events(report) == [("Pulled", f'Container image "{image}" already present on machine')]


def run_agent_pull(runtime: Containerd, image: str, secret) -> dict:
    """``berth agent pull --runtime-endpoint``: one image, with the Secret's credentials."""
    done = subprocess.run([sys.executable, "-m", "registry", "agent", "pull", image, "--secret", str(secret),
                           "--runtime-endpoint", runtime.endpoint, "--json", "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_pod_without_the_credentials_is_not_handed_a_private_image(runtime, berth, private_image, kubectl_secret,
                                                                     tmp_path):
    """KEP-2535: the credential-less Pod pulls again, Berth refuses it, the image stays for the Pod that may use it."""
    image = f"{berth.host}/{private_image}:111"
    secret = str(kubectl_secret("harbor-pull-secret", berth.host, *ADMIN))
    code, _ = cri_agent(runtime, tmp_path, pod(tmp_path, image, name="owner"), "--secret", secret)
    assert code == 0
    code, report = cri_agent(runtime, tmp_path, pod(tmp_path, image, secrets=(), name="intruder"))
    assert code == 1
    assert [r for r, _ in events(report)][:2] == ["Pulling", "Failed"]
    failed = [m for r, m in events(report) if r == "Failed"]
    assert failed[0].startswith(f'Failed to pull image "{image}": rpc error:') and "pull access denied" in failed[0]
    assert "Error: ErrImagePull" in failed and refused_by_berth(berth, private_image)
    assert image in runtime_images(runtime)  # the present image is left alone, and was not handed over
    code, report = cri_agent(runtime, tmp_path, pod(tmp_path, image, "Never", secrets=(), name="intruder"))
    assert code == 1 and events(report)[0] == (
        "ErrImageNeverPull",
        f'Container image "{image}" is present with pull policy of Never but does not have the proper auth credentials')
    code, report = cri_agent(runtime, tmp_path, pod(tmp_path, image, name="sibling"), "--secret", secret)
    assert code == 0 and events(report) == [("Pulled", f'Container image "{image}" already present on machine')]
    code, report = cri_agent(runtime, tmp_path, pod(tmp_path, image, secrets=(), name="intruder"),
                             "--image-pull-credentials-verification-policy", "NeverVerify")
    assert code == 0 and events(report) == [("Pulled", f'Container image "{image}" already present on machine')]
    records = json.loads((tmp_path / "state" / "pulled-images.json").read_text())
    (entry,) = [repos[f"{berth.host}/{private_image}"] for repos in records["images"].values()]
    assert [(s["namespace"], s["name"]) for s in entry["secrets"]] == [("default", "harbor-pull-secret")]
    assert ADMIN[1] not in json.dumps(records)


@pytest.mark.parametrize("policy, allowlist, verified", [
    ("NeverVerifyPreloadedImages", (), False),
    ("NeverVerifyAllowlistedImages", ("{host}/gxs-project/*",), False),
    ("NeverVerifyAllowlistedImages", ("{host}/other/*",), True),
    ("AlwaysVerify", (), True),
])
def test_preloaded_images_and_the_verification_policies(runtime, berth, private_image, tmp_path, policy, allowlist,
                                                        verified):
    image = f"{berth.host}/{private_image}:111"
    runtime.ctr("images", "pull", "--plain-http", "--user", ":".join(ADMIN), image, namespace=CRI_NAMESPACE)
    args = ["--image-pull-credentials-verification-policy", policy]
    for entry in allowlist:
        args += ["--preloaded-images-verification-allowlist", entry.format(host=berth.host)]
    code, report = cri_agent(runtime, tmp_path, pod(tmp_path, image, secrets=()), "--attempts", "1", *args)
    if verified:
        assert code == 1 and report["pods"][0]["status"] == "ImagePullBackOff"
        assert any("pull access denied" in m for r, m in events(report) if r == "Failed")
        assert refused_by_berth(berth, private_image)
    else:
        assert code == 0 and events(report) == [("Pulled", f'Container image "{image}" already present on machine')]


@pytest.fixture(scope="module")
def small_runtime():
    """containerd over CRI whose image filesystem is a 96 MiB tmpfs of its own."""
    daemon = Containerd(cri=True, disk="96m").start()
    yield daemon
    daemon.stop()


def gc(runtime: Containerd, tmp_path, *args: str) -> tuple[int, dict]:
    done = subprocess.run([sys.executable, "-m", "registry", "agent", "gc", "--state", str(tmp_path / "state"),
                           "--runtime-endpoint", runtime.endpoint, "--json", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def test_image_gc_frees_the_oldest_unused_image_and_keeps_the_rest(small_runtime, berth, kubectl_secret, tmp_path):
    secret = str(kubectl_secret("harbor-pull-secret", berth.host, *ADMIN))
    client = RegistryClient(berth.url, ADMIN)
    images = {}
    for name in ("needed", "oldest", "newest"):  # used in this order
        repo = f"{PROJECT}/gc-{name}-{uuid.uuid4().hex[:6]}"
        client.push_image(repo, make_image(layers=1, layer_size=6 << 20), "v1")
        images[name] = f"{berth.host}/{repo}:v1"
        code, report = run_agent(tmp_path / "state", "--runtime-endpoint", small_runtime.endpoint,
                                 pod(tmp_path, images[name], name=name), "--secret", secret)
        assert code == 0, report
    keep = pod(tmp_path, images["needed"], name="keep")
    assert set(images.values()) <= runtime_images(small_runtime)

    # Over every threshold, but all three were first seen moments ago: imageMinimumGCAge protects them.
    code, young = gc(small_runtime, tmp_path, keep, "--image-gc-high-threshold", "0", "--image-gc-low-threshold", "0")
    assert code == 1 and young["removed"] == [] and young["events"][0]["reason"] == "ImageGCFailed"
    assert set(images.values()) <= runtime_images(small_runtime)

    # Thresholds that ask for 3 MiB: one 6 MiB image is enough, and it is the oldest the Pod does not need.
    disk = shutil.disk_usage(small_runtime.root / "root")
    low = 100 - 100 * (disk.free + (3 << 20)) / disk.total
    code, done = gc(small_runtime, tmp_path, keep, "--image-gc-high-threshold", str(low),
                    "--image-gc-low-threshold", str(low), "--image-minimum-gc-age", "0s")
    assert code == 0, done
    assert [tags for tags in (r["repoTags"] for r in done["removed"])] == [[images["oldest"]]]
    assert 3 << 20 <= done["bytesToFree"] < done["bytesFreed"]
    left = runtime_images(small_runtime)
    assert images["oldest"] not in left and {images["needed"], images["newest"]} <= left

    # Under the default thresholds nothing more goes.
    code, calm = gc(small_runtime, tmp_path, keep)
    assert code == 0 and calm["removed"] == [] and calm["usagePercent"] < 85


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_serve_keeps_a_folders_pods_images_present(runtime, berth, private_image, kubectl_secret, tmp_path):
    folder = tmp_path / "manifests"
    folder.mkdir()
    kubectl_secret("harbor-pull-secret", berth.host, *ADMIN).rename(folder / "secret.yaml")
    first = f"{berth.host}/{private_image}:111"
    (folder / "first.yaml").write_text(open(pod(tmp_path, first, name="first")).read())
    out, err = open(tmp_path / "serve.out", "w"), open(tmp_path / "serve.err", "w")
    agent = subprocess.Popen([sys.executable, "-m", "registry", "agent", "serve", "--manifests", str(folder),
                              "--runtime-endpoint", runtime.endpoint, "--state", str(tmp_path / "state"),
                              "--file-check-frequency", "200ms", "--fast-backoff", "100"],
                             cwd=ROOT, stdout=out, stderr=err)
    try:
        said = lambda: (tmp_path / "serve.out").read_text()  # noqa: E731
        _wait_for(lambda: "pod/first: ImagesReady" in said())
        assert first in runtime_images(runtime)
        # A new manifest is picked up, and a missing image is tried again after each back-off.
        second = f"{berth.host}/{private_image}:latest"
        missing = f"{berth.host}/{private_image}:absent"
        (folder / "second.yaml").write_text(open(pod(tmp_path, second, name="second")).read())
        (folder / "broken.yaml").write_text(open(pod(tmp_path, missing, name="broken")).read())
        _wait_for(lambda: "pod/second: ImagesReady" in said())
        assert second in runtime_images(runtime)
        logged = lambda: (tmp_path / "serve.err").read_text()  # noqa: E731
        _wait_for(lambda: logged().count(f'Pulling image "{missing}"') >= 3)
        assert f'Back-off pulling image "{missing}"' in logged() and "pod/broken" not in said()
    finally:
        agent.terminate()
        code = agent.wait(timeout=20)
    assert code == 0, (tmp_path / "serve.err").read_text()
    assert "Traceback" not in (tmp_path / "serve.err").read_text()


def test_an_unreachable_or_unusable_endpoint_is_a_clear_error(tmp_path):
    image = "127.0.0.1:1/team/app:v1"
    code, report = run_agent(tmp_path / "state", "--runtime-endpoint", f"unix://{tmp_path}/absent.sock",
                             pod(tmp_path, image, secrets=()))
    assert code == 1 and report["pods"][0]["status"] == "ImageInspectError"
    inspect = [m for r, m in events(report) if r == "InspectFailed"]
    assert inspect and inspect[0].startswith(f'Failed to inspect image "{image}": container runtime at unix://')
    for endpoint, words in (("tcp://127.0.0.1:1", "only unix:///path/to/socket"), ("unix://relative.sock", "absolute")):
        done = subprocess.run([sys.executable, "-m", "registry", "agent", "pull", image, "--runtime-endpoint", endpoint],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr


def agent_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "registry", "agent", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_images_and_rmi_in_the_runtime(runtime, berth, private_image, kubectl_secret, tmp_path):
    image = f"{berth.host}/{private_image}:111"
    pulled = run_agent_pull(runtime, image, kubectl_secret("harbor-pull-secret", berth.host, *ADMIN))
    done = agent_cli("images", "--runtime-endpoint", runtime.endpoint, "--json")
    listed = {i["id"]: i for i in json.loads(done.stdout)}
    assert image in listed[pulled["imageID"]]["repoTags"]
    rows = [line.split() for line in agent_cli("images", "--runtime-endpoint", runtime.endpoint).stdout.splitlines()]
    assert rows[0] == ["IMAGE", "TAG", "IMAGE", "ID", "SIZE"]
    assert [f"{berth.host}/{private_image}", "111", pulled["imageID"][7:20]] in [row[:3] for row in rows]
    assert agent_cli("rmi", image, "--runtime-endpoint", runtime.endpoint, "--state", str(tmp_path)).stdout == (
        f"Deleted: {pulled['imageID']}\n")
    assert image not in runtime_images(runtime)
    gone = agent_cli("rmi", image, "--runtime-endpoint", runtime.endpoint, "--state", str(tmp_path))
    assert gone.returncode == 1 and f"No such image: {image}" in gone.stderr


@pytest.mark.parametrize("limit", ["1", "3"])
def test_max_parallel_image_pulls_through_the_command(runtime, berth, kubectl_secret, tmp_path, limit):
    client = RegistryClient(berth.url, ADMIN)
    docs = []
    for index in range(3):
        repo = f"{PROJECT}/par-{uuid.uuid4().hex[:8]}"
        client.push_image(repo, make_image(layers=1, layer_size=1 << 20), "v1")
        docs.append(POD.format(name=f"p{index}", image=f"{berth.host}/{repo}:v1", policy="IfNotPresent",
                               secrets="  imagePullSecrets:\n  - name: harbor-pull-secret\n"))
    manifest = tmp_path / "pods.yaml"
    manifest.write_text("---\n".join(docs))
    secret = kubectl_secret("harbor-pull-secret", berth.host, *ADMIN)
    code, report = cri_agent(runtime, tmp_path, str(manifest), "--secret", str(secret),
                             "--max-parallel-image-pulls", limit)
    assert code == 0, report
    stamp = {(pod["name"], e["reason"]): e["firstTimestamp"] for pod in report["pods"] for e in pod["events"]}
    started = max(stamp[(f"p{i}", "Pulling")] for i in range(3))
    finished = min(stamp[(f"p{i}", "Pulled")] for i in range(3))
    # One at a time, the last pull starts after the first ends; side by side, all start before any ends.
    assert (started < finished) is (limit == "3")
