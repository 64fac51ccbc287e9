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
    "[HOSPITAL_NUMBER]",
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
    r"road|rd|street|st|avenue|ave|lane|ln|close|drive|crescent|cres|terrace|gardens|gdns|grove|mews|square"
    r"|boulevard|parade|wharf|quay|cottages"
)
# Street words that name a street on their own ("Acacia Avenue", "lives on baker street").
_STREET_WORD = r"Road|Street|Avenue|Lane|Close|Drive|Crescent|Terrace|Gardens|Grove|Mews|Square|Boulevard|Parade"
_STREET_CAPITALISED = r"Park|Hill|Green|Way|Walk|View|Court|Place|Row|Rise|End|Vale|St|Dr|Ln|Cl|Ct|Pl|Sq|Way"
_HOUSE = r"(?:(?:flat|apartment|apt|unit)\s+\d+[a-z]?,?\s+)?\b\d{1,4}[a-z]?,?\s+"
_ADDRESS = re.compile(
    rf"{_HOUSE}(?:[A-Za-z'\-]+\s+){{1,3}}(?i:{_STREET_ANY_CASE})\b"
    rf"|{_HOUSE}(?:[A-Z][A-Za-z'\-]*\s+){{1,3}}(?:{_STREET_CAPITALISED})\b\.?",
)
_FLAT = re.compile(r"\b(?:flat|apartment|apt)\s+\d+[a-z]?\b", re.IGNORECASE)
# A street without a house number: capitalised ("Acacia Avenue"), or any case after "live on".
_STREET_NAMED = re.compile(
    rf"\b(?:[A-Z][a-z'\-]+\s+){{1,2}}(?:{_STREET_WORD})\b"
    rf"|(?i:\b(?P<cue>(?:live|lives|living|staying|moved|address is)\s+(?:at |on |in |to )?)(?:[a-z'\-]+\s+){{1,3}}"
    rf"(?:{_STREET_ANY_CASE})\b)"
)


def _street_named(match: re.Match[str]) -> str:
    return f"{match.group('cue') or ''}[ADDRESS]"


# Hospital (MRN) numbers: two letters and seven digits, "RX1234567" or "rx 1234567".
_HOSPITAL_NUMBER = re.compile(r"\b[A-Za-z]{2}\s?\d{7}\b")
# Outward postcodes alone ("LS6", "near SW1A"): the UK's postcode areas. Single-letter areas
# and CB collide with vitamins and receptors (B12, D3, CB1), so those need a place word first.
_TWO_LETTER_AREAS = (
    "AB|AL|BA|BB|BD|BH|BL|BN|BR|BS|BT|CA|CF|CH|CM|CO|CR|CT|CV|CW|DA|DD|DE|DG|DH|DL|DN|DT|DY|EC|EH|EN|EX"
    "|FK|FY|GL|GU|GY|HA|HD|HG|HP|HR|HS|HU|HX|IG|IM|IP|IV|JE|KA|KT|KW|KY|LA|LD|LE|LL|LN|LS|LU|ME|MK|ML|NE"
    "|NG|NN|NP|NR|NW|OL|OX|PA|PE|PH|PL|PO|PR|RG|RH|RM|SA|SE|SG|SK|SL|SM|SN|SO|SP|SR|SS|ST|SW|SY|TA|TD|TF"
    "|TN|TQ|TR|TS|TW|UB|WA|WC|WD|WF|WN|WR|WS|WV|YO|ZE"
)
_ALL_AREAS = rf"(?:{_TWO_LETTER_AREAS}|CB|B|E|G|L|M|N|S|W)"
_OUTWARD_POSTCODE = re.compile(rf"\b(?:{_TWO_LETTER_AREAS})\d{{1,2}}[A-Z]?\b")
_PLACE_CUE = r"postcode(?: is)?|area|live in|living in|based in|(?:i'm|i am|im|we're|we are) in|near|around"
_OUTWARD_AFTER_PLACE = re.compile(
    rf"\b(?P<place>{_PLACE_CUE})\s+{_ALL_AREAS}\d{{1,2}}[A-Z]?\b",
    re.IGNORECASE,
)


def _outward_after_place(match: re.Match[str]) -> str:
    return f"{match.group('place')} [POSTCODE]"


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


