"""Organisation pages of existing releases are split into the two rows new releases store
(reports/selectors.py, MORE): what the dashboard shows, and what only the exports read.
The rule is copied here, as it was when this migration was written."""

from django.db import migrations

MORE = "#more"
LEAVES_OUT = ("groups", "lift_rows", "lift_cells", "lift_withheld")
DASHBOARD_ACTIONS = 8


def _is_org(key):
    return key == "org" or key.startswith("org?")


def split(apps, schema_editor):
    pages = apps.get_model("reports", "ReleasePage").objects
    done = set(pages.filter(key__endswith=MORE).values_list("release_id", "key"))
    for page in pages.filter(key__startswith="org").exclude(key__endswith=MORE).iterator(10):
        if not _is_org(page.key) or (page.release_id, page.key + MORE) in done:
            continue
        data = page.data
        more = {k: data[k] for k in LEAVES_OUT if k in data}
        shown = {k: v for k, v in data.items() if k not in more}
        shown["n_groups"] = len(data.get("groups") or [])
        actions = data.get("actions")
        if isinstance(actions, list):
            shown["n_actions"] = len(actions)
            shown["more_actions"] = max(0, len(actions) - DASHBOARD_ACTIONS)
            if len(actions) > DASHBOARD_ACTIONS:
                shown["actions"], more["actions"] = actions[:DASHBOARD_ACTIONS], actions
        governance = data.get("governance_actions")
        if isinstance(governance, list):
            ids = (
                set() if data.get("filtered") else {a["rule_id"] for a in shown.get("actions", [])}
            )
            shown["governance_actions"] = [
                {**a, "on_page": a["rule_id"] in ids} for a in governance
            ]
        pressure = data.get("pressure_by_group")
        if isinstance(pressure, dict):
            shown["pressure_by_group"] = {
                name: p and {k: p[k] for k in ("n", "high", "share")}
                for name, p in pressure.items()
            }
            more["pressure_by_group"] = pressure
        page.data = shown
        page.save(update_fields=["data"])
        pages.create(release_id=page.release_id, key=page.key + MORE, team=None, data=more)


def merge(apps, schema_editor):
    pages = apps.get_model("reports", "ReleasePage").objects
    for more in pages.filter(key__endswith=MORE).iterator(10):
        page = pages.filter(release_id=more.release_id, key=more.key[: -len(MORE)]).first()
        if page is not None:
            data = {**page.data, **more.data}
            for key in ("n_groups", "n_actions", "more_actions"):
                data.pop(key, None)
            page.data = data
            page.save(update_fields=["data"])
        more.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_release_regrouped_from"),
    ]

    operations = [migrations.RunPython(split, merge)]
