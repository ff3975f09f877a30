"""Changing TIME_ZONE and restarting beat is enough: beat's start (and migrate) re-apply the schedules in
the new zone, without leaving the old rows behind."""

import pytest
from celery import signals
from django.core.management import call_command
from django.test import override_settings
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from followups.management.commands.setup_schedules import SCHEDULES

pytestmark = pytest.mark.django_db


def zones() -> set[str]:
    return {str(task.crontab.timezone) for task in PeriodicTask.objects.select_related("crontab")}


def beat_starts():
    signals.beat_init.send(sender=None)


def test_after_a_time_zone_change_beat_starting_moves_every_schedule_to_the_new_zone():
    with override_settings(TIME_ZONE="Asia/Shanghai"):
        beat_starts()
    assert zones() == {"Asia/Shanghai"}
    tasks = set(PeriodicTask.objects.values_list("name", flat=True))

    with override_settings(TIME_ZONE="Europe/Paris"):
        beat_starts()
    assert zones() == {"Europe/Paris"}
    assert set(PeriodicTask.objects.values_list("name", flat=True)) == tasks == set(SCHEDULES)
    # One crontab row per distinct schedule, all in the new zone: none left over from Shanghai.
    distinct = {tuple(sorted(cron.items())) for _task, cron, _description in SCHEDULES.values()}
    assert CrontabSchedule.objects.count() == len(distinct)
    assert {str(zone) for zone in CrontabSchedule.objects.values_list("timezone", flat=True)} == {"Europe/Paris"}
    rules = PeriodicTask.objects.get(name="Follow-up rules")
    assert str(rules.crontab) == "5 7-21 * * * (m/h/dM/MY/d) Europe/Paris"


def test_starting_beat_twice_in_the_same_zone_changes_nothing():
    beat_starts()
    first = list(CrontabSchedule.objects.order_by("pk").values())
    beat_starts()
    assert list(CrontabSchedule.objects.order_by("pk").values()) == first


def test_a_schedule_a_manager_made_in_the_admin_is_left_alone():
    own = CrontabSchedule.objects.create(minute="30", hour="8", timezone="Asia/Shanghai")
    spare = CrontabSchedule.objects.create(minute="45", hour="6", timezone="Asia/Shanghai")  # no task uses it
    PeriodicTask.objects.create(name="Morning export", task="reports.tasks.run_archive_review", crontab=own)
    with override_settings(TIME_ZONE="Europe/Paris"):
        beat_starts()
    assert CrontabSchedule.objects.filter(pk__in=[own.pk, spare.pk]).count() == 2
    assert str(PeriodicTask.objects.get(name="Morning export").crontab.timezone) == "Asia/Shanghai"


def test_migrate_applies_the_schedules_in_the_current_time_zone(settings):
    settings.KESHI_SCHEDULES_ON_MIGRATE = True
    settings.TIME_ZONE = "Europe/Paris"
    call_command("migrate", verbosity=0)
    assert set(PeriodicTask.objects.values_list("name", flat=True)) == set(SCHEDULES)
    assert zones() == {"Europe/Paris"}


def test_a_flush_does_not_bring_the_schedules_back(settings):
    # flush sends post_migrate too; tests flush the database after each transactional test.
    settings.KESHI_SCHEDULES_ON_MIGRATE = True
    call_command("flush", verbosity=0, interactive=False)
    assert not PeriodicTask.objects.exists()
