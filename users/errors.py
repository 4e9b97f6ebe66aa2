"""Errors of the users app that are not protocol errors (operator input)."""


class InvalidApiKey(ValueError):
    """A key given by an operator is unsuitable (too short, weak or already in use)."""
