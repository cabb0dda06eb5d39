"""Plain records the metadata store returns; no behaviour, no HTTP."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class ManifestReference:
    digest: str
    kind: str  # "blob" or "manifest"
    size: int


@dataclass(slots=True)
class ManifestRecord:
    repo: str
    digest: str
    media_type: str
    size: int
    artifact_type: str | None = None
    subject: str | None = None
    config_digest: str | None = None
    annotations: str | None = None  # JSON text, as pushed
    created: float = 0.0
    pull_count: int = 0
    pull_time: float | None = None
    id: int = 0  # given by the store when the manifest is first recorded
    references: list[ManifestReference] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BlobChild:
    """A blob a manifest names, as deleting the manifest finds it in the repository."""

    digest: str
    linked: float | None  # when the repository last linked it; None when it is not linked
    named_elsewhere: bool  # another manifest of the repository names it too


@dataclass(frozen=True, slots=True)
class ManifestHolds:
    """What could keep a manifest in its repository, as a deletion policy asks."""

    created: float
    tagged: bool
    listed: bool  # an index of the repository lists it
    subject_present: bool  # it refers to a subject the repository holds
    tags: tuple[str, ...] = ()  # the tags pointing at it, in order


@dataclass(slots=True)
class UploadRecord:
    id: str
    repo: str
    created: float
    updated: float
    client: str | None = None


@dataclass(slots=True)
class RepositoryRecord:
    name: str
    project: str
    created: float
    updated: float
    pull_count: int
    id: int = 0
    description: str = ""


@dataclass(slots=True)
class PullEvent:
    """Pulls of one manifest aggregated in memory before they are written."""

    repo: str
    digest: str
    count: int
    last: float
    tags: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class UserRecord:
    id: int
    username: str
    password_hash: str
    email: str
    realname: str
    comment: str
    sysadmin: bool
    created: float
    updated: float
    source: str = "local"  # local, ldap or oidc
    external_id: str = ""  # the LDAP DN, or the OIDC issuer and subject
    checked: float = 0.0  # when the directory or provider last vouched for the user
    admin_in_auth: bool = False  # in the provider's admin group at that time


@dataclass(slots=True)
class GroupRecord:
    """A directory or provider group (Harbor's user group: type 1 LDAP, 3 OIDC)."""

    id: int
    name: str
    group_type: int
    external_id: str  # the LDAP group DN, or the OIDC group name
    created: float


@dataclass(slots=True)
class GroupMemberRecord:
    project_id: int
    group_id: int
    name: str
    group_type: int
    role_id: int
    created: float


@dataclass(slots=True)
class ProjectRecord:
    id: int
    name: str
    public: bool
    owner_id: int | None
    storage_limit: int
    created: float
    updated: float


@dataclass(slots=True)
class MemberRecord:
    project_id: int
    user_id: int
    username: str
    role_id: int
    created: float


@dataclass(slots=True)
class RobotRecord:
    id: int
    name: str
    description: str
    level: str
    project_id: int | None
    secret_hash: str
    disabled: bool
    expires_at: int
    duration: int
    permissions: str  # JSON list, Harbor's shape
    creator: str
    created: float
    updated: float


@dataclass(slots=True)
class AuditRecord:
    id: int
    username: str
    operation: str
    resource: str
    resource_type: str
    result: str
    client: str
    op_time: float
