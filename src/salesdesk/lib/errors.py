"""Exceptions shared across apps that carry no Django dependency."""


class Conflict(ValueError):
    """A write names an existing natural key with different content."""
