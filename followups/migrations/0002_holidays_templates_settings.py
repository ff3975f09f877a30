"""The holidays and greeting words a hotel starts with; admins edit them afterwards."""

from django.db import migrations

HOLIDAYS = [
    ("元旦", "solar", 1, 1),
    ("春节", "lunar", 1, 1),
    ("元宵节", "lunar", 1, 15),
    ("端午节", "lunar", 5, 5),
    ("中秋节", "lunar", 8, 15),
    ("国庆节", "solar", 10, 1),
]
TEMPLATES = [
    (
        "zh-hans",
        "{honorific}，生日快乐",
        "{honorific}，生日快乐！感谢您一直以来的厚爱，{hotel}全体同仁祝您福寿安康、万事如意，期待再次为您服务。",
    ),
    (
        "en",
        "Happy birthday, {honorific}",
        "Dear {honorific}, happy birthday! Thank you for your loyalty; everyone at {hotel} wishes you a wonderful year "
        "and looks forward to welcoming you again.",
    ),
]


def add(apps, schema_editor):
    apps.get_model("followups", "RuleSettings").objects.get_or_create(pk=1, defaults={"hotel_name": "本店"})
    Holiday = apps.get_model("followups", "Holiday")
    for name, calendar, month, day in HOLIDAYS:
        Holiday.objects.get_or_create(name=name, defaults={"calendar": calendar, "month": month, "day": day})
    MessageTemplate = apps.get_model("followups", "MessageTemplate")
    for language, subject, body in TEMPLATES:
        MessageTemplate.objects.get_or_create(
            occasion="birthday", language=language, defaults={"subject": subject, "body": body}
        )


class Migration(migrations.Migration):
    dependencies = [("followups", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
