"""What every request needs: settings, the build's manifest, the query executor, the queries."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from ..config import Settings
from ..errors import MissingPathError
from ..pipeline import build, is_stale
from ..publish import Manifest
from ..queries import NamedQuery, load_catalogue
from ..store import EmbeddedStore


@dataclass
class AppContext:
    """The per-app state: one build, one store (or executor), one named-query catalogue."""

    settings: Settings
    manifest: Manifest
    store: EmbeddedStore
    queries: dict[str, NamedQuery]

    @property
    def dist(self) -> Path:
        """The build directory being served."""
        return self.settings.dist_dir

    @property
    def version(self) -> str:
        """The dataset version (content hash), used for ETags."""
        return self.manifest.version

    @classmethod
    def open(cls, settings: Settings) -> AppContext:
        """Build if needed, then load the build and the named queries."""
        if is_stale(settings):
            build(settings)
        store = EmbeddedStore(settings.dist_dir)
        queries_dir = settings.root / "queries"
        if not queries_dir.is_dir():
            raise MissingPathError(queries_dir, "directory")
        return cls(settings, Manifest.read(settings.dist_dir), store, load_catalogue(queries_dir))


def ctx() -> AppContext:
    """The AppContext of the current app."""
    value = current_app.extensions["citygraph"]
    assert isinstance(value, AppContext)
    return value
