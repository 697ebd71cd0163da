from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("payments", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="checkout_url",
            field=models.URLField(blank=True, max_length=1000),
        ),
        migrations.AddField(
            model_name="payment",
            name="recurring",
            field=models.BooleanField(default=False, verbose_name="renews automatically"),
        ),
        migrations.CreateModel(
            name="PaymentSettings",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("bank_name", models.CharField(blank=True, max_length=200, verbose_name="bank")),
                ("cheques_accepted", models.BooleanField(default=True, verbose_name="cheques accepted")),
                ("donations_enabled", models.BooleanField(default=False, verbose_name="donation page open")),
                ("donation_currency", models.CharField(default="EUR", max_length=3, verbose_name="donation currency")),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "payment settings",
                "verbose_name_plural": "payment settings",
                "constraints": [models.CheckConstraint(condition=models.Q(("id", 1)), name="payments_settings_singleton")],
            },
        ),
    ]