# Common UK first names that are not also English words (no "May", "Will", "Grace"): a
# listed name counts in any case ("my husband pete"); any other name must be capitalised.
_FIRST_NAMES = frozenset(
    """aaliyah aaron abdul abigail adam adrian ahmed aisha alan alex alexander alexandra ali alice alison
    amanda amelia amir amy andrea andrew angela anna anne anthony arthur ayesha barbara ben benjamin beth
    bethany brian callum carl caroline catherine charlie charlotte chloe chris christine christopher claire
    colin craig daniel danielle darren david debbie deborah declan denise derek diane donna dylan eddie
    edward eileen eleanor elizabeth ellie emily emma eric ethan fatima fiona freddie gareth gary gemma
    george georgia gillian graham hannah harry harvey heather helen ian isabella isla jack jacob james
    jamie jane janet jason jennifer jenny jessica joan joanne john jonathan joseph josh joshua julie
    karen kate katie kelly kevin kieran laura lauren leah lee leo liam linda lisa lucy luke lynn
    maria marie martin mary matthew megan michael michelle mohammed muhammad nadia natalie neil nicola
    nigel noah oliver olivia owen paul paula pauline pete peter philip priya rachel rebecca richard
    robert ryan sam samantha samuel sandra sarah scott sean sharon shaun sheila simon sophie stephen
    steve steven stuart susan tariq thomas tom tony tracey trevor vicky victoria wayne william yasmin
    zara zoe""".split()
)
# Capitalised words that follow "I'm" or "my husband" without being a name.
_NOT_NAMES_CAPITALISED = frozenset(
    """british english scottish welsh irish type diabetic epileptic pregnant worried scared confused
    struggling wondering new still taking using having getting trying looking feeling going unable unsure
    sure interested breastfeeding allergic vegan vegetarian disabled registered due over under after
    female male doctor nurse team everyone all very advance again hoping please thanks thank sorry
    desperate told currently recently finally also gp consultant neurologist specialist""".split()
)
_IM = re.compile(r"\b(?:i'm|i’m|i am|im)\s+", re.IGNORECASE)
_RELATIVE = re.compile(
    r"\bmy\s+(?:husband|wife|partner|son|daughter|mum|mother|dad|father|brother|sister|carer|friend"
    r"|boyfriend|girlfriend|fianc[eé]e?|grandson|granddaughter|nan|gran|grandma|grandad|neighbour|aunt"
    r"|uncle|nephew|niece|child)(?:'s name is)?,?\s+",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"\b(?:thanks|thank you|many thanks|cheers|regards|best wishes|love|from)[,!.]?\s+", re.IGNORECASE
)
# A name opening the message: "Sarah Jones here", "Hi, Tom - ...", "Priya: is it legal?".
_OPENING = re.compile(
    r"^\s*(?:(?:hi|hello|hey|dear|morning|good morning|good afternoon|good evening)\b[,!.]?\s*)?", re.IGNORECASE
)
_HERE = re.compile(r"\s+here\b", re.IGNORECASE)
_NAME_END = re.compile(r"\s*[,:;\-–(]|\s*$")
# A name closing the message: "... any advice? Sarah", "..., thanks - tom".
_CLOSING = re.compile(r"(?:[,.!?\n\-–]|^)\s*(?=[A-Za-z][A-Za-z'\-]*(?:\s+[A-Za-z][A-Za-z'\-]*)?\s*[.!x]*\s*$)")


def _is_listed(token: str) -> bool:
    return token.lower() in _FIRST_NAMES


def _looks_like_name(token: str) -> bool:
    """A capitalised word that is not an acronym ("MS", "CBD") or a word known not to be a name."""
    lower = token.lower()
    return (
        token[0].isupper()
        and not (token.isupper() and len(token) > 1)
        and lower not in _NOT_NAMES
        and lower not in _NOT_NAMES_CAPITALISED
    )


