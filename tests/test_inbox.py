"""Grouping unanswered questions (faq_bot/inbox.py) on a labelled set of 110 real-world wordings."""

from __future__ import annotations

import os
from collections import Counter

import pytest
import yaml

from faq_bot.content import AnswerBook
from faq_bot.inbox import InboxGroup, group_questions
from tests.conftest import DATA

with open(os.path.join(DATA, "inbox_questions.yaml"), encoding="utf-8") as handle:
    GROUPS = yaml.safe_load(handle)["groups"]
TOPIC = {question: group["topic"] for group in GROUPS for question in group["questions"]}
NEAREST = {group["topic"]: group["nearest"] for group in GROUPS}


@pytest.fixture(scope="module")
def grouped(book: AnswerBook) -> list[InboxGroup]:
    return group_questions(list(TOPIC), book)


def majority(group: InboxGroup) -> str:
    return Counter(TOPIC[text] for text in group.wordings).most_common(1)[0][0]


def test_labelled_set_is_large_and_varied() -> None:
    """The test set has at least 100 wordings in at least 12 labelled groups."""
    assert len(TOPIC) >= 100 and len(GROUPS) >= 12


def test_groups_are_pure(grouped: list[InboxGroup]) -> None:
    """At least 90% of wordings sit in a group whose majority shares their topic."""
    right = sum(Counter(TOPIC[text] for text in group.wordings).most_common(1)[0][1] for group in grouped)
    assert right / len(TOPIC) >= 0.9


def test_each_topic_mostly_lands_in_one_group(grouped: list[InboxGroup]) -> None:
    """At least 85% of wordings are in their topic's biggest group, so counts mean something."""
    together = 0
    for topic in NEAREST:
        sizes = Counter(i for i, group in enumerate(grouped) for text in group.wordings if TOPIC[text] == topic)
        together += sizes.most_common(1)[0][1]
    assert together / len(TOPIC) >= 0.85
    assert len(grouped) <= 2 * len(GROUPS)


def test_nearest_answers_are_the_right_ones(grouped: list[InboxGroup]) -> None:
    """The biggest group of each topic with a sensible home names one of the labelled nearest answers."""
    checked, right, wrong = 0, 0, []
    seen: set[str] = set()
    for group in grouped:  # biggest first
        topic = majority(group)
        if topic in seen or not NEAREST[topic]:
            continue
        seen.add(topic)
        checked += 1
        if group.nearest_id in NEAREST[topic]:
            right += 1
        else:
            wrong.append((topic, group.nearest_id))
    assert checked >= 6
    # 0.7: with 1,300 phrasings two hints went astray ("addicted" is a near-spelling of "addition", and
    # fibromyalgia's phrasings talk of tiredness); the hint is for an editor, who decides.
    assert right / checked >= 0.7, wrong


def test_groups_with_no_home_get_no_nearest_answer(grouped: list[InboxGroup]) -> None:
    """Most topics no answer covers (parking, opening hours...) are shown as needing a new answer."""
    homeless = {topic for topic, nearest in NEAREST.items() if not nearest}
    firsts: dict[str, InboxGroup] = {}
    for group in grouped:
        firsts.setdefault(majority(group), group)
    without = [topic for topic in homeless if topic in firsts and firsts[topic].nearest_id is None]
    assert len(without) >= len(homeless) * 0.6, [(t, firsts[t].nearest_id) for t in homeless if t in firsts]


def test_counts_repeat_wordings_and_biggest_come_first(book: AnswerBook) -> None:
    """The same wording asked three times counts three, and groups are ordered by count."""
    groups = group_questions(["is there parking"] * 3 + ["where can i park", "how much does it cost"], book)
    assert [group.count for group in groups] == [4, 1]
    assert groups[0].wordings["is there parking"] == 3


def test_picks_decide_the_nearest_answer(book: AnswerBook) -> None:
    """When patients picked a suggestion for a wording, that answer is the group's nearest."""
    [group] = group_questions(
        [("does it knock you out at night", "ambiguous")], book, picks=[("does it knock you out at night", "sleep")]
    )
    assert group.nearest_id == "sleep" and group.picked["sleep"] == 1


def test_yaml_snippet_is_valid_yaml_with_the_wordings(book: AnswerBook) -> None:
    """The snippet parses as YAML and lists the group's wordings as alternates."""
    [group] = group_questions(['can I "vape" it'], book)
    parsed = yaml.safe_load(group.yaml_snippet())
    assert parsed == {"alternates": ['can I "vape" it']}


def test_placeholders_do_not_make_questions_similar(book: AnswerBook) -> None:
    """Two unrelated questions sharing only [PHONE] stay apart."""
    groups = group_questions(["is there parking, call [PHONE]", "can i grow my own, call [PHONE]"], book)
    assert len(groups) == 2
