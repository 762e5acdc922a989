"""No double booking, enforced by PostgreSQL itself.

An EXCLUDE constraint over the expert and the busy interval (buffers included) of every
pending or confirmed consultation: two transactions that try to hold overlapping time for
the same expert can never both commit. SQLite (the laptop fallback) has no such
constraint; there the booking service's locked check is the only guard.
"""

from django.db import migrations

CONSTRAINT = "consultation_no_overlap"

FORWARD = f"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE consultations_consultation
  ADD CONSTRAINT {CONSTRAINT}
  EXCLUDE USING gist (
    expert_id WITH =,
    tstzrange(blocked_start, blocked_end, '[)') WITH &&
  ) WHERE (status IN ('pending', 'confirmed'));
"""

BACKWARD = f"ALTER TABLE consultations_consultation DROP CONSTRAINT IF EXISTS {CONSTRAINT};"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("consultations", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