def _name_words(text: str, cursor: int, *, mode: str) -> int:
    """The end of up to three name words starting at ``cursor`` (``cursor`` itself when there are none).

    ``intro`` ("my name is"): any word that is not a stop word; ``capitalised``: capitalised
    words only; ``introduced`` ("I'm", "my husband", "thanks,"): a capitalised name-like word
    or a listed first name, then, after a listed first name, a lower-case surname too.
    """
    end = cursor
    words = 0
    previous_listed = False
    for word in re.finditer(rf"\s*({_NAME_WORD})", text[cursor:]):
        token = word.group(1)
        lower = token.lower()
        if word.start() != end - cursor or lower in _NOT_NAMES or words == 3:
            break
        if mode == "capitalised" and (not token[0].isupper() or (token.isupper() and len(token) > 1)):
            break  # "this is MS", "this is CBD": acronyms, not names
        if mode == "introduced" and not (
            _looks_like_name(token)
            or _is_listed(token)
            or (previous_listed and lower not in _NOT_NAMES_CAPITALISED and len(token) > 1)
        ):
            break
        previous_listed = _is_listed(token)
        words += 1
        end = cursor + word.end()
    return end


def _replace_names(text: str, intro: re.Pattern[str], *, mode: str) -> str:
    """Replace up to three name words after an introduction such as "my name is"."""
    out: list[str] = []
    position = 0
    for match in intro.finditer(text):
        if match.start() < position:
            continue
        end = _name_words(text, match.end(), mode=mode)
        if end > match.end():
            out.append(text[position : match.end()])
            out.append("[NAME]")
            position = end
    out.append(text[position:])
    return "".join(out)


def _replace_opening_name(text: str) -> str:
    """A name opening the message: listed, or any capitalised name followed by "here"."""
    greeting = _OPENING.match(text)
    start = greeting.end() if greeting else 0
    end = _name_words(text, start, mode="introduced")
    if end == start:
        return text
    first = re.match(_NAME_WORD, text[start:])
    listed = first is not None and _is_listed(first.group(0))
    if _HERE.match(text, end) or (listed and _NAME_END.match(text, end)):
        return text[:start] + "[NAME]" + text[end:]
    return text


def _replace_closing_name(text: str) -> str:
    """A name closing the message: a listed first name, or two capitalised name words."""
    for match in _CLOSING.finditer(text):
        end = _name_words(text, match.end(), mode="introduced")
        tokens = text[match.end() : end].split()
        if tokens and (_is_listed(tokens[0]) or len(tokens) == 2) and not text[end:].strip(" .!x"):
            return text[: match.end()] + "[NAME]" + text[end:]
    return text


def _phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[PHONE]" if 10 <= len(digits) <= 14 else match.group(0)


_STEPS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (_EMAIL, "[EMAIL]"),
    (_URL, "[URL]"),
    (_DATE, "[DATE]"),
    (_PHONE, _phone),
    (_NHS, "[NHS_NUMBER]"),
    (_HOSPITAL_NUMBER, "[HOSPITAL_NUMBER]"),
    (_POSTCODE, "[POSTCODE]"),
    (_OUTWARD_AFTER_PLACE, _outward_after_place),
    (_OUTWARD_POSTCODE, "[POSTCODE]"),
    (_ADDRESS, "[ADDRESS]"),
    (_FLAT, "[ADDRESS]"),
    (_STREET_NAMED, _street_named),
    (_TITLED, "[NAME]"),
    (_LONG_NUMBER, "[NUMBER]"),
)


# Every one of these patterns needs a digit to match, so text without digits skips them.
NEEDS_A_DIGIT = frozenset(
    {_PHONE, _NHS, _HOSPITAL_NUMBER, _POSTCODE, _OUTWARD_AFTER_PLACE, _OUTWARD_POSTCODE, _ADDRESS, _FLAT, _LONG_NUMBER}
)
ANY_DIGIT = re.compile(r"\d")


def redact(text: str) -> str:
    """Replace personal data in ``text`` with typed placeholders such as ``[PHONE]``."""
    has_digit = ANY_DIGIT.search(text) is not None
    for pattern, replacement in _STEPS:
        if has_digit or pattern not in NEEDS_A_DIGIT:
            text = pattern.sub(replacement, text)
    text = _replace_names(text, _NAME_INTRO, mode="intro")
    text = _replace_names(text, _THIS_IS, mode="capitalised")
    for intro in (_IM, _RELATIVE, _SIGN_OFF):
        text = _replace_names(text, intro, mode="introduced")
    text = _replace_opening_name(text)
    return _replace_closing_name(text)
