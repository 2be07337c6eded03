"""Workspaces: the virtual organisations departments of different regions form together."""
