"""One extractor for every extraction test: building it loads the rule data and the pipeline."""

from __future__ import annotations

import pytest

from worker.extract import Extractor


@pytest.fixture(scope="session")
def ex() -> Extractor:
    return Extractor()
