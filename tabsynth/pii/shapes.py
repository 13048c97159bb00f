"""Shapes of cells that decide an entity without a recognizer: checksummed numbers, record
counters, dates in the usual export formats."""

from __future__ import annotations

import re

from tabsynth.pii.national import NUMERIC_IDS


def counter_like(cells: list[str]) -> bool:
    """Whether the cells number records (``2015-000001``, ``INV-2024-00017``): their digits
    share all but the last four, so at most 10,000 values, where a phone column's vary in
    seven or more (an area code is shared, the subscriber's number is not)."""
    digits = {re.sub(r"\D", "", c) for c in cells}
    if len(digits) < 10 or len({len(d) for d in digits}) > 1:
        return False
    first = min(digits)
    prefix = next((i for i, ch in enumerate(first) if any(d[i] != ch for d in digits)), 0)
    return len(first) - prefix <= 4


def integer_text(cell: str) -> str:
    """A number's digits as written in an export: ``4111111111111111.0`` -> its digits."""
    return cell[:-2] if cell.endswith(".0") and cell[:-2].lstrip("-").isdigit() else cell


def checksummed_numbers(cells: list[str]) -> tuple[str | None, float]:
    """An entity that numbers alone prove by their checksum: payment cards (13-19 digits,
    Luhn), NPIs (10 digits from 1 or 2, Luhn over 80840), NHS numbers, German tax ids, French
    NIRs and Dutch BSNs (``national.NUMERIC_IDS``). A random number passes such a check about
    one time in ten, so a column needs 90% of its cells passing and many distinct values
    (order and lab codes, amounts and counts pass by chance far less often)."""
    from tabsynth.pii.recognizers import luhn_ok

    n = len(cells)
    if n < 10 or len(set(cells)) < 0.5 * n:
        return None, 0.0
    card = sum(c.isdigit() and 13 <= len(c) <= 19 and luhn_ok(c) for c in cells) / n
    npi = sum(len(c) == 10 and c[0] in "12" and c.isdigit() and luhn_ok("80840" + c)
              for c in cells) / n  # fmt: skip
    shares = [("CREDIT_CARD", card), ("US_NPI", npi)]
    for entity, ok, lengths in NUMERIC_IDS:
        shares.append((entity, sum(len(c) in lengths and ok(c) for c in cells) / n))
    best, share = max(shares, key=lambda t: t[1])
    return (best, share) if share >= 0.9 else (None, share)


# the last: Oracle's and SAS's default (``07-MAR-1961``, month names in English)
DATE_FORMATS = (
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%Y%m%d",
    "%d-%b-%Y",
)


# month names, full and abbreviated, in the supported languages and their neighbours
# (without accents, lower case): "12. März 1985", "12 de marzo de 1985", "August 27, 1971"
_MONTHS = (
    "january february march april may june july august september october november december",
    "jan feb mar apr may jun jul aug sep oct nov dec",
    "januar februar marz april mai juni juli august september oktober november dezember",
    "janner feber marz apr mai jun jul aug sept okt nov dez",
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre",
    "janv fevr mars avr mai juin juil aout sept oct nov dec",
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "ene feb mar abr may jun jul ago sept oct nov dic",
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "gen feb mar apr mag giu lug ago set ott nov dic",
    "januari februari maart april mei juni juli augustus september oktober november december",
    "jan feb mrt apr mei jun jul aug sep okt nov dec",
    "janeiro fevereiro marco abril maio junho julho agosto setembro outubro novembro dezembro",
    "januari februari mars april maj juni juli augusti september oktober november december",
    "januar februar marts april maj juni juli august september oktober november december",
)
MONTH_NUMBERS = {word: i + 1 for line in _MONTHS for i, word in enumerate(line.split())}
# day, month's name, year ("12. März 1985", "12 de marzo de 1985", "1er janvier 1990") or
# month's name, day, year ("August 27, 1971", "Aug 27 1971")
_DAY_MONTH_YEAR = re.compile(
    r"(\d{1,2})(?:\.|er|º|°|st|nd|rd|th)?\s*(?:de\s+|-|/)?([^\W\d_]{3,10})\.?\s*(?:de\s+|-|/|,)?\s*(\d{4})"
)
_MONTH_DAY_YEAR = re.compile(r"([^\W\d_]{3,10})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")


def month_name_date(cell: str) -> tuple[int, int, int] | None:
    """(year, month, day) of a date written with its month's name in a supported language,
    or None."""
    import datetime as dt

    from tabsynth.pii.names import fold

    text = fold(cell.strip())
    for rx, order in ((_DAY_MONTH_YEAR, (2, 1, 0)), (_MONTH_DAY_YEAR, (2, 0, 1))):
        m = rx.fullmatch(text)
        if m is None:
            continue
        y, mon, d = (m.group(i + 1) for i in order)
        month = MONTH_NUMBERS.get(mon)
        if month is None:
            return None
        try:
            dt.date(int(y), month, int(d))
        except ValueError:
            return None
        return int(y), month, int(d)
    return None


