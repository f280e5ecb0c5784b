"""``python -m worker`` is ``transferwatch``; the service spawns its workers this way."""

from worker.cli import main

main(prog_name="transferwatch")
