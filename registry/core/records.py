"""The records core hands to its callers.

Storage defines their shape; everything above core names them from here, so that
no handler imports storage.
"""
from storage.meta.catalog import RepositorySummary
from storage.meta.jobs import GcRunRecord
from storage.meta.records import AuditRecord, MemberRecord, ProjectRecord, RobotRecord, UserRecord
from storage.meta.webhooks import WebhookPolicyRecord

__all__ = ["AuditRecord", "GcRunRecord", "MemberRecord", "ProjectRecord", "RepositorySummary", "RobotRecord", "UserRecord",
           "WebhookPolicyRecord"]
