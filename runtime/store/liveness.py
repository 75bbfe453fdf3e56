"""Is a run the store shows as `running` still alive? A process killed by SIGKILL (or a
machine that lost power) never closes its row; `recipec runs` shows such a row as `lost`
when it was started on this host and its process is gone. The process's start time is kept
beside its pid (Linux: /proc/PID/stat), so a pid reused by another process does not make a
lost run look alive. A run started on another host cannot be checked: it stays `running`."""
from __future__ import annotations

import os
import socket


def process_start(pid: int) -> str | None:
    """The start time of process `pid` in clock ticks since boot (Linux), None elsewhere or
    when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after its last ")"
    fields = stat[stat.rindex(")") + 2:].split()
    return fields[19] if len(fields) > 19 else None


def alive(pid: int, start: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:          # another user's process: it exists
        pass
    return start is None or process_start(pid) in (None, start)


def shown_status(row: dict) -> str:
    """The status to show: a `running` row of this host whose process is gone is `lost`; a
    search trial its pruner stopped is `pruned`."""
    if row["status"] == "running" and row["host"] == socket.gethostname() \
            and not alive(row["pid"], row["pid_start"]):
        return "lost"
    if row["status"] == "finished" and row.get("pruned") is not None:
        return "pruned"
    return row["status"]
