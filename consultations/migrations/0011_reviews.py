"""Reviews get their own table; the old per-consultation rating/review/rated_at move into it.

Each rated consultation becomes one visible Review (its rated_at is the review's date, or
the consultation's update time when missing), and every expert's rating_sum,
review_count and average_rating are recomputed from them before the old columns go.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def copy_ratings_into_reviews(apps, schema_editor):
    from decimal import ROUND_HALF_UP, Decimal

    Review = apps.get_model("consultations", "Review")
    Expert = apps.get_model("consultations", "Expert")
    # Plain SQL: in this historical state Consultation has both the old `review` column
    # and the new reverse one-to-one accessor of the same name.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO consultations_review "
            "(consultation_id, expert_id, author_id, rating, text, created_at, reply, "
            "hidden_reason) "
            "SELECT id, expert_id, user_id, rating, review, COALESCE(rated_at, updated_at), '', '' "
            "FROM consultations_consultation WHERE rating IS NOT NULL"
        )
    for expert in Expert.objects.all().iterator():
        ratings = list(Review.objects.filter(expert_id=expert.id).values_list("rating", flat=True))
        total, count = sum(ratings), len(ratings)
        average = (Decimal(total) / count if count else Decimal("0")).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        Expert.objects.filter(pk=expert.id).update(
            rating_sum=total, review_count=count, average_rating=average
        )


class Migration(migrations.Migration):

    dependencies = [
        ('consultations', '0010_expert_photo'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Review',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('rating', models.PositiveSmallIntegerField()),
                ('text', models.TextField(blank=True)),
                ('created_at', models.DateTimeField()),
                ('reply', models.TextField(blank=True)),
                ('replied_at', models.DateTimeField(blank=True, null=True)),
                ('reply_edited_at', models.DateTimeField(blank=True, null=True)),
                ('hidden_at', models.DateTimeField(blank=True, null=True)),
                ('hidden_reason', models.TextField(blank=True)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='expert',
            name='rating_sum',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='review',
            name='author',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reviews_written', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='review',
            name='consultation',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='review', to='consultations.consultation'),
        ),
        migrations.AddField(
            model_name='review',
            name='expert',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reviews', to='consultations.expert'),
        ),
        migrations.AddField(
            model_name='review',
            name='hidden_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='review',
            index=models.Index(fields=['expert', '-created_at', '-id'], name='review_expert_newest'),
        ),
        migrations.AddConstraint(
            model_name='review',
            constraint=models.CheckConstraint(condition=models.Q(('rating__gte', 1), ('rating__lte', 5)), name='review_rating_1_to_5'),
        ),
        migrations.AddConstraint(
            model_name='review',
            constraint=models.CheckConstraint(condition=models.Q(('hidden_at__isnull', True), models.Q(('hidden_reason', ''), _negated=True), _connector='OR'), name='review_hidden_has_reason'),
        ),
        migrations.RunPython(copy_ratings_into_reviews, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name='consultation',
            name='consultation_rating_1_to_5',
        ),
        migrations.RemoveField(
            model_name='consultation',
            name='rated_at',
        ),
        migrations.RemoveField(
            model_name='consultation',
            name='rating',
        ),
        migrations.RemoveField(
            model_name='consultation',
            name='review',
        ),
    ]
