"""REST API of the accounts domain."""
