"""Leads selectors: calls."""

__all__: list[str] = []
