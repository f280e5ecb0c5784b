"""The poller reads feeds and applies the relevance gate without loading spaCy (half its memory)."""

from __future__ import annotations

import subprocess
import sys

_CHECK = """
import sys
from worker.poller import relevance_gate_filter
gate = relevance_gate_filter()
assert gate("North Korea has sent 10,000 troops to Russia, the agency said.")
print("spacy" in sys.modules)
"""


def test_poller_and_its_gate_do_not_import_spacy() -> None:
    out = subprocess.run([sys.executable, "-c", _CHECK], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
