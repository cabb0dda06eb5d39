"""The label store on every database: names unique per scope, pages in SQL, and the
rows joining labels and artifacts go with either side."""
from __future__ import annotations

import pytest

from storage.meta import MetaStore
from storage.meta.database import Conflict
from storage.meta.listing import EXACT, FUZZY, Listing, Order, QueryError, Term
from storage.meta.records import ManifestRecord

MANIFEST = "application/vnd.oci.image.manifest.v1+json"


async def test_labels_and_artifact_labels(meta: MetaStore):
    red = await meta.labels.create("red", "", "#f00", "g", 0)
    blue = await meta.labels.create("blue", "", "", "g", 0)
    mine = await meta.labels.create("red", "", "", "p", 7)  # same name, another scope
    with pytest.raises(Conflict):
        await meta.labels.create("red", "", "", "g", 0)
    found, total = await meta.labels.list(0, Listing(orders=(Order("name"),)))
    assert ([label.id for label in found], total) == ([blue, red], 2)
    found, total = await meta.labels.list(0, Listing((Term("name", FUZZY, ("e",)),), limit=1))
    assert (len(found), total) == (1, 2)
    assert [label.id for label in (await meta.labels.list(7, Listing()))[0]] == [mine]
    with pytest.raises(QueryError):
        await meta.labels.list(0, Listing((Term("colour", EXACT, ("x",)),)))
    with pytest.raises(Conflict):
        await meta.labels.update(blue, "red", "", "")

    await meta.manifests.put(ManifestRecord(repo="p/app", digest=f"sha256:{1:064x}", media_type=MANIFEST, size=1),
                             "p", ["v1"])
    artifact = (await meta.manifests.get("p/app", f"sha256:{1:064x}")).id
    assert await meta.labels.attach(artifact, red) and await meta.labels.attach(artifact, blue)
    assert not await meta.labels.attach(artifact, red)
    assert not await meta.labels.attach(artifact + 1000, red)  # no such artifact: nothing left behind
    assert [label.id for label in (await meta.labels.of_artifacts([artifact]))[artifact]] == [red, blue]
    assert await meta.labels.delete(blue)
    assert [label.id for label in (await meta.labels.of_artifacts([artifact]))[artifact]] == [red]
    assert await meta.labels.detach(artifact, red) and not await meta.labels.detach(artifact, red)
    assert await meta.labels.attach(artifact, red)
    await meta.repositories.delete("p/app")
    assert await meta.labels.of_artifacts([artifact]) == {}
