"""Two queues: what someone waits on goes to "interactive", the long runs to "batch", each queue taken by
a worker unit of its own (deploy/systemd), so a review or a rules run never delays an import's check."""

import re
import shlex
from pathlib import Path

import pytest
from django.conf import settings

from crm.celery import app

UNITS = Path(settings.BASE_DIR) / "deploy" / "systemd"
INTERACTIVE = [
    "guests.tasks.check_card_import",
    "guests.tasks.run_card_import",
    "guests.tasks.sweep_card_transfers",
    "followups.tasks.apply_rules_to_guest",
    "followups.tasks.send_birthday_greetings",
    "followups.tasks.send_due_greetings",
    "webhooks.tasks.deliver_due",
    "bookings.tasks.release_expired_holds",
    "reports.tasks.sweep_reviews",
    "staff.tasks.flush_api_reads",  # a minute's read counts into the audit log: small, and due every minute
]
BATCH = [
    "followups.tasks.run_daily_rules",
    "reports.tasks.compute_review",
    "reports.tasks.run_archive_review",
    "guests.tasks.refresh_search_keys",
    "webhooks.tasks.sweep_webhook_log",
    "visits.tasks.rebuild_recent_spend",  # a month of visits summed by guest, once a night
]


def queue_of(name: str) -> str:
    app.loader.import_default_modules()
    assert name in app.tasks, name
    return app.amqp.router.route({}, name)["queue"].name


@pytest.mark.parametrize("name", INTERACTIVE)
def test_what_someone_waits_for_goes_to_the_interactive_queue(name):
    assert queue_of(name) == "interactive"


@pytest.mark.parametrize("name", BATCH)
def test_the_long_runs_go_to_the_batch_queue(name):
    assert queue_of(name) == "batch"


def test_every_task_of_keshi_is_placed_on_purpose():
    app.loader.import_default_modules()
    ours = {name for name in app.tasks if not name.startswith("celery.")}
    assert ours == set(INTERACTIVE) | set(BATCH)


def consumed(unit: str) -> set[str]:
    text = (UNITS / f"{unit}.service").read_text()
    [command] = re.findall(r"^ExecStart=(.+)$", text, re.M)
    args = shlex.split(command)
    return set(args[args.index("-Q") + 1].split(","))


def test_each_queue_has_a_worker_unit_and_the_old_default_queue_is_still_drained():
    assert consumed("keshi-worker") == {"interactive", "celery"}
    assert consumed("keshi-worker-batch") == {"batch"}
