"""Versioned schema migrations, written once for both SQLite and PostgreSQL.

``{key}`` (a name, an identity column, a byte column, binary-ordered text) is
filled in per dialect; everything else is SQL both understand. A migration is never
edited once released: changes go into a new version.
"""
from __future__ import annotations

import time

from storage.meta.database import Database

DIALECT_TERMS: dict[str, dict[str, str]] = {
    "sqlite": {"id": "INTEGER PRIMARY KEY AUTOINCREMENT", "text": "TEXT", "bigint": "INTEGER"},
    "postgres": {"id": "BIGSERIAL PRIMARY KEY", "text": 'TEXT COLLATE "C"', "bigint": "BIGINT"},
}

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE repositories (
            name {text} PRIMARY KEY,
            project {text} NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            updated DOUBLE PRECISION NOT NULL,
            pull_count {bigint} NOT NULL DEFAULT 0
        );
        CREATE INDEX repositories_project ON repositories(project);

        CREATE TABLE manifests (
            repo {text} NOT NULL,
            digest {text} NOT NULL,
            media_type TEXT NOT NULL,
            artifact_type TEXT,
            subject TEXT,
            size {bigint} NOT NULL,
            config_digest TEXT,
            annotations TEXT,
            created DOUBLE PRECISION NOT NULL,
            pull_count {bigint} NOT NULL DEFAULT 0,
            pull_time DOUBLE PRECISION,
            PRIMARY KEY (repo, digest)
        );
        CREATE INDEX manifests_subject ON manifests(repo, subject);

        CREATE TABLE manifest_refs (
            repo {text} NOT NULL,
            digest {text} NOT NULL,
            child {text} NOT NULL,
            kind TEXT NOT NULL,
            size {bigint} NOT NULL,
            PRIMARY KEY (repo, digest, child)
        );
        CREATE INDEX manifest_refs_child ON manifest_refs(child);

        CREATE TABLE tags (
            repo {text} NOT NULL,
            name {text} NOT NULL,
            digest {text} NOT NULL,
            updated DOUBLE PRECISION NOT NULL,
            pull_time DOUBLE PRECISION,
            PRIMARY KEY (repo, name)
        );
        CREATE INDEX tags_digest ON tags(repo, digest);

        CREATE TABLE blob_links (
            repo {text} NOT NULL,
            digest {text} NOT NULL,
            size {bigint} NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (repo, digest)
        );
        CREATE INDEX blob_links_digest ON blob_links(digest);

        CREATE TABLE uploads (
            id {text} PRIMARY KEY,
            repo {text} NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            updated DOUBLE PRECISION NOT NULL,
            client TEXT
        );
        """,
    ),
    (
        2,
        """
        CREATE TABLE users (
            id {id},
            username {text} NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            email TEXT NOT NULL DEFAULT '',
            realname TEXT NOT NULL DEFAULT '',
            comment TEXT NOT NULL DEFAULT '',
            sysadmin INTEGER NOT NULL DEFAULT 0,
            created DOUBLE PRECISION NOT NULL,
            updated DOUBLE PRECISION NOT NULL
        );

        CREATE TABLE projects (
            id {id},
            name {text} NOT NULL UNIQUE,
            public INTEGER NOT NULL DEFAULT 0,
            owner_id {bigint},
            storage_limit {bigint} NOT NULL DEFAULT -1,
            created DOUBLE PRECISION NOT NULL,
            updated DOUBLE PRECISION NOT NULL
        );
        INSERT INTO projects (name, public, owner_id, storage_limit, created, updated)
            VALUES ('library', 1, NULL, -1, 0, 0);

        CREATE TABLE members (
            project_id {bigint} NOT NULL,
            user_id {bigint} NOT NULL,
            role_id INTEGER NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (project_id, user_id)
        );
        CREATE INDEX members_user ON members(user_id);

        CREATE TABLE robots (
            id {id},
            name {text} NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            level TEXT NOT NULL,
            project_id {bigint},
            secret_hash TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0,
            expires_at {bigint} NOT NULL DEFAULT -1,
            duration {bigint} NOT NULL DEFAULT -1,
            permissions TEXT NOT NULL,
            creator TEXT NOT NULL DEFAULT '',
            created DOUBLE PRECISION NOT NULL,
            updated DOUBLE PRECISION NOT NULL
        );

        CREATE TABLE audit_log (
            id {id},
            username TEXT NOT NULL,
            operation TEXT NOT NULL,
            resource TEXT NOT NULL,
            resource_type TEXT NOT NULL,
            result TEXT NOT NULL DEFAULT 'success',
            client TEXT NOT NULL DEFAULT '',
            op_time DOUBLE PRECISION NOT NULL
        );
        CREATE INDEX audit_log_time ON audit_log(op_time);

        CREATE TABLE secrets (
            name {text} PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    ),
    (
        3,
        """
        CREATE TABLE sessions (
            id {text} PRIMARY KEY,
            username {text} NOT NULL,
            csrf TEXT NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            expires DOUBLE PRECISION NOT NULL
        );
        CREATE INDEX sessions_expires ON sessions(expires);

        CREATE TABLE webhook_policies (
            id {id},
            project_id {bigint} NOT NULL,
            name {text} NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            targets TEXT NOT NULL,
            event_types TEXT NOT NULL,
            enabled INTEGER NOT NULL DEFAULT 1,
            creator TEXT NOT NULL DEFAULT '',
            created DOUBLE PRECISION NOT NULL,
            updated DOUBLE PRECISION NOT NULL,
            UNIQUE (project_id, name)
        );
        """,
    ),
    (
        4,
        """
        CREATE TABLE gc_claims (
            name {text} PRIMARY KEY,
            started DOUBLE PRECISION NOT NULL
        );
        """,
    ),
    (
        5,
        """
        CREATE TABLE registry_endpoints (
            id {id},
            name {text} NOT NULL UNIQUE,
            type TEXT NOT NULL,
            url TEXT NOT NULL,
            access_key TEXT NOT NULL DEFAULT '',
            secret TEXT NOT NULL DEFAULT '',
            insecure INTEGER NOT NULL DEFAULT 0,
            description TEXT NOT NULL DEFAULT '',
            created DOUBLE PRECISION NOT NULL,
            updated DOUBLE PRECISION NOT NULL
        );

        CREATE TABLE proxy_projects (
            project_id {bigint} PRIMARY KEY,
            endpoint_id {bigint} NOT NULL,
            max_upstream_conn {bigint} NOT NULL DEFAULT -1
        );
        """,
    ),
    (
        6,
        """
        CREATE TABLE immutable_rules (
            id {id},
            project_id {bigint} NOT NULL,
            priority INTEGER NOT NULL DEFAULT 0,
            disabled INTEGER NOT NULL DEFAULT 0,
            tag_selectors TEXT NOT NULL,
            scope_selectors TEXT NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            updated DOUBLE PRECISION NOT NULL
        );
        CREATE INDEX immutable_rules_project ON immutable_rules(project_id);
        """,
    ),
    (
        7,
        """
        CREATE TABLE leases (
            name {text} PRIMARY KEY,
            holder TEXT NOT NULL,
            expires DOUBLE PRECISION NOT NULL
        );

        CREATE TABLE gc_runs (
            id {id},
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            dry_run INTEGER NOT NULL,
            delete_untagged INTEGER NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            updated DOUBLE PRECISION NOT NULL,
            manifests {bigint} NOT NULL DEFAULT 0,
            blobs {bigint} NOT NULL DEFAULT 0,
            freed {bigint} NOT NULL DEFAULT 0,
            log TEXT NOT NULL DEFAULT ''
        );

        CREATE TABLE schedules (
            name {text} PRIMARY KEY,
            kind TEXT NOT NULL,
            cron TEXT NOT NULL,
            parameters TEXT NOT NULL,
            last_fired DOUBLE PRECISION,
            updated DOUBLE PRECISION NOT NULL
        );
        """,
    ),
    (
        8,
        """
        CREATE TABLE retention_policies (
            id {id},
            project_id {bigint} NOT NULL UNIQUE,
            policy TEXT NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            updated DOUBLE PRECISION NOT NULL
        );

        CREATE TABLE retention_executions (
            id {id},
            policy_id {bigint} NOT NULL,
            status TEXT NOT NULL,
            trigger TEXT NOT NULL,
            dry_run INTEGER NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            updated DOUBLE PRECISION NOT NULL
        );
        CREATE INDEX retention_executions_policy ON retention_executions(policy_id);

        CREATE TABLE retention_tasks (
            id {id},
            execution_id {bigint} NOT NULL,
            repository TEXT NOT NULL,
            status TEXT NOT NULL,
            total INTEGER NOT NULL,
            retained INTEGER NOT NULL,
            log TEXT NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            updated DOUBLE PRECISION NOT NULL
        );
        CREATE INDEX retention_tasks_execution ON retention_tasks(execution_id);
        """,
    ),
    (
        9,
        """
        ALTER TABLE users ADD COLUMN source TEXT NOT NULL DEFAULT 'local';
        ALTER TABLE users ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
        ALTER TABLE users ADD COLUMN checked DOUBLE PRECISION NOT NULL DEFAULT 0;
        ALTER TABLE users ADD COLUMN admin_in_auth INTEGER NOT NULL DEFAULT 0;

        CREATE TABLE user_groups (
            id {id},
            name {text} NOT NULL,
            group_type INTEGER NOT NULL,
            external_id {text} NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            UNIQUE (group_type, external_id)
        );

        CREATE TABLE user_group_links (
            user_id {bigint} NOT NULL,
            group_id {bigint} NOT NULL,
            PRIMARY KEY (user_id, group_id)
        );
        CREATE INDEX user_group_links_group ON user_group_links(group_id);

        CREATE TABLE group_members (
            project_id {bigint} NOT NULL,
            group_id {bigint} NOT NULL,
            role_id INTEGER NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (project_id, group_id)
        );
        CREATE INDEX group_members_group ON group_members(group_id);

        CREATE TABLE external_credentials (
            user_id {bigint} PRIMARY KEY,
            cli_secret TEXT NOT NULL,
            refresh_token TEXT NOT NULL DEFAULT '',
            updated DOUBLE PRECISION NOT NULL
        );

        CREATE TABLE settings (
            name {text} PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    ),
    (
        10,
        # Integer ids for repositories and artifacts (Harbor's clients key on them), a
        # repository description, and labels. Both tables are rebuilt, ids given in
        # creation order, because neither database adds an identity column in place.
        """
        CREATE TABLE repositories_v10 (
            id {id},
            name {text} NOT NULL UNIQUE,
            project {text} NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            created DOUBLE PRECISION NOT NULL,
            updated DOUBLE PRECISION NOT NULL,
            pull_count {bigint} NOT NULL DEFAULT 0
        );
        INSERT INTO repositories_v10 (name, project, created, updated, pull_count)
            SELECT name, project, created, updated, pull_count FROM repositories ORDER BY created, name;
        DROP TABLE repositories;
        ALTER TABLE repositories_v10 RENAME TO repositories;
        CREATE INDEX repositories_project ON repositories(project, name);

        CREATE TABLE manifests_v10 (
            id {id},
            repo {text} NOT NULL,
            digest {text} NOT NULL,
            media_type TEXT NOT NULL,
            artifact_type TEXT,
            subject TEXT,
            size {bigint} NOT NULL,
            config_digest TEXT,
            annotations TEXT,
            created DOUBLE PRECISION NOT NULL,
            pull_count {bigint} NOT NULL DEFAULT 0,
            pull_time DOUBLE PRECISION,
            UNIQUE (repo, digest)
        );
        INSERT INTO manifests_v10 (repo, digest, media_type, artifact_type, subject, size, config_digest,
                                   annotations, created, pull_count, pull_time)
            SELECT repo, digest, media_type, artifact_type, subject, size, config_digest, annotations, created,
                   pull_count, pull_time FROM manifests ORDER BY created, repo, digest;
        DROP TABLE manifests;
        ALTER TABLE manifests_v10 RENAME TO manifests;
        CREATE INDEX manifests_subject ON manifests(repo, subject);

        CREATE TABLE labels (
            id {id},
            name {text} NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            color TEXT NOT NULL DEFAULT '',
            scope TEXT NOT NULL,
            project_id {bigint} NOT NULL DEFAULT 0,
            created DOUBLE PRECISION NOT NULL,
            updated DOUBLE PRECISION NOT NULL,
            UNIQUE (project_id, name)
        );

        CREATE TABLE artifact_labels (
            artifact_id {bigint} NOT NULL,
            label_id {bigint} NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (artifact_id, label_id)
        );
        CREATE INDEX artifact_labels_label ON artifact_labels(label_id);
        """,
    ),
    (
        11,
        # The default project was inserted with no creation time; it was created with the schema.
        """
        UPDATE projects SET created = (SELECT applied FROM schema_version WHERE version = 1),
            updated = (SELECT applied FROM schema_version WHERE version = 1)
            WHERE name = 'library' AND created = 0;
        """,
    ),
    (
        12,
        """
        CREATE TABLE webhook_executions (
            id {id},
            policy_id {bigint} NOT NULL,
            event_type TEXT NOT NULL,
            address TEXT NOT NULL,
            status TEXT NOT NULL,
            message TEXT NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            updated DOUBLE PRECISION NOT NULL
        );
        CREATE INDEX webhook_executions_policy ON webhook_executions(policy_id);
        """,
    ),
    (
        13,
        # Garbage collection asks, a batch of stored blobs at a time, whether each is a manifest
        # anywhere: by digest alone, which the (repo, digest) key cannot answer without a scan.
        """
        CREATE INDEX manifests_digest ON manifests(digest);
        """,
    ),
    (
        14,
        # Artifact lists that cost the same in a repository of a hundred thousand: a kept
        # manifest count for the total, pages in index order, index entries found by kind.
        """
        ALTER TABLE repositories ADD COLUMN manifest_count {bigint} NOT NULL DEFAULT 0;
        UPDATE repositories SET manifest_count = (SELECT COUNT(*) FROM manifests m WHERE m.repo = repositories.name);
        CREATE INDEX manifests_listing ON manifests(repo, created DESC, digest);
        CREATE INDEX manifest_refs_kind ON manifest_refs(repo, kind, child);
        """,
    ),
    (
        15,
        # A retention run records the bytes garbage collection frees because of it.
        """
        ALTER TABLE retention_executions ADD COLUMN freed_bytes {bigint} NOT NULL DEFAULT 0;
        """,
    ),
    (
        16,
        # What the process that checked a proxied tag learned (the upstream is failing), for the
        # processes that serve the tag from the cache meanwhile.
        """
        CREATE TABLE notices (
            name {text} PRIMARY KEY,
            text TEXT NOT NULL,
            expires DOUBLE PRECISION NOT NULL
        );
        """,
    ),
    (
        17,
        # Each project's repository count, kept by the writes that create and delete
        # repositories, for the totals of its repository list and of the project list.
        """
        ALTER TABLE projects ADD COLUMN repo_count {bigint} NOT NULL DEFAULT 0;
        UPDATE projects SET repo_count = (SELECT COUNT(*) FROM repositories r WHERE r.project = projects.name);
        """,
    ),
]


def render(script: str, dialect: str) -> str:
    return script.format(**DIALECT_TERMS[dialect])


async def apply(db: Database) -> int:
    """Bring the schema to the newest version; return that version."""
    async with db.migration_lock() as locked:
        await locked.run_script(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied DOUBLE PRECISION NOT NULL)"
        )
        row = await locked.fetchone("SELECT MAX(version) FROM schema_version")
        current = (row[0] or 0) if row else 0
        for version, script in MIGRATIONS:
            if version > current:
                # One script, one transaction: a migration applies wholly or not at all.
                await locked.run_script(
                    "BEGIN;\n" + render(script, locked.dialect)
                    + f"\nINSERT INTO schema_version (version, applied) VALUES ({version}, {time.time()});\nCOMMIT;"
                )
                current = version
        return current


async def applied(db: Database) -> list[int]:
    """The versions applied so far, in order: each exactly once, however many processes migrated."""
    return [r[0] for r in await db.fetchall("SELECT version FROM schema_version ORDER BY version")]
