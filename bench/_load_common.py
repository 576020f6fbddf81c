"""What `bench/load.py` and its locustfile share: the demo users who play each role (their
demo visibility is kept), the one who posts payments, and how CPU time is counted."""

import os
from pathlib import Path
from urllib.parse import urlsplit

ROLE_USERS = {
    "sales": ["sales1", "sales2", "sales3", "sales4", "sales5", "sales6"],
    "manager": ["manager1", "manager2"],
    "finance": ["finance"],
    "marketing": ["marketing"],
    "supply": ["supply"],
    "admin": ["admin"],
}
WRITER = "finance"


def cpu_seconds(server_pid: int, url: str) -> dict[str, float]:
    """CPU time used so far by the server's processes (its process group) and by the
    PostgreSQL backends connected to the bench database."""
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(url, autocommit=True) as conn:
        backends = {
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
        }
    server = postgres = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state, ppid, pgrp, ...; utime and stime are the 12th and 13th.
        used = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        if int(fields[2]) == server_pid:
            server += used
        elif int(entry.name) in backends:
            postgres += used
    return {"server": server, "PostgreSQL": postgres}
