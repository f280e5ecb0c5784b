"""What the construction tests compare: events reduced to the fields a construction decides."""

from __future__ import annotations


def figures(events: list[dict]) -> set[tuple]:
    """(supplier, recipient, category, value, mode) of the events that carry a figure."""
    return {(e["supplier"], e["recipient"], e["category"], e["quantity"]["value"], e["mode"])
            for e in events if e["quantity"] and e["quantity"]["value"] is not None}


def keys(events: list[dict]) -> set[tuple]:
    """(supplier, recipient, category, status) of every event."""
    return {(e["supplier"], e["recipient"], e["category"], e["status"]) for e in events}
