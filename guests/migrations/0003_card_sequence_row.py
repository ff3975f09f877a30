from django.db import migrations


def create_counter(apps, schema_editor):
    apps.get_model("guests", "CardSequence").objects.get_or_create(name="card")


class Migration(migrations.Migration):
    dependencies = [("guests", "0002_initial")]

    operations = [migrations.RunPython(create_counter, migrations.RunPython.noop)]
