"""Remove personal data from a patient's message before anything is stored.

Pure Python (no Flask). Each kind of personal data is replaced by a typed placeholder,
so the inbox still reads naturally: "my number is [PHONE], can I get [DATE] off?".
The patterns are deliberately greedy around digits (a false [PHONE] costs nothing)
and careful around words (clinical words such as "MS", "B12", "10mg" or "may" stay).
"""

from __future__ import annotations

import re
from collections.abc import Callable

PLACEHOLDERS = (
    "[URL]",
    "[EMAIL]",
    "[NHS_NUMBER]",
    "[PHONE]",
    "[DATE]",
    "[POSTCODE]",
    "[ADDRESS]",
    "[NAME]",
    "[NUMBER]",
)

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?"

_URL = re.compile(
    r"\b(?:https?://|www\.)[^\s<>\"']+"
    r"|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|co\.uk|org\.uk|org|net|uk|io|info|me|ly)\b(?:/[^\s<>\"']*)?",
    re.IGNORECASE,
)
_EMAIL = re.compile(
    r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\b[\w.+-]+\s*(?:\(at\)|\[at\]|\sat\s)\s*[\w-]+\s*(?:\(dot\)|\[dot\]|\sdot\s)\s*(?:com|co\.uk|co|org|net|uk)\b",
    re.IGNORECASE,
)
# NHS numbers are 10 digits, written 3-3-4 with spaces, dashes or nothing.
_NHS = re.compile(r"(?<![\d+])\d{3}[ \-.]?\d{3}[ \-.]?\d{4}(?!\d)")
# UK phone numbers: +44 / 0044 / 0 prefix, then 9-10 more digits in any grouping.
_PHONE = re.compile(r"(?:(?:\+|\b00)\s?44\s?(?:\(0\)\s?)?|\(?\b0)\d[\d \-().]{7,14}\d(?!\d)")
_DATE = re.compile(
    r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b"  # ISO 1985-03-12
    r"|\b\d{1,2}\s?[/.\-]\s?\d{1,2}\s?[/.\-]\s?\d{2,4}\b"  # 12/03/1985, 12-3-85, 12.03.1985
    rf"|\b{_ORDINAL}(?:\s+of)?[\s\-]+{_MONTH}\.?(?:,?[\s\-]+(?:\d{{4}}|'?\d{{2}})\b)?"  # 12th of March 1985
    rf"|\b{_MONTH}\.?\s+{_ORDINAL}\b(?:,?\s+\d{{4}}\b)?"  # March 12th, 1985
    rf"|\b{_MONTH}\.?,?\s+\d{{4}}\b"  # March 1985
    r"|\b(?:dob|d\.o\.b\.?|date of birth|born(?: in| on)?|birthday)\s*(?:is|:|-|was)?\s*(?:in\s+)?"
    r"(?:\d{4}|\d{1,2}\s?[/.\-]\s?\d{1,2}(?:\s?[/.\-]\s?\d{2,4})?)\b",
    re.IGNORECASE,
)
# Full UK postcodes; the inward code never uses C, I, K, M, O or V, which keeps "b12 1mg" safe.
_POSTCODE = re.compile(
    r"\b(?:[a-pr-uwyz][a-hk-y]?\d[a-z\d]?|gir)\s*\d[abd-hjlnp-uw-z]{2}\b"
    r"|(?<=postcode )(?:is\s+)?[a-pr-uwyz][a-hk-y]?\d[a-z\d]?\b",
    re.IGNORECASE,
)
_STREET_ANY_CASE = (
    r"road|rd|street|avenue|ave|lane|close|drive|crescent|terrace|gardens|gdns|grove|mews|square"
    r"|boulevard|parade|wharf|quay|cottages"
)
_STREET_CAPITALISED = r"Park|Hill|Green|Way|Walk|View|Court|Place|Row|Rise|End|Vale|St|Dr|Ln|Cl|Ct|Pl|Sq|Way"
_HOUSE = r"(?:(?:flat|apartment|apt|unit)\s+\d+[a-z]?,?\s+)?\b\d{1,4}[a-z]?,?\s+"
_ADDRESS = re.compile(
    rf"{_HOUSE}(?:[A-Za-z'\-]+\s+){{1,3}}(?i:{_STREET_ANY_CASE})\b"
    rf"|{_HOUSE}(?:[A-Z][A-Za-z'\-]*\s+){{1,3}}(?:{_STREET_CAPITALISED})\b\.?",
)
_FLAT = re.compile(r"\b(?:flat|apartment|apt)\s+\d+[a-z]?\b", re.IGNORECASE)

