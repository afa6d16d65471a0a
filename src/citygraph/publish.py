"""Publish stage: write the dataset, the dumps and the manifest; replace the build atomically.

``dist`` is a symbolic link to a versioned directory beside it, ``.dist-<version>-<n>``. A build
writes everything into a temporary directory (``.dist-tmp-…``), renames it to its versioned name,
makes a new link (``.dist-link-…``) and renames that over ``dist``: a single ``rename()``, so
whoever follows ``dist`` finds the complete old build or the complete new one, whenever the
build is killed. The next build removes what an interrupted one left behind: only names of this
module's making, and never the directory the live link points to; builds beside each other take
turns (a lock on the parent directory). A ``dist/`` that is a real directory (made by older
versions) is exchanged with the new link in one step too (Linux ``renameat2`` with
``RENAME_EXCHANGE``). Any OSError while writing (disk full, permission denied) is a
PublishError naming the path, the previous build left as it was. Quads and triples are written
in sorted order, so the same sources give byte-identical dumps.

After each step, ``sys.audit("citygraph.publish", step, path)`` is raised, ``step`` being one
of PUBLISH_STEPS (audit hooks see it; tests kill a build right after each step).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import json
import os
import platform
import re
import secrets
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .errors import ConfigError, PublishError
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
#: The audit event raised after each step of a publish, and its steps in order ("exchanged"
#: instead of "swapped" when a real ``dist/`` directory of an older version is replaced).
PUBLISH_EVENT = "citygraph.publish"
PUBLISH_STEPS = ("cleaned", "written", "versioned", "linked", "swapped", "exchanged", "removed")


@dataclass(frozen=True)
class Manifest:
    """What a build produced: its version (content hash), counts, time and tools.

    ``changed``: when the files of the build last changed (the build time of the first build in
    this place that wrote these same files): HTTP's Last-Modified. A rebuild of the same sources
    keeps it; the build time itself (``built``) is written nowhere but here.
    """

    version: str
    base_iri: str
    built: str
    triples: int
    quads: int
    graphs: Mapping[str, int]
    files: Mapping[str, Mapping[str, Any]]
    tools: Mapping[str, str]
    validation: Mapping[str, int] = field(default_factory=dict)
    changed: str = ""

    @property
    def changed_time(self) -> datetime:
        """When the build's files last changed, as an aware UTC time (``built`` if unknown)."""
        value = datetime.fromisoformat(self.changed or self.built)
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

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


