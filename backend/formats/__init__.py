"""Rådtid's date and time formats per language (FORMAT_MODULE_PATH).

Only the display formats are set here; Django's own locale modules supply
the rest (input formats, separators). Templates and mails use the names:
`|date:"DATETIME_FORMAT"` for a moment, `|date:"DATE_FORMAT"` for a day,
`|time` for a clock time; Python code uses `django.utils.formats.date_format`.
"""
