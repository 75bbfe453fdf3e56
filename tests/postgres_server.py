"""A throwaway PostgreSQL server for tests: initdb in a fresh folder, started on a unix socket
there and a free port, trust authentication, stopped and removed afterwards. Skips (with the
reason printed) where PostgreSQL or psycopg2 is not installed. As root, the server runs as
the `postgres` user, since PostgreSQL refuses to run as root."""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

import pytest


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return versions[-1] if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgres_url():
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL is not installed (no initdb/pg_ctl); .ci/run installs it "
                    "with apt-get where it can")
    pytest.importorskip("psycopg2", reason="psycopg2 is not installed (the test extra has it)")
    as_user: list[str] = []
    folder = tempfile.mkdtemp(prefix="recipec-pg-", dir="/tmp")
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` user to run the server")
        os.chown(folder, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data = os.path.join(folder, "data")
    port = _free_port()
    try:
        subprocess.run(as_user + [initdb, "-D", data, "-U", "postgres", "--auth=trust",
                                  "-E", "UTF8"], check=True, capture_output=True)
        subprocess.run(as_user + [pg_ctl, "-D", data, "-l", os.path.join(folder, "log"), "-w",
                                  "-o", f"-p {port} -k {folder} -c listen_addresses=''",
                                  "start"], check=True, capture_output=True)
    except subprocess.CalledProcessError as err:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"PostgreSQL could not start here: {err.stderr.decode()[-300:]}")
    try:
        yield f"postgresql+psycopg2://postgres@/postgres?host={folder}&port={port}"
    finally:
        subprocess.run(as_user + [pg_ctl, "-D", data, "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
