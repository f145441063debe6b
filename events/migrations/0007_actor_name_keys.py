"""One name-key table for every actor's name and aliases, with one unique index across them (see events/names.py),
filled from the actors that exist.

If two existing actors read the same (say "France" and "FRANCE", or a Cyrillic look-alike), the migration stops and
names each pair: an editor renames one (a namesake gets a distinguishing name, e.g. "Ali Hassan (Egyptian FM)") or
merges them, then migrates again. Nothing is renamed or dropped silently.
"""

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    from events.names import keys_rebuild

    clashes = keys_rebuild(apps.get_model("events", "Actor"), apps.get_model("events", "ActorNameKey"))
    if clashes:
        raise RuntimeError(
            "Actors whose names or aliases read the same must be told apart before this migration: "
            + "; ".join(clashes)
        )


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0006_slugs_lowercase'),
    ]

    operations = [
        migrations.CreateModel(
            name='ActorNameKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(help_text='The name normalised for comparison (NFKC, case folded, invisible characters removed, spaces collapsed, look-alike letters mapped to one); for comparison only, never shown.', max_length=1000)),
                ('name', models.CharField(help_text='The name or alias as the actor record writes it.', max_length=200)),
                ('is_alias', models.BooleanField(help_text="Whether this is one of the actor's aliases rather than its name.")),
                ('actor', models.ForeignKey(help_text='The actor this name belongs to.', on_delete=django.db.models.deletion.CASCADE, related_name='name_keys', to='events.actor')),
            ],
            options={
                'ordering': ['actor_id', 'is_alias', 'key'],
                'constraints': [models.UniqueConstraint(fields=('key',), name='actor_name_key_unique', violation_error_message='Another actor already has this name or alias.'), models.CheckConstraint(condition=models.Q(('key', ''), _negated=True), name='actor_name_key_not_empty')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
