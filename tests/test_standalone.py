"""The repository stands alone: nothing refers to a ``shared`` folder beside it, and what the data
and tests need from outside is vendored in ``reference/`` with its source and licence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "reference"
#: The folders whose files are read at build, run or test time.
CHECKED = ("src", "tests", "benchmarks", "data", "queries")
#: Build and tool leftovers that are not part of the repository's sources.
SKIPPED_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
#: A reference to the folder beside the repository, however it is spelt: a relative path
#: (``../shared``), a path under it (``shared/reference``, also with a backslash), or a pathlib
#: join from a parent (``REPO.parent / "shared"``, ``parents[2] / "shared"``).
OUTSIDE = re.compile(
    r"\.\.[/\\]shared\b"
    r"|\bshared[/\\]reference\b"
    r"|\bparents?\b(\[\d+\])?\s*/\s*[\"']shared[\"']"
)


def source_files() -> list[Path]:
    """Every file under the checked folders, without caches and egg-info."""
    files = []
    for top in CHECKED:
        for path in sorted((REPO / top).rglob("*")):
            parts = set(path.relative_to(REPO).parts)
            if path.is_file() and not parts & SKIPPED_DIRS \
                    and not any(p.endswith(".egg-info") for p in parts):
                files.append(path)
    return files


def references_outside(text: str) -> list[str]:
    """The lines of ``text`` that refer to the shared folder beside the repository."""
    return [line.strip() for line in text.splitlines() if OUTSIDE.search(line)]


@pytest.mark.parametrize("line", [
    'DCAT_AP = REPO.parent / "shared" / "reference" / "dcat-ap"',
    'REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"',
    'dcterms:identifier "shared/reference/qids-verified.csv" ;',
    "The official shapes (`../../../../shared/reference/dcat-ap/`)",
    "see ../shared for the data",
    r"C:\work\shared\reference\coordinates.csv",
])
def test_the_check_finds_every_spelling(line: str) -> None:
    assert references_outside("first line\n" + line + "\nlast line") == [line]


@pytest.mark.parametrize("line", [
    "a shared executor", "shared = set(terms)", 'REFERENCE = REPO / "reference"',
    "reference/qids-verified.csv", "fixtures/shapes/wikidata-entity/invalid-shared.ttl",
])
def test_the_check_lets_other_words_pass(line: str) -> None:
    assert references_outside(line) == []


def test_nothing_refers_to_the_shared_folder() -> None:
    """Every file but this one (whose examples above must spell the forbidden paths)."""
    files = [path for path in source_files() if path != Path(__file__).resolve()]
    assert len(files) > 50 and REPO / "tests" / "conftest.py" in files
    found = [f"{path.relative_to(REPO)}: {line}" for path in files
             for line in references_outside(path.read_bytes().decode("utf-8", errors="replace"))]
    assert not found, "files refer to ../shared (vendor into reference/ instead):\n" + "\n".join(found)


def test_every_vendored_file_has_its_source_and_licence_in_the_readme() -> None:
    readme = (REFERENCE / "README.md").read_text(encoding="utf-8")
    files = [p for p in sorted(REFERENCE.rglob("*")) if p.is_file() and p.name != "README.md"]
    assert files
    missing = [str(p.relative_to(REFERENCE)) for p in files if p.name not in readme]
    assert not missing, f"reference/README.md does not name: {missing}"
    sections = re.split(r"^## ", readme, flags=re.M)[1:]
    for section in sections:
        heading = section.splitlines()[0]
        assert re.search(r"licen[cs]e|CC BY|CC0|public domain|compiled|derived", section, re.I), heading
    for folder in ("dcat-ap", "twinnings"):
        assert any(s.startswith(folder) for s in sections), folder
    assert re.search(r"\b[0-9a-f]{40}\b", readme), "no commit recorded"


def test_needed_reference_files_are_vendored() -> None:
    for name in ("coordinates.csv", "qids-verified.csv",
                 "twinnings/l3viathan-sister-cities-2016/names.tsv",
                 "twinnings/l3viathan-sister-cities-2016/relations.tsv",
                 "twinnings/l3viathan-sister-cities-2016/dortmund_subset.derived.tsv",
                 "dcat-ap/semic-dcat-ap-3.0.0/shacl/dcat-ap-SHACL.ttl",
                 "dcat-ap/semic-dcat-ap-3.0.1/shacl/dcat-ap-SHACL.ttl",
                 "dcat-ap/semic-dcat-ap-3.0.1/shacl/ranges.ttl",
                 "dcat-ap/dcat-ap.de-3.0/shacl/dcat-ap-SHACL-DE.ttl"):
        assert (REFERENCE / name).is_file(), name
