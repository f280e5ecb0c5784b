"""Liveness marks in Redis, read by ``transferwatch health``.

Each long-running component sets ``P:heartbeat:<role>:<name>`` with a short TTL
on every loop; a component that stops beating disappears by itself. RQ
workers are found through RQ's own worker registry instead.
"""

from __future__ import annotations

import os
import socket
import time

import redis

from worker.keys import Keys

TTL = 30


def instance_name(role: str) -> str:
    return f"{role}-{socket.gethostname()}-{os.getpid()}"


def beat(connection: redis.Redis, keys: Keys, role: str, name: str) -> None:
    """Mark a component alive for ``TTL`` seconds."""
    connection.set(keys.heartbeat(role, name), str(time.time()), ex=TTL)


def alive(connection: redis.Redis, keys: Keys, role: str) -> bool:
    return next(connection.scan_iter(match=keys.heartbeat(role, "*"), count=1000), None) is not None
