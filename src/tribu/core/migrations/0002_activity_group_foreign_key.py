"""``Activity.group_id`` (a plain integer until the groups app existed) becomes a foreign key to
``groups.Group`` on the same column, without a database constraint: nothing changes in the database,
the rows and the ``activity_group_time`` index stay as they are."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("groups", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="activity", name="activity_group_time"),
                migrations.RemoveField(model_name="activity", name="group_id"),
                migrations.AddField(
                    model_name="activity",
                    name="group",
                    field=models.ForeignKey(
                        blank=True, db_constraint=False, null=True,
                        on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="groups.group",
                    ),
                ),
                migrations.AddIndex(
                    model_name="activity",
                    index=models.Index(fields=["group", "created_at"], name="activity_group_time"),
                ),
            ],
            database_operations=[],
        )
    ]