_OS_ERROR = re.compile(r" \(os error \d+\)$")


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """Give an OSError that names no file (pyoxigraph's) the path being written."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None:  # pyoxigraph says "… (os error 28)"
            reason = _OS_ERROR.sub("", exc.strerror or str(exc))
            raise OSError(exc.errno, reason, str(path)) from exc
        raise


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
        with _naming(path):
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
    """Write the dataset, dumps and manifest, make ``dist`` point to them, return the manifest.

    ``describe(manifest, directory)`` returns more files made from the written build (the
    DCAT-AP catalog and VoID); they are written beside the dumps and listed in the manifest.
    Raises PublishError (the previous build unchanged) when the file system refuses a step.
    """
    ordered = sorted_quads(quads)
    link = build_link(dist)
    check_target(link)
    kept = link if (link / MANIFEST_FILE).is_file() else None
    previous = _previous_manifest(link) if kept is not None else None
    try:
        link.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:  # a file on the way
        raise PublishError(exc.filename or link.parent, "is a file, not a directory") from None
    except OSError as exc:
        raise PublishError(exc.filename or link.parent, exc.strerror or str(exc)) from None
    try:
        with _locked(link.parent):
            return _publish(link, lambda tmp: _write_build(
                ordered, tmp, base_iri=base_iri, validation=validation, extra_files=extra_files,
                describe=describe, previous=previous))
    except OSError as exc:
        raise PublishError(exc.filename or link.parent, exc.strerror or str(exc), kept) from None


def _publish(link: Path, write: Callable[[Path], Manifest]) -> Manifest:
    """``publish`` with the parent directory locked: ``write`` the build into a fresh directory,
    then rename, link, swap, clean up."""
    parent = link.parent
    remove_leftovers(link)
    _event("cleaned", parent)
    made: list[Path] = []  # what this build made: removed again unless it went live
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{link.name}-tmp-", dir=parent))
        made.append(tmp)
        tmp.chmod(0o755)  # mkdtemp makes it private; the build is for everyone to read
        manifest = write(tmp)
        _event("written", tmp)
        versioned = _free_name(parent, f".{link.name}-{manifest.version}")
        os.rename(tmp, versioned)
        made[0] = versioned
        _fsync(parent)
        _event("versioned", versioned)
        new_link = parent / f".{link.name}-link-{secrets.token_hex(4)}"
        os.symlink(versioned.name, new_link)
        made.append(new_link)
        _event("linked", new_link)
        if link.is_symlink() or not os.path.lexists(link):
            os.replace(new_link, link)  # the one atomic step: dist now points to the new build
            step = "swapped"
        else:  # a real directory, from a version of citygraph before the link
            _exchange(new_link, link)
            step = "exchanged"
        made.clear()
        _fsync(parent)
        _event(step, link)
    except BaseException:
        for path in reversed(made):
            _remove(path)
        raise
    try:
        remove_leftovers(link)  # the previous build, now that nothing points to it
    except OSError:
        pass  # the new build is live; the next build removes what is left
    _event("removed", parent)
    return manifest


def _write_build(
    ordered: list[ox.Quad],
    tmp: Path,
    *,
    base_iri: str,
    validation: Mapping[str, int] | None,
    extra_files: Mapping[str, bytes] | None,
    describe: Callable[[Manifest, Path], Mapping[str, bytes]] | None,
    previous: Manifest | None = None,
) -> Manifest:
    """Write every file of a build into the directory ``tmp`` (synced to disk); ``previous``:
    the manifest of the build it replaces (its ``changed`` time is kept if no file differs)."""
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
    same = previous is not None and dict(previous.files) == dict(manifest.files)
    manifest = replace(manifest, changed=(previous.changed or previous.built) if same and previous
                       else manifest.built)
    (tmp / MANIFEST_FILE).write_text(manifest.to_json(), encoding="utf-8")
    for path in tmp.iterdir():
        with _naming(path):
            _fsync(path)
    _fsync(tmp)
    return manifest


def _previous_manifest(link: Path) -> Manifest | None:
    """The manifest of the build ``link`` holds now, or None if it cannot be read."""
    try:
        return Manifest.read(link)
    except (OSError, ValueError, TypeError):
        return None


def _event(step: str, path: Path) -> None:
    sys.audit(PUBLISH_EVENT, step, str(path))


def _fsync(path: Path) -> None:
    """Flush a file or a directory (its entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _free_name(parent: Path, stem: str) -> Path:
    """``parent/stem-n`` for the smallest n ≥ 1 that names nothing yet."""
    n = 1
    while os.path.lexists(parent / f"{stem}-{n}"):
        n += 1
    return parent / f"{stem}-{n}"


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``directory`` (builds beside each other take turns)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:  # a file system without locks: build unlocked
            if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
                raise
        yield
    finally:
        os.close(fd)  # releases the lock


def _versioned(name: str) -> re.Pattern[str]:
    """Names of the versioned build directories beside the link ``name``."""
    return re.compile(rf"\.{re.escape(name)}-[0-9a-f]{{8,64}}-[0-9]+")


def _own(name: str) -> re.Pattern[str]:
    """Names citygraph makes beside the link ``name``: versioned builds, temporary build
    directories and links, and what older versions left (``.dist-XXXXXXXX`` temporary
    directories, ``.NAME-old-PID`` directories of the two-rename swap)."""
    n = re.escape(name)
    return re.compile(rf"\.{n}-(?:[0-9a-f]{{8,64}}-[0-9]+|(?:tmp|link)-[a-z0-9_]{{8}}|old-[0-9]+)"
                      r"|\.dist-[a-z0-9_]{8}")


def is_build_link(path: Path) -> bool:
    """True when ``path`` is a symbolic link that citygraph made: to a versioned build beside it."""
    try:
        target = os.readlink(path)
    except OSError:
        return False
    return _versioned(path.name).fullmatch(target) is not None


def build_link(dist: Path) -> Path:
    """The absolute path of the build's link for ``dist``: parent directories resolved, and
    symbolic links of the user's making followed (citygraph's own link is not)."""
    path = Path(os.path.abspath(dist))
    for _ in range(40):
        if path.name in ("", ".", ".."):
            raise ConfigError(f"the build directory {dist} names no directory entry (a file-system "
                              "root): choose another --dist")
        path = path.parent.resolve() / path.name
        if not path.is_symlink() or is_build_link(path):
            return path
        path = Path(os.path.abspath(path.parent / os.readlink(path)))
    raise ConfigError(f"the build directory {dist}: too many levels of symbolic links")


def remove_leftovers(link: Path) -> list[str]:
    """Remove what builds beside the link ``link`` left behind; return the names removed.

    Only names that citygraph makes (see ``_own``) are touched, never the directory the link
    points to; directories are removed with their contents, symbolic links themselves (never
    what they point to), and a plain file of such a name is left alone.
    """
    live = os.readlink(link) if is_build_link(link) else None
    own = _own(link.name)
    removed = []
    with os.scandir(link.parent) as entries:
        for entry in entries:
            if entry.name == live or not own.fullmatch(entry.name):
                continue
            if entry.is_symlink() or entry.is_dir(follow_symlinks=False):
                _remove(Path(entry.path))
                removed.append(entry.name)
    return removed


def _remove(path: Path) -> None:
    """Remove a symbolic link or a directory tree, quietly (best effort)."""
    if path.is_symlink():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(new: Path, target: Path) -> None:
    """Put ``new`` in the place of ``target`` (``target``'s old entry ends up at ``new``'s name).

    One atomic step with Linux ``renameat2(RENAME_EXCHANGE)``; on a system or file system
    without it, two renames (a kill between them leaves no ``target`` until the next build).
    """
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        renameat2 = None
    if renameat2 is not None:
        renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                              ctypes.c_uint]
        renameat2.restype = ctypes.c_int
        if renameat2(_AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(target),
                     _RENAME_EXCHANGE) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise OSError(code, os.strerror(code), str(target))
    old = target.with_name(f".{target.name}-old-{os.getpid()}")
    os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)
        raise
    os.rename(old, new)  # where the exchange would have put it


def check_target(dist: Path) -> None:
    """Refuse to build into ``dist`` unless it is new, empty, or a previous build.

    A build replaces its directory as a whole: a directory that holds anything else (or a file
    of that name) would be lost, so it is never taken.
    """
    link = build_link(dist)
    if is_build_link(link) or not link.exists():
        return
    if not link.is_dir():
        raise ConfigError(f"the build directory {link} is a file, not a directory: refusing to "
                          "replace it; choose another --dist")
    if not (link / MANIFEST_FILE).is_file() and any(link.iterdir()):
        raise ConfigError(f"{link} is not empty and holds no citygraph build ({MANIFEST_FILE} "
                          "is missing): refusing to replace it; choose an empty or new --dist")
