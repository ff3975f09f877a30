import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

pytestmark = pytest.mark.django_db


def test_one_command_creates_the_beat_schedules_and_running_it_again_changes_nothing():
    call_command("setup_schedules", stdout=open("/dev/null", "w"))
    first = {t.name: (t.task, str(t.crontab), t.enabled) for t in PeriodicTask.objects.all()}
    call_command("setup_schedules", stdout=open("/dev/null", "w"))
    again = {t.name: (t.task, str(t.crontab), t.enabled) for t in PeriodicTask.objects.all()}
    assert first == again
    assert first["Follow-up rules"][:2] == (
        "followups.tasks.run_daily_rules",
        "5 7-21 * * * (m/h/dM/MY/d) Asia/Shanghai",
    )
    assert first["Birthday greetings"][0] == "followups.tasks.send_birthday_greetings"
    assert first["Follow-up rules"][2] and first["Birthday greetings"][2]
    assert first["Bi-monthly archive review"][:2] == (
        "reports.tasks.run_archive_review",
        "0 3 1 * * (m/h/dM/MY/d) Asia/Shanghai",
    )
    assert first["Bi-monthly archive review"][2]
    assert first["Webhook deliveries"] == ("webhooks.tasks.deliver_due", "* * * * * (m/h/dM/MY/d) Asia/Shanghai", True)


def test_the_schedules_are_shown_in_the_admin(admin_client):
    call_command("setup_schedules", stdout=open("/dev/null", "w"))
    response = admin_client.get("/admin/django_celery_beat/periodictask/")
    assert response.status_code == 200
    assert "Birthday greetings" in response.content.decode()
