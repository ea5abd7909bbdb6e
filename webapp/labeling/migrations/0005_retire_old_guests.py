"""Guest accounts made before guests were tied to one session sat in the global annotators
group, able to label every session. Nothing records which session they joined, so they
lose the group and stop working; their answers stay."""

from django.db import migrations


def retire_old_guests(apps, schema_editor):
    User = apps.get_model("auth", "User")
    old = User.objects.filter(username__startswith="guest-", password__startswith="!", participations__isnull=True)
    for user in old:
        user.groups.clear()
    old.update(is_active=False)


class Migration(migrations.Migration):
    dependencies = [
        ("labeling", "0004_participants"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(retire_old_guests, migrations.RunPython.noop)]
