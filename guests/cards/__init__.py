"""The paper guest card and the archive register as xlsx files (CARD.md).

openpyxl and python-calamine are used only inside this package:
safety.py refuses a dangerous file before any parser sees it, fields.py says how each
field is labelled and how its value is written and read back, layout.py draws the
card, export.py writes cards and the register, importer.py checks a whole file and
plans the changes, services.py runs the logged, all-or-nothing business actions.
"""
