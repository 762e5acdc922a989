from django.db import migrations


# Numbers each pushed unread count (chat/services.py, _UNREAD_VERSION). PostgreSQL only:
# SQLite counts under its database-wide write lock and numbers counts by the clock.
def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE SEQUENCE IF NOT EXISTS chat_unread_version")


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP SEQUENCE IF EXISTS chat_unread_version")


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0002_message_rev"),
    ]

    operations = [migrations.RunPython(create_sequence, drop_sequence)]
