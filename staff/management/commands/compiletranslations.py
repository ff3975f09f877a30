from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Compile the .po catalogues of the project's locale/ folder to .mo files in KESHI_LOCALE_ROOT, with polib, "
        "so no GNU gettext is needed to run the app and production writes nothing into the code folder."
    )

    def handle(self, *args, **options):
        source = Path(settings.KESHI_LOCALE_SOURCE)
        target = Path(settings.KESHI_LOCALE_ROOT)
        for po_path in sorted(source.glob("*/LC_MESSAGES/*.po")):
            mo_path = target / po_path.relative_to(source).with_suffix(".mo")
            mo_path.parent.mkdir(parents=True, exist_ok=True)
            po = polib.pofile(str(po_path))
            po.save_as_mofile(str(mo_path))
            self.stdout.write(f"{po_path}: {po.percent_translated()}% translated, compiled to {mo_path}")
