"""REST API of the audit domain."""
