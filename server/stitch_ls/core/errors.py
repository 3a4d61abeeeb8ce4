"""Errors the core raises for callers to show as they are."""


class Refused(Exception):
    """An action the policy does not allow right now; the message says why, plainly."""
