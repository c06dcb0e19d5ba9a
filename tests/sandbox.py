"""Running `celerylint` where the file system says no: a read-only mount of the project
(a real EROFS, through a private mount namespace) and a user whom file permissions stop
(root is never stopped, so root runs as the overflow user of a new user namespace).
Tests skip when the machine allows neither namespace."""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import Run, celerylint_executable

_READ_ONLY = ('mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && '
              'cd "$0" && exec "$@"')


@functools.cache
def _works(*command: str) -> bool:
    try:
        done = subprocess.run([*command, "true"], capture_output=True, check=False)
    except OSError:
        return False
    return done.returncode == 0


def _run(command: Sequence[str], cwd: Path) -> Run:
    done = subprocess.run(list(command), cwd=cwd, text=True, capture_output=True,
                          check=False, timeout=300)
    return Run(done.returncode, done.stdout, done.stderr)


def run_read_only(args: Sequence[str], project: Path) -> Run:
    """`celerylint ARGS` in `project`, with `project` mounted read-only for that run."""
    namespace = ["unshare", "--user", "--map-root-user", "--mount"]
    if not _works(*namespace):
        pytest.skip("no user and mount namespaces: cannot mount a read-only tree")
    return _run([*namespace, "sh", "-c", _READ_ONLY, str(project.resolve()),
                 celerylint_executable(), *args], project)


def run_unprivileged(args: Sequence[str], cwd: Path) -> Run:
    """`celerylint ARGS` as a user file permissions apply to. Every folder above `cwd`
    must be open to others (pytest's `tmp_path` is not: use `world_readable`)."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        if not _works("unshare", "--user"):
            pytest.skip("running as root without user namespaces: permissions never deny")
        prefix = ["unshare", "--user"]
    return _run([*prefix, celerylint_executable(), *args], cwd)
