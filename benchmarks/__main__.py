"""`python -m benchmarks` (`make bench`): every figure with its target.
Exit status 1 when a target is missed."""

from __future__ import annotations

import sys

from .harness import setup_django, throwaway_database


def main() -> int:
    setup_django()
    from django.db import connection

    from . import availability, bookings, comparison, outbox, statistics

    print(f"Rådtid benchmarks on {connection.vendor}")
    with throwaway_database():
        ok = availability.run()
    ok = bookings.run() and ok  # its own database and server
    ok = outbox.run() and ok  # its own database, broker database, worker and SMTP server
    ok = statistics.run() and ok  # its own PostgreSQL database
    ok = comparison.run() and ok  # django-appointment in a throwaway venv; both servers of its own
    print("\nall targets met" if ok else "\nsome targets missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
