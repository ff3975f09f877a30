from django.db import migrations, models


class Migration(migrations.Migration):
    """Each guest's tier by id from an index alone, for the visits list filtered by tier (guests.models)."""

    dependencies = [
        ("guests", "0014_pinyin_rank_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="guest",
            index=models.Index(fields=["id"], include=("tier",), name="guest_tier_by_id_idx"),
        ),
    ]
