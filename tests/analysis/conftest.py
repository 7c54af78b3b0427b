"""Each analysis test module gets a columnar event cache of its own (a fresh folder)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module", autouse=True)
def own_cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CTANB_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield
