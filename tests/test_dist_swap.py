"""The build replaces dist/ in one atomic step: a build killed after any step of publishing
leaves a complete build (the old one before the swap, the new one after it), the next build
removes the leftovers, and a file system that refuses a write is exit 2 with the old build kept.

The builds run as ``citygraph build`` in a child process that SIGKILLs itself right after a
chosen step: publish raises the audit event ``citygraph.publish`` after each step, and the
child's audit hook kills it there (and, for the step "writing", just before the temporary
directory gets its manifest: a half-written build).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from citygraph.config import Settings
from citygraph.pipeline import build
from citygraph.publish import DATASET_FILE, MANIFEST_FILE, PUBLISH_EVENT, PUBLISH_STEPS, Manifest

OLD_BASE = "http://example.org/old/"
PROJECT_DIRS = {"ontology", "data", "shapes", "queries"}

#: The child: ``python -c CHILD STEP ARGV…`` runs ``citygraph ARGV…`` and SIGKILLs itself right
#: after publish's step STEP ("writing": before the temporary directory's manifest is written).
CHILD = f"""
import os, signal, sys
step, argv = sys.argv[1], sys.argv[2:]
def kill_after(event, args):
    if event == {PUBLISH_EVENT!r} and args[0] == step:
        os.kill(os.getpid(), signal.SIGKILL)
    if (step == "writing" and event == "open" and isinstance(args[0], str)
            and args[0].endswith("/{MANIFEST_FILE}") and "-tmp-" in args[0] and "w" in args[1]):
        os.kill(os.getpid(), signal.SIGKILL)
sys.addaudithook(kill_after)
from citygraph.cli import main
sys.exit(main(argv))
"""

#: Steps in the order publish takes them, and whether dist/ shows the new build after a kill.
STEPS = {"writing": False, "written": False, "versioned": False, "linked": False,
         "swapped": True, "removed": True}


def killed_build(step: str, root: Path, base_iri: str) -> subprocess.CompletedProcess[str]:
    """``citygraph build`` of ``root`` for ``base_iri``, killed right after publish's ``step``."""
    argv = [sys.executable, "-c", CHILD, step, "build", "--root", str(root), "--base-iri", base_iri]
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)


def complete_build(dist: Path) -> Manifest:
    """The manifest of the build ``dist`` resolves to, after checking that the build is whole:
    every file the manifest lists, of its size and hash, and a dataset of its quads."""
    manifest = Manifest.read(dist)
    for name, info in manifest.files.items():
        content = (dist / name).read_bytes()
        assert (len(content), hashlib.sha256(content).hexdigest()) == \
            (info["bytes"], info["sha256"]), name
    dataset = dist / DATASET_FILE
    assert manifest.version == hashlib.sha256(dataset.read_bytes()).hexdigest()[:16]
    assert len(list(ox.parse(path=str(dataset), format=ox.RdfFormat.N_QUADS))) == manifest.quads
    return manifest


def leftovers(root: Path) -> set[str]:
    """What lies beside dist/ apart from the project's sources, dist/ and the build it points to."""
    live = os.readlink(root / "dist") if (root / "dist").is_symlink() else None
    return {p.name for p in root.iterdir()} - PROJECT_DIRS - {"dist", live}


def test_publish_steps_are_the_documented_ones() -> None:
    assert set(STEPS) - {"writing"} | {"cleaned", "exchanged"} == set(PUBLISH_STEPS)


def test_a_build_killed_after_any_step_leaves_a_complete_build(small_project: Path) -> None:
    """Each build is killed after another step; dist/ is always a whole build (old before the
    swap, new after it); each next build removes what the killed one before it left."""
    dist = small_project / "dist"
    live = build(Settings(root=small_project, base_iri=OLD_BASE)).manifest
    previous: set[str] = set()
    for number, (step, swapped) in enumerate(STEPS.items()):
        base = f"http://example.org/run{number}/"  # a version of its own for every build
        proc = killed_build(step, small_project, base)
        assert proc.returncode == -signal.SIGKILL, (step, proc.stderr)
        assert dist.is_symlink(), step
        manifest = complete_build(dist)
        if swapped:
            assert manifest.base_iri == base, step
            live = manifest
        else:
            assert (manifest.version, manifest.built) == (live.version, live.built), step
        left = leftovers(small_project)
        assert not previous & left, f"after {step}: the leftovers of the build before remain"
        if step in ("writing", "written", "versioned", "linked"):
            assert left, f"killed after {step}, the build leaves something to clean up"
        previous = left
    result = build(Settings(root=small_project))
    assert leftovers(small_project) == set()  # every leftover removed, the live build kept
    assert complete_build(dist).version == result.manifest.version


