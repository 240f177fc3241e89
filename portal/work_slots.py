"""Machine-wide pools of work slots: at most N of one kind of heavy work run at once on a machine.

Argon2 hashing and the metadata-free copies of uploaded images each take a core (and tens of
megabytes) for up to seconds. However many requests ask for them at once, across every gunicorn
worker and every portal process on the machine, only a pool's slots run at a time, so the public
pages keep answering. A slot is an exclusive lock (flock) on a file of the pool's folder: the
kernel releases it when the holder exits, even if it is killed, so a slot can never leak.

A request that finds no free slot is told to retry at once instead of holding its worker while
it waits; only signed-in staff and the command line wait (`wait=True`).
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def half_the_cores() -> int:
    return max(1, (os.cpu_count() or 2) // 2)


def _root() -> Path:
    # One set of pools per machine and user by default (every portal process on it shares the
    # cores); WORK_SLOTS_DIR gives a test run, or a second deployment, pools of its own.
    configured = os.environ.get("WORK_SLOTS_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / f"portal-work-slots-{os.getuid()}"


class SlotPool:
    def __init__(self, name: str, size: int, busy: type[Exception]):
        self.name, self.size, self.busy = name, size, busy

    @contextlib.contextmanager
    def hold(self, wait: bool = False) -> Iterator[None]:
        """Hold one slot for the block. `busy` is raised when none is free, or, with `wait`, the
        last slot is waited for."""
        folder = _root() / self.name
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for number in range(self.size):
            handle = open(folder / f"slot-{number}", "a+b")
            try:
                last = number == self.size - 1
                fcntl.flock(handle, fcntl.LOCK_EX if wait and last else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
            return
        raise self.busy
