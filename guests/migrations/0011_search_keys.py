"""The lookup's search keys (guests/searchkeys.py): a table of short prefixes in rank order, kept by
triggers on PostgreSQL. The key column compares bytes (collation "C"): keys are only ever
matched for equality, and that is the cheapest comparison in the index."""

import django.db.models.deletion
from django.db import migrations, models

from guests import searchkeys


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute('ALTER TABLE guests_guestsearchkey ALTER COLUMN key TYPE varchar(40) COLLATE "C"')
        searchkeys.install(cursor)
        # The rank index is created after this, by the model's own operation.
        searchkeys.rebuild(cursor, index=False)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        searchkeys.uninstall(cursor)


class Migration(migrations.Migration):

    dependencies = [
        ('guests', '0010_guest_updated_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='GuestSearchKey',
            fields=[
                ('pk', models.CompositePrimaryKey('guest_id', 'key', blank=True, editable=False, primary_key=True, serialize=False)),
                ('key', models.CharField(max_length=40)),
                ('tier', models.CharField(max_length=1)),
                ('last_seen_at', models.DateTimeField()),
                ('guest', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='guests.guest')),
            ],
            options={
                'indexes': [models.Index(fields=['key', 'tier', '-last_seen_at', '-guest'], name='guestsearchkey_rank_idx')],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
