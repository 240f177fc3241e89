"""Staff: accounts and roles, passwords, two-factor login, sessions and the audit log.

A lower floor: the features (who records who published what) and the back office (which
signs staff in) both build on it, and it imports no feature. The back office's pages,
access rules and commands live in portal.admin."""
