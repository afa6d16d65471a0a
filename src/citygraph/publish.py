"""Publish stage: write the dataset, the dumps and the manifest into dist/, atomically.

Every file is written into a temporary sibling directory first; only a complete build replaces
the previous ``dist/``, so a failed build never leaves a half-written one. Quads and triples are
written in sorted order, so the same sources give byte-identical dumps.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .errors import ConfigError
from .formats import turtle_prefixes
from .vocab import PREFIXES

#: Dump file name → (pyoxigraph format, media type, whether it keeps named graphs).
DUMPS: dict[str, tuple[ox.RdfFormat, bool]] = {
    "citygraph.nq": (ox.RdfFormat.N_QUADS, True),
    "citygraph.trig": (ox.RdfFormat.TRIG, True),
    "citygraph.ttl": (ox.RdfFormat.TURTLE, False),
    "citygraph.nt": (ox.RdfFormat.N_TRIPLES, False),
    "citygraph.jsonld": (ox.RdfFormat.JSON_LD, False),
}
DATASET_FILE = "citygraph.nq"
MERGED_FILE = "citygraph.nt"
MANIFEST_FILE = "manifest.json"
TOOLS = ("citygraph", "rdflib", "owlrl", "pyshacl", "pyoxigraph")


@dataclass(frozen=True)
class Manifest:
    """What a build produced: its version (content hash), counts, time and tools."""

    version: str
    base_iri: str
    built: str
    triples: int
    quads: int
    graphs: Mapping[str, int]
    files: Mapping[str, Mapping[str, Any]]
    tools: Mapping[str, str]
    validation: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        """The manifest as indented JSON."""
        return json.dumps(self.__dict__, indent=2, ensure_ascii=False, sort_keys=True,
                          default=dict) + "\n"

    @classmethod
    def read(cls, dist: Path) -> Manifest:
        """Read ``dist/manifest.json``."""
        data = json.loads((dist / MANIFEST_FILE).read_text(encoding="utf-8"))
        return cls(**data)


def tool_versions() -> dict[str, str]:
    """Versions of Python and of the libraries the build uses."""
    out = {"python": platform.python_version()}
    for name in TOOLS:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "unknown"
    return out


def sorted_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """Distinct quads in a canonical order (by their N-Quads text)."""
    return sorted(set(quads), key=str)


def merged_triples(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    """The distinct triples of all graphs (the merged graph), in canonical order."""
    return sorted({q.triple for q in quads}, key=str)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_dumps(quads: list[ox.Quad], directory: Path) -> dict[str, dict[str, Any]]:
    """Write every dump of DUMPS into ``directory``; return size and hash per file."""
    triples = merged_triples(quads)
    files: dict[str, dict[str, Any]] = {}
    for name, (fmt, with_graphs) in DUMPS.items():
        path = directory / name
        data = quads if with_graphs else triples
        prefixes = None if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.N_TRIPLES) else PREFIXES
        if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):  # only those used, plain local names
            prefixes = turtle_prefixes(data, PREFIXES)
        ox.serialize(data, str(path), format=fmt, prefixes=prefixes)
        files[name] = {"bytes": path.stat().st_size, "sha256": _sha256(path),
                       "mediaType": fmt.media_type}
    return files


def publish(
    quads: Iterable[ox.Quad],
    dist: Path,
    *,
    base_iri: str,
    validation: Mapping[str, int] | None = None,
    extra_files: Mapping[str, bytes] | None = None,
    describe: Callable[[Manifest, Path], Mapping[str, bytes]] | None = None,
) -> Manifest:
    """Write the dataset, dumps and manifest to ``dist`` atomically and return the manifest.

    ``describe(manifest, directory)`` returns more files made from the written build (the
    DCAT-AP catalog and VoID); they are written beside the dumps and listed in the manifest.
    """
    ordered = sorted_quads(quads)
    dist = dist.resolve()
    check_target(dist)
    try:
        dist.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".dist-", dir=dist.parent))
    except OSError as exc:
        raise ConfigError(f"cannot write the build beside {dist}: {exc.strerror or exc}") from None
    tmp.chmod(0o755)  # mkdtemp makes it private; the build is for everyone to read (a web server)
    try:
        files = write_dumps(ordered, tmp)
        for name, content in (extra_files or {}).items():
            (tmp / name).write_bytes(content)
            files[name] = {"bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()}
        graphs: dict[str, int] = {}
        for quad in ordered:
            key = str(quad.graph_name.value) if isinstance(quad.graph_name, ox.NamedNode) else ""
            graphs[key] = graphs.get(key, 0) + 1
        manifest = Manifest(
            version=files[DATASET_FILE]["sha256"][:16],
            base_iri=base_iri,
            built=datetime.now(UTC).isoformat(timespec="seconds"),
            triples=len(merged_triples(ordered)),
            quads=len(ordered),
            graphs=dict(sorted(graphs.items())),
            files=files,
            tools=tool_versions(),
            validation=dict(validation or {}),
        )
        if describe is not None:
            described = dict(manifest.files)
            for name, content in describe(manifest, tmp).items():
                (tmp / name).write_bytes(content)
                described[name] = {"bytes": len(content),
                                   "sha256": hashlib.sha256(content).hexdigest()}
            manifest = replace(manifest, files=described)
        (tmp / MANIFEST_FILE).write_text(manifest.to_json(), encoding="utf-8")
        swap(tmp, dist)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def check_target(dist: Path) -> None:
    """Refuse to build into ``dist`` unless it is new, empty, or a previous build.

    A build replaces its directory as a whole: a directory that holds anything else (or a file
    of that name) would be lost, so it is never taken.
    """
    if not dist.exists():
        return
    if not dist.is_dir():
        raise ConfigError(f"the build directory {dist} is a file, not a directory: refusing to "
                          "replace it; choose another --dist")
    if not (dist / MANIFEST_FILE).is_file() and any(dist.iterdir()):
        raise ConfigError(f"{dist} is not empty and holds no citygraph build ({MANIFEST_FILE} "
                          "is missing): refusing to replace it; choose an empty or new --dist")


def swap(new: Path, target: Path) -> None:
    """Replace directory ``target`` by ``new`` with two renames (old one removed after)."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}-old-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        target.rename(old)
    try:
        new.rename(target)
    except BaseException:
        if old is not None:
            old.rename(target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
