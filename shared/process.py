"""Server processes that do not outlive their master.

gunicorn's master forks the workers. If the master is killed outright (kill -9, the OOM
killer), nothing tells the workers: they keep the listening socket and go on serving,
where no stop script looks for them, and the next start fails with "Address already in
use". `exit_with_parent` (called by shared/gunicorn_conf.py's post_fork hook, in every
worker of every service) asks the Linux kernel to send the worker SIGTERM when its
parent dies (prctl PR_SET_PDEATHSIG), so it finishes what it is serving and exits as
on any graceful stop. Linux only; elsewhere it does nothing (gunicorn's threaded worker
also notices a changed parent within a second, uvicorn's does not).

The kernel ties the signal to the parent *thread* that forked; gunicorn's master forks
from its main thread, which lives as long as the master does.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
logger = logging.getLogger(__name__)


def exit_with_parent(parent_pid: int, sig: int = signal.SIGTERM) -> bool:
    """Have this process receive `sig` when its parent dies. Returns whether the kernel
    took the request (False off Linux or without libc)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    except OSError as exc:
        logger.warning("cannot ask to exit with the master process (prctl): %s", exc)
        return False
    # The master may have died between fork and prctl: then no signal will come.
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), sig)
    return True


def children(pid: int) -> set[int]:
    """The live child processes of `pid` (Linux /proc)."""
    found = set()
    for task in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else []:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                found.update(int(p) for p in fh.read().split())
        except OSError:
            continue
    return found


def group_members(pgid: int) -> set[int]:
    """Every live process whose process group is `pgid` (Linux /proc): what `kill -- -PGID`
    reaches, the leader included while it lives."""
    members = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ')'
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.add(int(entry))
    return members


def _healthy(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def rolling_restart(master_pid: int, health_url: str, timeout: float = 120.0) -> dict:
    """Restart a service's workers without closing its port (start_all.sh --restart).

    SIGHUP makes the gunicorn master start a new generation of workers, which load the
    code afresh, and stop the old ones gracefully: they stop accepting, finish the
    requests they hold and answer a request that arrives on a kept-alive connection
    meanwhile. The listening socket stays open in the master throughout, so a new
    connection is never refused: it waits in the socket's backlog until a new worker
    accepts it. Returns once every old worker has exited and /health answers, with the
    old and new worker pids and the seconds it took."""
    import time

    old = children(master_pid)
    if not old:
        raise RuntimeError(f"process {master_pid} has no workers: is it a running gunicorn master?")
    started = time.monotonic()
    os.kill(master_pid, signal.SIGHUP)
    while True:
        current = children(master_pid)
        if current and not current & old and _healthy(health_url):
            return {"old_workers": sorted(old), "new_workers": sorted(current),
                    "seconds": round(time.monotonic() - started, 2)}
        try:
            os.kill(master_pid, 0)
        except ProcessLookupError:
            raise RuntimeError(f"the master (pid {master_pid}) exited during the restart; see its log") from None
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"old workers {sorted(current & old)} still running after {timeout} s")
        time.sleep(0.1)
