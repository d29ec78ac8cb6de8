"""Issues, not themes: framing is never a theme, complaints are named as problems, verbatims mark them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from voc.config.ranking import RankingConfig
from voc.nlp.sentences import Span, split_long
from voc.rank.backlog import build_entries, excerpt
from voc.rank.metrics import theme_items
from voc.themes.boilerplate import mention_kind, opinion_share, strip_framing
from voc.themes.polar_labels import polar_labels

# -- framing and verdicts ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Hi team,",
        "Good morning,",
        "Dear Northwind Support,",
        "Best regards,",
        "Thanks in advance,",
        "Sorry to bother you again.",
        "Looking forward to your reply,",
        "To whom it may concern,",
        "Bearing my signature",
        "I hope you can help.",
        "Team please reply",
    ],
)
def test_greetings_sign_offs_and_framing_are_boilerplate(text: str) -> None:
    assert mention_kind(text) == "boilerplate"


@pytest.mark.parametrize("text", ["Love it!", "Not happy.", "Great app", "Excellent service", "Very good"])
def test_verdicts_without_an_aspect_are_opinions(text: str) -> None:
    assert mention_kind(text) == "opinion"


@pytest.mark.parametrize(
    "text", ["Runs small", "Fabric is too thin", "The app crashes every time", "Stopped working after a week"]
)
def test_what_feedback_is_about_is_content(text: str) -> None:
    assert mention_kind(text) == "content"


def test_complaint_framing_is_cut_and_the_complaint_kept() -> None:
    assert strip_framing("I am writing to complain about the late delivery of my parcel") == (
        "the late delivery of my parcel"
    )
    assert (
        strip_framing("Hello, I'm filing this complaint regarding my credit report.") == "my credit report."
    )
    assert opinion_share(["opinion", "opinion", "content", "boilerplate"]) == pytest.approx(2 / 3)


# -- mentions of long run-on reviews ------------------------------------------------------------


def test_a_review_without_full_stops_is_cut_at_commas() -> None:
    text = (
        "nice hotel expensive parking got good deal stay hotel anniversary, arrived late evening took advice "
        "previous reviews did valet parking, check quick easy, bed comfortable woke stiff neck high pillows, "
        "not soundproof heard music room night, location great walking distance shopping"
    )
    pieces = split_long(Span(text, 10, 10 + len(text)))
    assert len(pieces) >= 5
    assert all(text[p.start - 10 : p.end - 10] == p.text for p in pieces)
    assert any(p.text == "not soundproof heard music room night" for p in pieces)
    short = Span("the room was fine", 0, 17)
    assert split_long(short) == [short]


# -- naming a theme's complaints ------------------------------------------------------------


def test_complaints_are_named_by_what_sets_them_apart_from_the_praise() -> None:
    # One aspect, praised and complained about in nearly the same words: negation decides.
    neg = ["bed not comfortable at all", "the bed was not comfortable", "bed not comfortable springs",
           "pillows hard and bed not comfortable", "mattress sagging bed not comfortable"]  # fmt: skip
    pos = ["bed comfortable", "bed very comfortable", "comfortable bed and pillows", "the bed was comfortable",
           "bed comfortable slept well", "really comfortable bed"]  # fmt: skip
    other_neg = ["parking expensive", "parking expensive downtown", "valet parking expensive"]
    texts = neg + other_neg
    labels = np.array([0] * len(neg) + [1] * len(other_neg))
    got = polar_labels(texts, labels, pos, np.zeros(len(pos), dtype=int))
    assert got[0].label == "Bed not comfortable"
    assert "expensive" in got[1].label.lower() and "parking" in got[1].label.lower()


def test_a_negated_hedge_never_names_a_problem() -> None:
    from voc.themes.labels import label_themes

    # "I don't know why", "I don't think" are the writer's hedge; they name nothing to fix.
    texts = ["I don't know why I got this survey", "I don't know why they sent it", "don't know why I am asked this",
             "I don't know why", "do not know why this came", "I don't think it applies to me",
             "I dont know why I was sent this"]  # fmt: skip
    other = [
        "the ambulance took two hours",
        "ambulance took hours to arrive",
        "waited hours for the ambulance",
    ]
    labels = np.array([0] * len(texts) + [1] * len(other))
    emb = np.zeros((len(labels), 4), dtype=np.float32)
    names = label_themes(texts + other, labels, emb, n_quotes=0, use_spacy=False, negations=True)
    assert names[0].label and names[0].label.split()[0].lower() not in ("not", "no", "never")
    assert "ambulance" in names[1].label.lower()


def test_a_negated_verb_keeps_the_helper_customers_put_before_it() -> None:
    from voc.themes.labels import label_themes
    from voc.themes.negations import with_auxiliary

    # "Not work" is how the namer counts "doesn't work"; a product team reads "Does not work".
    texts = ["Stopped after a week, doesn't work", "it does not work anymore", "Doesn't work with my tv",
             "the remote doesn't work", "does not work at all", "did not work out of the box"]  # fmt: skip
    other = ["the battery is dead", "battery died fast", "battery dead in a day"]
    labels = np.array([0] * len(texts) + [1] * len(other))
    emb = np.zeros((len(labels), 4), dtype=np.float32)
    names = label_themes(texts + other, labels, emb, n_quotes=0, use_spacy=False, negations=True)
    assert names[0].label == "Does not work"
    assert with_auxiliary(
        "Not connect", ["cannot connect to wifi", "can not connect", "will not connect"]
    ) == ("Cannot connect")
    # No helper verb most of the time, or one that is not do/can/will: the name stays as it is.
    assert (
        with_auxiliary("Not worth price", ["is not worth the price", "not worth price"]) == "Not worth price"
    )
    assert with_auxiliary("Rooms not large", ["rooms not large"]) == "Rooms not large"


def test_a_pointer_at_the_issue_never_names_a_problem() -> None:
    from voc.themes.labels import label_themes

    # "X is not the issue, Y is": the writer points at the complaint; "Not the issue" names nothing.
    texts = ["the delay is not the issue, nobody told us anything", "weather is not the issue, no updates were",
             "not the issue that we waited, no one at the desk told us", "the wait was not the issue",
             "no updates from anyone at the desk", "nobody told us anything for hours"]  # fmt: skip
    other = ["bag lost in Denver", "lost my bag again", "my bag is lost"]
    labels = np.array([0] * len(texts) + [1] * len(other))
    emb = np.zeros((len(labels), 4), dtype=np.float32)
    names = label_themes(texts + other, labels, emb, n_quotes=0, use_spacy=False, negations=True)
    assert "issue" not in names[0].label.lower()


def test_a_complaint_name_keeps_a_negation_three_words_away_and_is_never_praise() -> None:
    from voc.themes.labels import label_themes

    # "not worth the money" is four words: with three-word phrases only, the name lost its "not".
    worth = ["Not worth the money at all", "not worth the money.", "Honestly not worth the money",
             "It is not worth the money", "not worth the money, returned it"]  # fmt: skip
    # Litotes read as complaints by a tweet-trained model are praise: no problem is named by them.
    litotes = ["Really nothing bad to say about it", "nothing bad to say", "I have nothing bad to say",
               "Nothing bad to say, the battery died once", "nothing bad to say but the battery died",
               "the battery died after a week", "battery died in a week"]  # fmt: skip
    labels = np.array([0] * len(worth) + [1] * len(litotes))
    emb = np.zeros((len(labels), 4), dtype=np.float32)
    names = label_themes(worth + litotes, labels, emb, n_quotes=0, use_spacy=False, negations=True)
    assert names[0].label.lower().startswith("not worth")
    assert "bad to say" not in names[1].label.lower()
    assert "battery" in names[1].label.lower()


def test_an_aspect_is_named_by_what_it_is_not_by_the_verdict_on_it() -> None:
    from voc.themes.labels import _chunker, label_themes

    if _chunker() is None:
        pytest.skip("spaCy's en_core_web_sm is not installed; verdict words are found by its tagger")
    device = ["Great device, the echo device sits in the kitchen", "great device for the kitchen",
              "The echo device is a great device", "echo device in the kitchen, great device",
              "a great device", "my echo device plays the radio"]  # fmt: skip
    other = ["the power cord is short", "power cord too short", "short power cord"]
    labels = np.array([0] * len(device) + [1] * len(other))
    emb = np.zeros((len(labels), 4), dtype=np.float32)
    plain = label_themes(device + other, labels, emb, n_quotes=0)
    neutral = label_themes(device + other, labels, emb, n_quotes=0, neutral=True)
    assert "great" in plain[0].label.lower()  # what the theme's words say most: the verdict
    assert "great" not in neutral[0].label.lower()
    assert "device" in neutral[0].label.lower() or "kitchen" in neutral[0].label.lower()


@pytest.mark.parametrize(
    ("label", "states"),
    [("Bathrooms small", True), ("Room not ready", True), ("No wireless internet", True), ("Dead bugs", True),
     ("Internet access", False), ("Hot tub", False), ("Prime day", False), ("Not working", False)],
)  # fmt: skip
def test_a_problem_name_says_what_is_wrong_with_a_thing(label: str, states: bool) -> None:
    from voc.themes.labels import _chunker
    from voc.themes.problems import states_problem

    if _chunker() is None:
        pytest.skip("spaCy's en_core_web_sm is not installed; the name's shape is read by its tagger")
    assert states_problem(label) is states


# -- verbatims mark the complaint in its item -------------------------------------------------


def test_excerpt_keeps_the_mention_and_marks_it() -> None:
    text = "Love the colour and the fabric.  " + "x " * 200 + "But it runs small, order a size up."
    start = text.index("it runs small")
    cut, (a, b) = excerpt(text, start, start + len("it runs small"), limit=120)
    assert len(cut) <= 122 and cut[a:b] == "it runs small" and cut.startswith("…")
    whole, mark = excerpt("Too short.", 0, 3)
    assert whole == "Too short." and mark == [0, 3]


def test_a_positive_review_with_one_complaint_is_evidence_for_the_problem() -> None:
    # "Love it, but it runs small": a positive item; its negative mention makes it a sizing complaint.
    text = "Love this dress, the colour is perfect. But it runs small."
    items = pd.DataFrame(
        {
            "id": ["r1", "r2", "r3", "r4"],
            "created_at": pd.NaT,
            "text": [text] * 4,
            "rating": [4.0, 5.0, 4.0, 2.0],
        }
    )
    for col in ("rating_scale", "customer_id", "revenue", "url", "external_id"):
        items[col] = None
    items["rating_scale"] = "stars"
    rows = []
    for i in items["id"]:
        rows += [
            {
                "item_id": i,
                "sent_idx": 0,
                "theme_id": "T1",
                "score": 0.7,
                "label": "positive",
                "sentiment": 0.9,
            },
            {
                "item_id": i,
                "sent_idx": 1,
                "theme_id": "T2",
                "score": 0.6,
                "label": "positive",
                "sentiment": 0.8,
            },
            {
                "item_id": i,
                "sent_idx": 2,
                "theme_id": "T3",
                "score": 0.8,
                "label": "negative",
                "sentiment": -0.7,
            },
        ]
    isent = pd.DataFrame({"item_id": items["id"], "label": "positive", "score": [0.6, 0.7, 0.6, -0.2]})
    ti = theme_items(items, pd.DataFrame(rows), isent, "all")
    ip = pd.DataFrame(
        {"item_id": items["id"], "period": "all", "rating": items["rating"], "rating_scale": "stars"}
    )
    themes = pd.DataFrame(
        {"theme_id": ["T1", "T2", "T3"], "label": ["Dress", "Colour", "Sizing"],
         "problem_label": [None, None, "Runs small"], "praise_label": ["Love this dress", "Colour", None]}
    )  # fmt: skip
    spans = {(i, 2): (text.index("But it runs"), len(text)) for i in items["id"]}
    (e,) = build_entries(ti, ip, themes, None, "all", RankingConfig(period="all"), spans=spans)
    assert (e.theme_id, e.theme_label, e.volume) == ("T3", "Runs small", 4)
    v = e.verbatims[0]
    assert v.item_id == "r4"  # the least happy customer is the first evidence
    assert v.highlight is not None and v.text[v.highlight[0] : v.highlight[1]] == "But it runs small."
    values = build_entries(
        ti, ip, themes, None, "all", RankingConfig(period="all"), kind="value", spans=spans
    )
    assert {x.theme_id for x in values} == {"T1", "T2"}  # the praise, never an issue


def test_verdict_themes_merge_into_one_per_tone_and_aspects_stay() -> None:
    from voc.themes.verdicts import apply_merges, verdict_merges

    theme_of = np.array(["T1"] * 5 + ["T2"] * 3 + ["T3"] * 4 + ["T4"] * 4 + ["unassigned"], dtype=object)
    kinds = ["opinion"] * 5 + ["opinion"] * 3 + ["content"] * 4 + ["opinion"] * 4 + ["boilerplate"]
    pol = ["positive"] * 8 + ["negative"] * 4 + ["negative"] * 4 + [None]
    groups = verdict_merges(theme_of, kinds, pol, threshold=0.5)
    assert groups == [["T1", "T2"]]  # T4 is the only negative verdict theme; T3 is an aspect
    reg = pd.DataFrame({"theme_id": ["T1", "T2", "T3", "T4"], "status": "active", "merged_into": None,
                        "is_new": False})  # fmt: skip
    merged, reg2 = apply_merges(theme_of, reg, groups)
    assert (merged[:8] == "T1").all() and reg2.set_index("theme_id").at["T2", "merged_into"] == "T1"
    assert reg2.set_index("theme_id").at["T2", "status"] == "retired"
