"""The runnable examples in the core API's docstrings."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["config", "errors", "vocab", "load", "infer", "terms", "formats", "store", "queries",
           "federation"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"citygraph.{name}")
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0
    if name in {"config", "errors", "formats", "store", "queries", "infer", "terms", "federation"}:
        assert tried > 0
