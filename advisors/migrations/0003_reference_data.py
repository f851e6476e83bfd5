"""Regions and municipalities (SCB codes, from data/se_municipalities.csv),
advice topics and advice languages. Re-running updates names in place."""

import csv
from pathlib import Path

from django.db import migrations

CSV = Path(__file__).resolve().parent.parent / "data" / "se_municipalities.csv"

TOPICS = [
    ("business-development", "Affärsutveckling", "Business development"),
    ("financing", "Finansiering", "Financing"),
    (
        "public-procurement",
        "Offentlig upphandling och reserverade kontrakt",
        "Public procurement and reserved contracts",
    ),
    ("legal-form-governance", "Företagsform och styrning", "Legal form and governance"),
    ("work-integration", "Arbetsintegrering och anställningsstöd", "Work integration and employment support"),
    ("impact-measurement", "Effektmätning", "Impact measurement"),
    ("marketing-sales", "Marknadsföring och försäljning", "Marketing and sales"),
    ("starting-up", "Starta företag", "Starting up"),
]

LANGUAGES = [
    ("sv", "Svenska", "Swedish"),
    ("en", "Engelska", "English"),
    ("ar", "Arabiska", "Arabic"),
    ("fa", "Persiska", "Persian"),
    ("prs", "Dari", "Dari"),
    ("so", "Somaliska", "Somali"),
    ("ti", "Tigrinja", "Tigrinya"),
    ("fi", "Finska", "Finnish"),
    ("se", "Nordsamiska", "Northern Sami"),
    ("bs", "Bosniska/kroatiska/serbiska", "Bosnian/Croatian/Serbian"),
    ("pl", "Polska", "Polish"),
    ("uk", "Ukrainska", "Ukrainian"),
    ("ru", "Ryska", "Russian"),
    ("es", "Spanska", "Spanish"),
    ("de", "Tyska", "German"),
    ("fr", "Franska", "French"),
    ("tr", "Turkiska", "Turkish"),
    ("ku", "Kurdiska", "Kurdish"),
]


def load(apps, schema_editor):
    Region = apps.get_model("advisors", "Region")
    Municipality = apps.get_model("advisors", "Municipality")
    Topic = apps.get_model("advisors", "Topic")
    Language = apps.get_model("advisors", "Language")

    with CSV.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for code, name in sorted({(r["region_code"], r["region_name"]) for r in rows}):
        Region.objects.update_or_create(code=code, defaults={"name": name})
    for r in rows:
        Municipality.objects.update_or_create(
            code=r["municipality_code"],
            defaults={"name": r["municipality_name"], "region_id": r["region_code"]},
        )
    for position, (slug, sv, en) in enumerate(TOPICS):
        Topic.objects.update_or_create(
            slug=slug, defaults={"name_sv": sv, "name_en": en, "position": position}
        )
    for code, sv, en in LANGUAGES:
        Language.objects.update_or_create(code=code, defaults={"name_sv": sv, "name_en": en})


class Migration(migrations.Migration):
    dependencies = [("advisors", "0002_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
