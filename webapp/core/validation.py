"""Bounds for numbers that come from outside, so an over-large id is a 400 or 404, never a 500."""

from rest_framework import serializers

# Ids are 64-bit signed integers in every database the project runs on.
MAX_ID = 2**63 - 1


def id_field(**kwargs) -> serializers.IntegerField:
    """A database id: a whole number from 1 to MAX_ID."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def parse_id(raw: str | None, name: str) -> int | None:
    """An id from a query parameter; None when absent; ValidationError (400) when not an id."""
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise serializers.ValidationError({name: ["an id (a whole number from 1)"]})
    return int(raw)