def date_share(cells: list[str]) -> float:
    """Share of cells that read as a date in one of the usual formats (an export may mix
    them in one column: ``31.12.1970`` beside ``1970-12-31``), or with the month's name in a
    supported language (``12. März 1985``)."""
    import datetime as dt

    def parses(cell: str, fmt: str) -> bool:
        try:
            dt.datetime.strptime(cell.strip()[: 11 if "%b" in fmt else 10], fmt)
        except ValueError:
            return False
        return True

    n = max(len(cells), 1)
    return (
        sum(
            any(parses(c, f) for f in DATE_FORMATS) or month_name_date(c) is not None for c in cells
        )
        / n
    )


def code_prefixed(cells: list[str]) -> bool:
    """Whether most cells are codes that start with letters glued to their digits
    (``ACC-2023-000123``, ``SN123456789``, ``LOT/2023/17``): no phone number does."""
    rx = re.compile(r"[A-Za-z]{1,6}[-_/]?\d")
    return sum(bool(rx.match(c.strip())) for c in cells) >= 0.8 * max(len(cells), 1)


#: day-number epochs of exports: spreadsheets (serial 1 = 1900-01-01, with Lotus' leap day),
#: SAS and Stata (days since 1960-01-01), Unix days
DAY_EPOCHS = ("1899-12-30", "1960-01-01", "1970-01-01")


# a birth header over a measurement ("birth_weight" in grams spans years of days): numbers
# under it are never read as day numbers
MEASURES = (
    r"(^|_)(weight|wt|gewicht|poids|peso|mass|length|height|lengte|taille|size|grams?|kg|"
    r"cm|order|rank|parity)($|_)"
)


def day_numbers_epoch(
    cells: list[str], header: str = "", min_span_days: int = 5 * 365
) -> tuple[str | None, float]:
    """With a date-of-birth hint: the format (``days since <epoch>``, or ``seconds since``
    for datetimes at midnight, as SAS writes them) under which most integer cells fall
    between 1900 and today (epochs: ``DAY_EPOCHS``), and their share; none when the
    cells do not spread over years like birth dates do (a birth *year* or an age spans a
    few days read so: public, not a date) or the ``header`` names a measurement."""
    import datetime as dt

    if re.search(MEASURES, header):
        return None, 0.0
    days = [int(c) for c in cells if c.lstrip("-").isdigit()]
    unit = "days"
    if days and all(d % 86_400 == 0 for d in days) and max(map(abs, days)) >= 86_400 * 1000:
        days, unit = [d // 86_400 for d in days], "seconds"  # SAS datetimes at midnight
    if len(days) < 0.9 * max(len(cells), 1) or not days or max(days) - min(days) < min_span_days:
        return None, 0.0
    today = dt.date.today()
    best: tuple[str | None, int] = (None, 0)
    for epoch in DAY_EPOCHS:
        start = dt.date.fromisoformat(epoch)
        lo, hi = (dt.date(1900, 1, 1) - start).days, (today - start).days
        hits = sum(lo <= d <= hi for d in days)
        best = (f"{unit} since {epoch}", hits) if hits > best[1] else best
    return best[0], best[1] / len(cells)


# "Hans Müller <hans@example.org>": a mail client's address with its display name; an IBAN
# written in lower case ("de89370400440532013000"), as some exports lower every string
_DISPLAY_NAME = re.compile(r"[^<>@]*<([^<>\s]+@[^<>\s]+)>")
_LOWER_IBAN = re.compile(r"[a-z]{2}\d{2}[a-z0-9]{10,30}")


# a label before the value ("SSN: ", "Steuer-ID: ", "Tel.: ", "ΑΦΜ: "): words of letters,
# then a colon or "#"; never a scheme ("https://") or an IPv6 address (letters only)
_LABEL = re.compile(r"[^\W\d_][^\W\d_]*(?:[ .\-/][^\W\d_]+)*\.?\s*[:#]\s*(?![:/])(?=\S)")
# a phone number's extension after it, in any language ("Durchwahl 12", "poste 4",
# "toestel 201", "εσωτ. 33", "x 12", "#12"): one word, or "#", then one to five digits
_EXTENSION = re.compile(
    r"([+(]?\d[\d ()./\-]{6,20}\d)\s*[,;]?\s*(?:[^\W\d_]{1,12}\.?|#)\s*:?\s*\d{1,5}"
)


def as_exported(text: str) -> str:
    """A cell as its recognizers expect it: the address of a display-name e-mail, an IBAN
    in capitals, a value without its label, a phone number without its extension; any
    other cell as it is."""
    if (m := _DISPLAY_NAME.fullmatch(text)) is not None:
        return m.group(1)
    if (m := _LABEL.match(text)) is not None:
        text = text[m.end() :]
    if (m := _EXTENSION.fullmatch(text)) is not None:
        return m.group(1)
    return text.upper() if _LOWER_IBAN.fullmatch(text) else text
