"""Shared fixtures: the build runs once per test session; an app and a client per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from citygraph.config import Settings
from citygraph.pipeline import BuildResult, build

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PROJECT_DIRS = ("ontology", "data", "shapes", "queries")


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root (the project directory of the real Dortmund graph)."""
    return REPO


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for the real project, building into a session temporary directory."""
    return Settings(root=REPO, dist=tmp_path_factory.mktemp("build") / "dist")


@pytest.fixture(scope="session")
def built(settings: Settings) -> BuildResult:
    """The build of the real project, run once per session."""
    return build(settings)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A writable copy of the project directory (for tests that change sources)."""
    for name in PROJECT_DIRS:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, tmp_path / name)
    return tmp_path


@pytest.fixture(scope="session")
def app_context(settings: Settings, built: BuildResult) -> Iterator[object]:
    """The web app's per-build state (store, named queries), made once per session."""
    from citygraph.web.context import AppContext

    context = AppContext.open(settings)
    yield context
    context.close()  # stop its query worker processes


@pytest.fixture()
def app(settings: Settings, app_context: object) -> Flask:
    """A fresh Flask app per test over the session build."""
    from citygraph.web import create_app

    return create_app(settings, {"TESTING": True}, context=app_context)  # type: ignore[arg-type]


@pytest.fixture()
def client(app: Flask) -> Iterator[FlaskClient]:
    """A test client of the app."""
    with app.test_client() as c:
        yield c
