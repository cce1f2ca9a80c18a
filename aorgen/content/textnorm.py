"""Text normalisation before TTS: numbers, abbreviations and symbols spelled out, so the
engine speaks what the transcript says."""

from __future__ import annotations

import re

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINAL = {"one": "first", "two": "second", "three": "third", "five": "fifth",
            "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
ABBREVIATIONS = {
    "dr.": "doctor", "mr.": "mister", "mrs.": "missus", "ms.": "miz", "st.": "saint",
    "vs.": "versus", "etc.": "et cetera", "e.g.": "for example", "i.e.": "that is",
    "approx.": "approximately", "no.": "number", "min.": "minutes", "sec.": "seconds",
    "ft.": "feet", "lb.": "pounds", "lbs.": "pounds", "kg": "kilograms", "km": "kilometres",
    "cm": "centimetres", "mm": "millimetres", "ml": "millilitres", "a.m.": "A M", "p.m.": "P M",
}
SYMBOLS = {"&": " and ", "%": " percent", "+": " plus ", "@": " at ", "=": " equals ",
           "#": " number ", "°": " degrees"}
_CURRENCY = {"$": "dollar", "£": "pound", "€": "euro"}


def number_to_words(n: int) -> str:
    if n < 0:
        return "minus " + number_to_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else "-" + _ONES[n % 10])
    for size, name in ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred")):
        if n >= size:
            head, rest = divmod(n, size)
            tail = "" if rest == 0 else (" and " if rest < 100 else " ") + number_to_words(rest)
            return f"{number_to_words(head)} {name}{tail}"
    raise AssertionError(n)


def ordinal_to_words(n: int) -> str:
    words = number_to_words(n)
    head, _, last = words.rpartition(" ") if " " in words else ("", "", words)
    stem, _, unit = last.rpartition("-")
    unit = unit or last
    if unit in _ORDINAL:
        unit = _ORDINAL[unit]
    elif unit.endswith("y"):
        unit = unit[:-1] + "ieth"
    else:
        unit += "th"
    last = f"{stem}-{unit}" if stem else unit
    return f"{head} {last}".strip()


def _year(n: int) -> str:
    if 1100 <= n <= 1999 or 2010 <= n <= 2099:
        high, low = divmod(n, 100)
        return f"{number_to_words(high)} {'hundred' if low == 0 else ('oh ' if low < 10 else '') + number_to_words(low)}"
    return number_to_words(n)


def normalise(text: str) -> str:
    """Spell out what a TTS engine might misread; leaves ordinary words untouched."""
    out = text
    for abbr, pattern, full in _ABBREVIATION_PATTERNS:
        if abbr in out.lower():
            out = pattern.sub(full, out)
    if any(c.isdigit() for c in out):
        out = _spell_numbers(out)
    for symbol, word in SYMBOLS.items():
        out = out.replace(symbol, word)
    return re.sub(r"\s+", " ", out).strip()


_ABBREVIATION_PATTERNS = [(abbr, re.compile(rf"(?<![\w.]){re.escape(abbr)}(?!\w)", re.IGNORECASE), full)
                          for abbr, full in ABBREVIATIONS.items()]


def _spell_numbers(out: str) -> str:
    out = re.sub(r"([$£€])(\d+(?:\.\d\d)?)", lambda m: _money(m.group(1), m.group(2)), out)
    out = re.sub(r"(\d+)(st|nd|rd|th)\b", lambda m: ordinal_to_words(int(m.group(1))), out)
    out = re.sub(r"\b(\d{1,3}(?:,\d{3})+)\b", lambda m: m.group(1).replace(",", ""), out)
    out = re.sub(r"\b(\d+)\.(\d+)\b", lambda m: f"{number_to_words(int(m.group(1)))} point "
                 + " ".join(_ONES[int(d)] for d in m.group(2)), out)
    out = re.sub(r"\b(\d{4})s\b", lambda m: _year(int(m.group(1))).replace("y", "ie") + "s"
                 if _year(int(m.group(1))).endswith("y") else _year(int(m.group(1))) + "s", out)
    out = re.sub(r"\b(1[1-9]\d\d|20\d\d)\b", lambda m: _year(int(m.group(1))), out)
    return re.sub(r"\d+", lambda m: number_to_words(int(m.group(0))), out)


def _money(symbol: str, amount: str) -> str:
    whole, _, cents = amount.partition(".")
    unit = _CURRENCY[symbol] + ("" if whole == "1" else "s")
    words = f"{number_to_words(int(whole))} {unit}"
    if cents and int(cents):
        words += f" and {number_to_words(int(cents))} cents"
    return words
