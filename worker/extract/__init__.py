"""Transfer-event extraction: a spaCy pipeline from ``spacy.blank("en")`` plus rule components.

    from worker.extract import Extractor
    events = Extractor().extract(text, title=None, published="2024-10-23")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Extractor"]

if TYPE_CHECKING:
    from worker.extract.extractor import Extractor


def __getattr__(name: str) -> Any:
    if name == "Extractor":
        from worker.extract.extractor import Extractor

        return Extractor
    raise AttributeError(name)
