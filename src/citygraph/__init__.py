"""citygraph: a linked-open-data knowledge graph of cities' international relations."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("citygraph")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
