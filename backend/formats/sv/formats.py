# Swedish as Språkrådet writes it: "tisdag 8 december 2026 kl. 10.00"; the
# clock takes a full stop, not a colon. The escapes keep "kl." literal.
DATE_FORMAT = "l j F Y"
TIME_FORMAT = "H.i"
DATETIME_FORMAT = r"l j F Y \k\l. H.i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H.i"
FIRST_DAY_OF_WEEK = 1
