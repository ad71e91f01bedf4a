"""Exclusive run directories: an advisory lock (`fcntl.flock` on `DIR/.lock`) held for a run's whole life.

Creating a run directory and claiming it is one step: the directory is created, its `.lock` file opened and
locked without waiting, and only then is it checked (a new run needs a directory without a run in it; a resumed
run one that holds a run). A second gaterm process on the same directory fails at once with one line naming the
process that holds it, before it has written anything.

The lock file is removed when the lock is released. A process that opened the old file before that notices the
file it locked is no longer the directory's `.lock` (the inodes differ) and tries again, so two processes can
never both hold a directory. The kernel releases the lock of a killed process; a stale `.lock` file left by
`kill -9` is harmless. Forked children (worker processes) close their copy of the descriptor, so only the
process that claimed the directory holds it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Callable
from pathlib import Path
from typing import Self

from gaterm.rundir.files import RunDirError

LOCK = ".lock"

# the descriptors of every lock this process holds, so that a forked child closes its copies (flock locks belong
# to the open file description, which a fork shares: a worker that outlived its parent would otherwise keep the
# directory locked)
_HELD_FDS: set[int] = set()


def _close_in_child() -> None:
    for fd in list(_HELD_FDS):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD_FDS.clear()


os.register_at_fork(after_in_child=_close_in_child)


class RunLock:
    """A claimed run directory; `release()` (or leaving the `with` block) frees it. Releasing twice is harmless."""

    def __init__(self, path: Path, fd: int, created: list[Path]) -> None:
        self.path = path
        self._fd: int | None = fd
        self._created = created  # directories this process created, deepest first: removed again if left empty
        self._pid = os.getpid()
        _HELD_FDS.add(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None and self._pid == os.getpid()

    def release(self) -> None:
        if self._fd is None or self._pid != os.getpid():  # a forked child never held it
            return
        try:
            with contextlib.suppress(OSError):
                os.unlink(self.path / LOCK)  # while still locked: see the module docstring
            for directory in self._created:
                try:
                    directory.rmdir()  # only succeeds when the run never wrote a file there
                except OSError:
                    break
        finally:
            fd, self._fd = self._fd, None
            _HELD_FDS.discard(fd)
            os.close(fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def holder_pid(path: Path) -> int | None:
    """The pid written in `DIR/.lock` by the process that holds (or last held) it, if readable."""
    try:
        return int((Path(path) / LOCK).read_text(encoding="ascii").strip())
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def _missing(path: Path) -> list[Path]:
    """`path` and its ancestors that do not exist yet, deepest first."""
    out = []
    while not path.exists() and path != path.parent:
        out.append(path)
        path = path.parent
    return out


def _lock(path: Path, created: list[Path]) -> RunLock:
    """Lock `path/.lock` without waiting, retrying while the file is replaced under us."""
    for _ in range(100):
        try:
            fd = os.open(path / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except FileNotFoundError:  # the directory was removed by a process that gave it up: create it again
            path.mkdir(parents=True, exist_ok=True)
            continue
        except OSError as exc:
            raise RunDirError(f"cannot create {path / LOCK}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                pid = holder_pid(path)
                who = f" (pid {pid})" if pid is not None else ""
                raise RunDirError(f"{path} is in use by another gaterm process{who}") from None
            raise RunDirError(f"cannot lock {path / LOCK}: {exc.strerror or exc}") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path / LOCK).st_ino
        except FileNotFoundError:
            same = False
        if not same:  # the holder released and removed the file between our open and our lock
            os.close(fd)
            continue
        with contextlib.suppress(OSError):  # the pid is for the message only (a full disk may refuse it)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        return RunLock(path, fd, created)
    raise RunDirError(f"cannot lock {path / LOCK}: it keeps being replaced")


def claim_run_dir(path: Path, check: Callable[[Path], None] | None = None) -> RunLock:
    """Create `path` if needed and lock it for this process; then run `check(path)` under the lock (it raises
    RunDirError to refuse the directory, which is then released untouched). Raises RunDirError when another
    process holds the directory."""
    from gaterm.rundir.files import check_writable

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise RunDirError(f"{path} exists and is not a directory")
    created: list[Path] = []
    if not path.is_dir():
        check_writable(path)
        missing = _missing(path)
        try:
            path.mkdir(parents=True)
            created = missing
        except FileExistsError:
            pass
        except OSError as exc:
            raise RunDirError(f"cannot create {path}: {exc.strerror or exc}") from None
    lock = _lock(path, created)
    try:
        if check is not None:
            check(path)
    except BaseException:
        lock.release()
        raise
    return lock


def claim_new_run_dir(path: Path) -> RunLock:
    """Claim `path` for a new run: refused if another process holds it or it already holds a run."""
    from gaterm.rundir.files import check_run_dir

    return claim_run_dir(path, check_run_dir)


def claim_default_run_dir(dataset: str, root: Path = Path("runs")) -> RunLock:
    """Claim a fresh `root/DATASET-TIMESTAMP[-N]` directory: each candidate is created with an exclusive
    `mkdir`, so two runs started in the same second get different directories."""
    from datetime import datetime

    from gaterm.rundir.files import check_writable

    base = root / f"{dataset}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    check_writable(base)
    missing_root = _missing(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunDirError(f"cannot create {root}: {exc.strerror or exc}") from None
    for n in range(1, 1000):
        path = base if n == 1 else base.with_name(f"{base.name}-{n}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        except FileNotFoundError:  # another run that created `root` removed it again, empty: create it anew
            root.mkdir(parents=True, exist_ok=True)
            continue
        except OSError as exc:
            raise RunDirError(f"cannot create {path}: {exc.strerror or exc}") from None
        return _lock(path, created=[path, *missing_root])
    raise RunDirError(f"cannot create a new run directory in {root}")


def claim_existing_run_dir(path: Path) -> RunLock:
    """Claim the existing run directory `path` (to resume it); it is never created."""
    path = Path(path)
    if not path.is_dir():
        raise RunDirError(f"{path} is not a gaterm run directory (no such directory)")
    return claim_run_dir(path)