def test_a_real_dist_directory_is_migrated_in_one_step(small_project: Path) -> None:
    """A dist/ directory of an older citygraph becomes the link in one exchange: killed before
    it, dist/ is still the old directory; killed after it, the link to the new build."""
    dist = small_project / "dist"
    old = build(Settings(root=small_project, base_iri=OLD_BASE)).manifest
    target = dist.resolve()
    dist.unlink()
    target.rename(dist)  # a real directory, as older versions made it
    (small_project / ".dist-ab12cd34").mkdir()  # what an older interrupted build left
    (small_project / ".dist-old-4242").mkdir()

    proc = killed_build("linked", small_project, "http://example.org/new/")
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert dist.is_dir() and not dist.is_symlink()
    assert complete_build(dist).version == old.version
    assert ".dist-ab12cd34" not in leftovers(small_project)  # cleaned before the writing

    proc = killed_build("exchanged", small_project, "http://example.org/new/")
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert dist.is_symlink()
    assert complete_build(dist).base_iri == "http://example.org/new/"
    assert any((small_project / name / MANIFEST_FILE).is_file()
               for name in leftovers(small_project))  # the old directory, now unreferenced

    build(Settings(root=small_project))
    assert dist.is_symlink() and leftovers(small_project) == set()
    assert complete_build(dist).base_iri == Settings().base_iri


FILE_SIZE_LIMIT = f"""
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
from citygraph.cli import main
resource.setrlimit(resource.RLIMIT_FSIZE, ({64 * 1024}, {64 * 1024}))
sys.exit(main(sys.argv[1:]))
"""


def test_a_write_the_system_refuses_is_exit_2_naming_the_path(small_project: Path) -> None:
    """A file-size limit (RLIMIT_FSIZE) makes the kernel refuse the dataset file: exit 2, a
    one-line message naming the file, no traceback, the old build unchanged, nothing left."""
    old = build(Settings(root=small_project, base_iri=OLD_BASE)).manifest
    proc = subprocess.run([sys.executable, "-c", FILE_SIZE_LIMIT, "build", "--root",
                           str(small_project)], capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    message = proc.stderr.strip()
    assert message.startswith(f"citygraph build: error: cannot write the build: {small_project}/")
    assert f"/{DATASET_FILE}: {os.strerror(27)}" in message, message  # EFBIG: File too large
    assert f"the previous build in {small_project / 'dist'} is unchanged" in message
    assert complete_build(small_project / "dist").version == old.version
    assert leftovers(small_project) == set()


def _unshare_works() -> bool:
    try:
        return subprocess.run(["unshare", "-rm", "true"], capture_output=True,
                              timeout=30, check=False).returncode == 0
    except OSError:
        return False


FULL_DISK = """
set -e
mount -t tmpfs -o "size=$1" tmpfs "$2"
shift 2
"$@" --base-iri http://example.org/old/ --quiet
set +e
"$@" 2> "$OUT/stderr.txt"
echo $? > "$OUT/code.txt"
cp -a "$DISK/." "$OUT/disk"
"""


@pytest.mark.skipif(not _unshare_works(), reason="needs `unshare -rm` (a mount namespace)")
def test_a_full_disk_is_exit_2_and_the_old_build_stays(small_project: Path,
                                                       tmp_path_factory: pytest.TempPathFactory
                                                       ) -> None:
    """On a file system with room for one build but not for two (a tmpfs in a private mount
    namespace), the second build fails with ENOSPC: exit 2 naming the file, the old build kept."""
    sizes = tmp_path_factory.mktemp("sizes")
    build(Settings(root=small_project, dist=sizes / "dist"))
    size = sum(p.stat().st_size for p in (sizes / "dist").iterdir())
    shutil.rmtree(sizes)
    disk, out = tmp_path_factory.mktemp("disk"), tmp_path_factory.mktemp("out")
    env = dict(os.environ, OUT=str(out), DISK=str(disk))
    argv = ["unshare", "-rm", "sh", "-c", FULL_DISK, "sh", f"{size * 3 // 2 // 1024 + 64}k",
            str(disk), sys.executable, "-m", "citygraph", "build", "--root", str(small_project),
            "--dist", str(disk / "dist")]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    stderr = (out / "stderr.txt").read_text(encoding="utf-8")
    assert (out / "code.txt").read_text(encoding="utf-8").strip() == "2", stderr
    assert "Traceback" not in stderr and os.strerror(28) in stderr  # No space left on device
    assert f"cannot write the build: {disk}/.dist-tmp-" in stderr
    assert f"the previous build in {disk / 'dist'} is unchanged" in stderr
    assert complete_build(out / "disk" / "dist").base_iri == OLD_BASE
    assert {p.name for p in (out / "disk").iterdir()} == {"dist", os.readlink(out / "disk" / "dist")}

