"""Labels, Harbor's way: global ones (system administrators make them) and a project's
own (its administrators and maintainers make them), put on artifacts by those who may
push there. An artifact takes global labels and those of its own project only.
"""
from __future__ import annotations

from registry.core.artifacts import Artifact
from registry.core.errors import RegistryError, bad_request
from registry.core.listing import Listing, listed
from storage.meta.database import Conflict
from storage.meta.labels import GLOBAL_PROJECT, LabelRecord
from storage.meta.store import MetaStore

GLOBAL, PROJECT = "g", "p"
MAX_NAME = 128  # Harbor's limit
MAX_COLOR = 32
MAX_DESCRIPTION = 1024


def _text(value: object, name: str, limit: int, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
        raise bad_request(f"{name} must be a {'non-empty ' if required else ''}string of at most {limit} characters")
    return value


def _missing(label_id: int) -> RegistryError:
    return RegistryError("NOT_FOUND", f"label {label_id} not found", status=404)


class LabelService:
    def __init__(self, meta: MetaStore) -> None:
        self.meta = meta

    async def get(self, label_id: int) -> LabelRecord:
        found = await self.meta.labels.get(label_id)
        if found is None:
            raise _missing(label_id)
        return found

    async def list(self, project_id: int | None, listing: Listing) -> tuple[list[LabelRecord], int]:
        """A page of the global labels (``project_id`` None) or of one project's."""
        return await listed(self.meta.labels.list(GLOBAL_PROJECT if project_id is None else project_id, listing))

    async def create(self, name: object, description: object, color: object, project_id: int | None) -> int:
        """A new label, global when ``project_id`` is None; its id."""
        try:
            return await self.meta.labels.create(
                _text(name, "name", MAX_NAME, required=True).strip(),
                _text(description, "description", MAX_DESCRIPTION), _text(color, "color", MAX_COLOR),
                GLOBAL if project_id is None else PROJECT, GLOBAL_PROJECT if project_id is None else project_id)
        except Conflict:
            raise RegistryError("CONFLICT", f"a label named {str(name)[:MAX_NAME]} exists in this scope",
                                status=409) from None

    async def update(self, label: LabelRecord, name: object, description: object, color: object) -> None:
        """Rename, describe or recolour; a field not given keeps its value."""
        try:
            await self.meta.labels.update(
                label.id, label.name if name is None else _text(name, "name", MAX_NAME, required=True).strip(),
                label.description if description is None else _text(description, "description", MAX_DESCRIPTION),
                label.color if color is None else _text(color, "color", MAX_COLOR))
        except Conflict:
            raise RegistryError("CONFLICT", f"a label named {str(name)[:MAX_NAME]} exists in this scope",
                                status=409) from None

    async def delete(self, label: LabelRecord) -> None:
        """Delete the label and take it off every artifact."""
        if not await self.meta.labels.delete(label.id):
            raise _missing(label.id)

    async def attach(self, artifact: Artifact, project_id: int, label: LabelRecord) -> None:
        if label.scope == PROJECT and label.project_id != project_id:
            raise bad_request(f"label {label.id} belongs to another project")
        if not await self.meta.labels.attach(artifact.id, label.id):
            raise RegistryError("CONFLICT", f"label {label.id} is already on {artifact.repository}@{artifact.digest}",
                                status=409)

    async def detach(self, artifact: Artifact, label_id: int) -> None:
        if not await self.meta.labels.detach(artifact.id, label_id):
            raise RegistryError("NOT_FOUND", f"label {label_id} is not on {artifact.repository}@{artifact.digest}",
                                status=404)

    async def show_on(self, artifacts: list[Artifact]) -> None:
        """Fill in each artifact's labels, with one query for the whole page."""
        found = await self.meta.labels.of_artifacts([a.id for a in artifacts])
        for artifact in artifacts:
            artifact.labels = found.get(artifact.id, [])
