"""The records core hands to its callers.

Storage defines their shape; everything above core names them from here, so that
no handler imports storage.
"""
from storage.meta.catalog import RepositorySummary
from storage.meta.jobs import GcRunRecord
from storage.meta.labels import LabelRecord
from storage.meta.retention import RetentionExecutionRecord, RetentionTaskRecord
from storage.meta.records import (AuditRecord, GroupMemberRecord, GroupRecord, MemberRecord, ProjectRecord, RobotRecord,
                                  UserRecord)
from storage.meta.webhooks import WebhookExecutionRecord, WebhookPolicyRecord

# Record ids are signed 64-bit integers in every store: a larger one names nothing.
MAX_ID = 2**63 - 1

__all__ = ["MAX_ID", "AuditRecord", "GcRunRecord", "LabelRecord", "GroupMemberRecord", "GroupRecord", "MemberRecord", "ProjectRecord", "RepositorySummary", "RetentionExecutionRecord", "RetentionTaskRecord", "RobotRecord", "UserRecord",
           "WebhookExecutionRecord", "WebhookPolicyRecord"]
