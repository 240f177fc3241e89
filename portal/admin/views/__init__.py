"""The back office's pages, on one blueprint (portal.admin.access.bp), one module per area."""
from portal.admin.views import applications, audit_log, auth, drafts, ratings, reports, users

__all__ = ["applications", "audit_log", "auth", "drafts", "ratings", "reports", "users"]
