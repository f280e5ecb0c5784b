"""The last step of a sentence: one event per item and figure.

Within a sentence, events with the same supplier, recipient and category are one event unless their
figures or statuses differ: "more self-propelled howitzers and multiple rocket launchers" is one
artillery-systems event; "1,500 soldiers, and then another 1,500" are two; a claim and its denial in
one sentence are two. An event without a figure gives way to one of the same kind with a figure.
"""

from __future__ import annotations


def dedupe(events: list[dict]) -> list[dict]:
    out: list[dict] = []
    seen: set[tuple] = set()
    bare: dict[tuple, dict] = {}
    for ev in events:
        key: tuple
        q = ev["quantity"]
        if q is None:
            key = (ev["supplier"], ev["recipient"], ev["category"], ev["status"])
            first = bare.get(key)
            if first is None:
                bare[key] = ev
            elif first["mode"] == "unspecified":
                first["mode"] = ev["mode"]  # the mode one of its items was read with
            if first is not None:
                continue
        else:
            key = (ev["supplier"], ev["recipient"], ev["category"], ev["mode"], ev["status"], q["value"], q["low"],
                   q["qualifier"], q["text"])  # "about 120 guns and roughly as many launchers": two figures
            if key in seen:
                continue
            seen.add(key)
        out.append(ev)
    figured = {(ev["supplier"], ev["recipient"], ev["category"], ev["status"]) for ev in out if ev["quantity"] is not None}
    return [ev for ev in out if ev["quantity"] is not None
            or (ev["supplier"], ev["recipient"], ev["category"], ev["status"]) not in figured]
