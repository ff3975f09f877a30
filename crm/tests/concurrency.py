"""Real concurrent transactions for the tests that claim something happens once."""

import threading

from django.db import connection


def run_at_once(work, *, times: int = 2, timeout: float = 30) -> tuple[list, list]:
    """Call work() from `times` threads released together, each on its own database connection;
    returns what the calls returned and the exceptions they raised (a thread's own would be lost)."""
    barrier, results, errors = threading.Barrier(times), [], []

    def worker():
        try:
            barrier.wait(10)
            results.append(work())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results, errors
