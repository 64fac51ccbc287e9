"""Where a reply sends the patient, and why: the values of ``route`` and ``reason`` in the API."""

from __future__ import annotations

from enum import StrEnum


class Route(StrEnum):
    ANSWER = "answer"  # a vetted answer
    CLARIFY = "clarify"  # "did you mean" with 2-4 choices
    SPECIALIST = "specialist"  # please speak to your specialist
    EMERGENCY = "emergency"  # 999, NHS 111, Samaritans, before anything else


class Reason(StrEnum):
    MATCHED = "matched"
    SMALLTALK = "smalltalk"
    AMBIGUOUS = "ambiguous"
    CLINICAL = "clinical"
    UNMATCHED = "unmatched"
    EMERGENCY = "emergency"
