"""ConsultationReminder: the claim-before-send record of every reminder (issue 7)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('consultations', '0002_no_double_booking'),
    ]

    operations = [
        migrations.CreateModel(
            name='ConsultationReminder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('24h', '24 hours before'), ('1h', '1 hour before')], max_length=4)),
                ('scheduled_for', models.DateTimeField()),
                ('status', models.CharField(choices=[('claimed', 'Claimed, not yet sent'), ('sent', 'Sent'), ('skipped', 'Skipped (cancelled, moved or too late)'), ('failed', 'Failed (gave up)')], default='claimed', max_length=10)),
                ('claimed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('last_error', models.TextField(blank=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('consultation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to='consultations.consultation')),
            ],
            options={
                'ordering': ['scheduled_for', 'kind'],
                'indexes': [models.Index(fields=['status', 'claimed_at'], name='reminder_status_claimed_idx')],
                'constraints': [models.UniqueConstraint(fields=('consultation', 'kind', 'scheduled_for'), name='one_reminder_per_consultation_kind_start')],
            },
        ),
    ]
