"""`python -m benchmarks.load` (`make load`): the production stack under a
realistic mix of people for a while, then the checks. Exit status 1 when a
check fails (or PostgreSQL or Redis is not there to run it on).

    make load                                    # 50 users, 5 minutes, one web and one worker
    make load LOAD_DURATION=60s LOAD_USERS=20    # shorter
    make load SCALE=2                            # two web instances, two workers
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.integration.conftest import BIN
from tests.services import POSTGRES_URL, REDIS_URL, reachable

from . import checks, stack

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", default=os.environ.get("LOAD_DURATION") or "5m", help="e.g. 60s, 5m")
    parser.add_argument("--users", type=int, default=int(os.environ.get("LOAD_USERS") or 50))
    parser.add_argument("--spawn-rate", type=float, default=float(os.environ.get("LOAD_SPAWN_RATE") or 5))
    parser.add_argument(
        "--scale",
        type=int,
        default=int(os.environ.get("SCALE") or 1),
        help="web instances and Celery workers",
    )
    parser.add_argument("--keep", action="store_true", help="keep the logs' folder (printed) afterwards")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    missing = [
        name for name, url in (("PostgreSQL", POSTGRES_URL), ("Redis", REDIS_URL)) if not reachable(url)
    ]
    if missing:
        print(f"The load scenario needs {' and '.join(missing)} ({POSTGRES_URL}, {REDIS_URL}).")
        return 1
    print(
        f"Rådtid under load: {args.users} users for {args.duration}, "
        f"{args.scale} web instance(s) and {args.scale} Celery worker(s), one beat"
    )
    workdir = Path(tempfile.mkdtemp(prefix="radtid-load-"))
    try:
        with stack.running(workdir=workdir, users=args.users, scale=args.scale) as (live, sink):
            print(f"  serving at {', '.join(live.hosts)}; logs in {workdir}", flush=True)
            seconds = live.sign_in_everyone()
            print(
                f"  {len(live.tokens)} entrepreneurs and {len(live.sessions)} staff signed in ({seconds:.0f} s)"
            )
            tally = workdir / "tally.json"
            env = {
                **os.environ,
                "LOAD_SPEC": json.dumps(live.spec()),
                "LOAD_TALLY": str(tally),
            }
            # Locust runs on gevent, which patches the standard library: a process of
            # its own, away from this one's SMTP server thread.
            subprocess.run(
                [
                    str(BIN / "locust"),
                    "-f",
                    str(LOCUSTFILE),
                    "--headless",
                    "--host",
                    live.hosts[0],
                    "--users",
                    str(args.users),
                    "--spawn-rate",
                    str(args.spawn_rate),
                    "--run-time",
                    args.duration,
                    "--stop-timeout",
                    "15",
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                env=env,
                check=False,  # locust exits 1 on any failure it saw; the checks judge
            )
            if not tally.exists():
                print("locust wrote no results")
                return 1
            ok = checks.report(live, sink, tally)
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    print("\nall checks pass" if ok else "\nsome checks FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
