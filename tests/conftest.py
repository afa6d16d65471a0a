"""Shared fixtures: the build runs once per test session; an app and a client per test.

Tests that must change sources or run a failing build use ``small_project`` (the real ontology,
shapes and queries with a few data nodes: builds in about a second) rather than a copy of the
whole project; ``project`` is for tests that need the real data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from citygraph.config import Settings
from citygraph.pipeline import BuildResult, build

REPO = Path(__file__).resolve().parents[1]
PROJECT_DIRS = ("ontology", "data", "shapes", "queries")
#: A few complete, valid nodes (places, a council, a resolution, a partnership, sources) that
#: tests/test_shapes.py keeps valid against the real shapes and ontology.
SMALL_DATA = Path(__file__).resolve().parent / "fixtures" / "shapes" / "_context.ttl"


@dataclass(frozen=True)
class Background:
    """A command running in another process; its output goes to files."""

    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def wait(self, timeout: float = 300) -> tuple[int, str, str]:
        """Wait for the command; return its exit code, standard output and standard error."""
        code = self.process.wait(timeout=timeout)
        return (code, self.stdout.read_text(encoding="utf-8", errors="replace"),
                self.stderr.read_text(encoding="utf-8", errors="replace"))


StartBackground = Callable[[Sequence[str], Path, Mapping[str, str]], Background]


@pytest.fixture(scope="session")
def start_background() -> Iterator[StartBackground]:
    """Start a command in another process: ``start(argv, directory, env)`` (output into files
    in ``directory``; ``env`` added to this process's environment). Killed at the end of the
    session if still running.

    A module fixture uses it for a slow command whose outcome one test checks: started with
    the module's first test, it runs on the second core while the other tests run here.
    """
    started: list[Background] = []

    def start(argv: Sequence[str], directory: Path, env: Mapping[str, str]) -> Background:
        stdout, stderr = directory / "stdout.txt", directory / "stderr.txt"
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(list(argv), stdout=out, stderr=err,
                                       env=dict(os.environ, **env))
        started.append(Background(process, stdout, stderr))
        return started[-1]

    yield start
    for run in started:
        if run.process.poll() is None:
            run.process.kill()
        run.process.wait()


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


@pytest.fixture()
def small_project(tmp_path: Path) -> Path:
    """The smallest real project: the real ontology/, shapes/ and queries/, and data/ holding
    only ``data/context.ttl`` (the shape tests' context nodes, Dortmund among them)."""
    for name in ("ontology", "shapes", "queries"):
        shutil.copytree(REPO / name, tmp_path / name)
    (tmp_path / "data").mkdir()
    shutil.copyfile(SMALL_DATA, tmp_path / "data" / "context.ttl")
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
