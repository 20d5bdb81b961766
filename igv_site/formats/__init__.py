"""The site's date, time and number formats, one per language (`FORMAT_MODULE_PATH`).

Every date the CRM shows (lists, record pages, the dashboard, the board, tooltips) is drawn with
`DATE_FORMAT`/`SHORT_DATE_FORMAT` or `DATETIME_FORMAT`/`SHORT_DATETIME_FORMAT`; each pair is the
same here, so one language shows one format everywhere. Day before month, 24-hour clock in all three
languages (France and Israel, where the team and its customers are, write dates that way), and the
first input format is the one shown, so a person types a date as they read it.
"""