# Words that end a name ("my name is jo and I have MS") or are clearly not one.
_NOT_NAMES = frozenset(
    """and but or i im i'm am is was from with my the a an here again who have has had got living
    live age aged years year old currently just also so because calling writing asking on in at
    about for to of not ms mum dad patient carer wife husband son daughter partner really
    sativex cbd thc nhs pain this that it".""".split()
)
_NAME_WORD = r"[A-Za-z][A-Za-z'\-]*"
_NAME_INTRO = re.compile(
    r"\b(?:my name is|my name's|my names|name is|name:|i'?m called|i am called|call me|"
    r"signed|kind regards,?)\s+",
    re.IGNORECASE,
)
_THIS_IS = re.compile(r"\b(?:this is)\s+(?=[A-Z][a-z])", re.IGNORECASE)
_TITLED = re.compile(r"\b(?:Mr|Mrs|Miss|Ms|Mx|Dr|Prof)\.?\s+[A-Z][A-Za-z'\-]+(?:\s+[A-Z][A-Za-z'\-]+)?")
_LONG_NUMBER = re.compile(r"(?<!\[)\b\d[\d \-]{6,}\d\b")


def _replace_names(text: str, intro: re.Pattern[str], *, capitalised_only: bool) -> str:
    """Replace up to three name words after an introduction such as "my name is"."""
    out: list[str] = []
    position = 0
    for match in intro.finditer(text):
        if match.start() < position:
            continue
        cursor = match.end()
        words = 0
        end = cursor
        for word in re.finditer(rf"\s*({_NAME_WORD})", text[cursor:]):
            token = word.group(1)
            if word.start() != end - cursor or token.lower() in _NOT_NAMES or words == 3:
                break
            if capitalised_only and not token[0].isupper():
                break
            if capitalised_only and token.isupper() and len(token) > 1:
                break  # "this is MS", "this is CBD": acronyms, not names
            words += 1
            end = cursor + word.end()
        if words:
            out.append(text[position : match.end()])
            out.append("[NAME]")
            position = end
    out.append(text[position:])
    return "".join(out)


def _phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[PHONE]" if 10 <= len(digits) <= 14 else match.group(0)


_STEPS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (_EMAIL, "[EMAIL]"),
    (_URL, "[URL]"),
    (_DATE, "[DATE]"),
    (_PHONE, _phone),
    (_NHS, "[NHS_NUMBER]"),
    (_POSTCODE, "[POSTCODE]"),
    (_ADDRESS, "[ADDRESS]"),
    (_FLAT, "[ADDRESS]"),
    (_TITLED, "[NAME]"),
    (_LONG_NUMBER, "[NUMBER]"),
)


# Every one of these patterns needs a digit to match, so text without digits skips them.
NEEDS_A_DIGIT = frozenset({_PHONE, _NHS, _POSTCODE, _ADDRESS, _FLAT, _LONG_NUMBER})
ANY_DIGIT = re.compile(r"\d")


def redact(text: str) -> str:
    """Replace personal data in ``text`` with typed placeholders such as ``[PHONE]``."""
    has_digit = ANY_DIGIT.search(text) is not None
    for pattern, replacement in _STEPS:
        if has_digit or pattern not in NEEDS_A_DIGIT:
            text = pattern.sub(replacement, text)
    text = _replace_names(text, _NAME_INTRO, capitalised_only=False)
    text = _replace_names(text, _THIS_IS, capitalised_only=True)
    return text
