from django.db import migrations, models


def revs_from_seqs(apps, schema_editor):
    # Until now only sends changed anything a client could resume, so every row's rev
    # is its seq and each conversation's change counter stands at its message counter.
    conversation_model = apps.get_model("chat", "ExpertChatConversation")
    message_model = apps.get_model("chat", "ExpertChatMessage")
    message_model.objects.update(rev=models.F("seq"))
    conversation_model.objects.update(last_rev=models.F("last_seq"))


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="expertchatconversation",
            name="last_rev",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="expertchatmessage",
            name="rev",
            field=models.PositiveBigIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.RunPython(revs_from_seqs, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="expertchatmessage",
            constraint=models.UniqueConstraint(
                fields=("conversation", "rev"), name="chat_message_rev_unique"
            ),
        ),
    ]
