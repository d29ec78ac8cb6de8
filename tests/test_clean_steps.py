"""Each cleaning step on its own: unicode, HTML, replies/signatures, whitespace, language."""

from __future__ import annotations

import pytest

from voc.clean.html import html_to_text, looks_like_html
from voc.clean.language import detect_language, english_fast_path
from voc.clean.replies import strip_replies
from voc.clean.unicode import garbage_ratio, looks_like_mojibake, repair_unicode
from voc.clean.whitespace import normalize_whitespace

# --- unicode -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("cafÃ©", "café"),
        ("Le service Ã©tait trÃ¨s lent", "Le service était très lent"),
        ("I donâ€™t like it", "I don’t like it"),
        ("ÐŸÑ€Ð¸Ð²ÐµÑ‚", "Привет"),
    ],
)
def test_mojibake_is_repaired(broken: str, fixed: str) -> None:
    assert looks_like_mojibake(broken)
    assert repair_unicode(broken) == (fixed, True)


@pytest.mark.parametrize(
    "clean", ["plain ascii text", "café crème, naïve résumé", "日本語のレビュー", "I don’t"]
)
def test_clean_text_is_left_alone(clean: str) -> None:
    assert not looks_like_mojibake(clean)
    assert repair_unicode(clean) == (clean, False)


def test_decomposed_accents_are_nfc_normalised() -> None:
    text, changed = repair_unicode("cafe\u0301")
    assert text == "caf\u00e9"
    assert changed


def test_garbage_ratio() -> None:
    assert garbage_ratio("a normal sentence\nwith a break") == 0.0
    assert garbage_ratio("\x00\x01\x02a") == 0.75
    assert garbage_ratio("\ufffd\ufffdab") == 0.5


# --- HTML --------------------------------------------------------------------


def test_html_paragraphs_breaks_and_entities() -> None:
    html = (
        "<html><head><title>t</title><style>p {color: red}</style></head><body>"
        "<p>Hello &amp; welcome,\n    the <b>app</b> crashes</p><p>Line one<br>line two</p>"
        "<ul><li>first</li><li>second</li></ul></body></html>"
    )
    assert looks_like_html(html)
    text = normalize_whitespace(html_to_text(html))
    assert text == "Hello & welcome, the app crashes\n\nLine one\nline two\n\nfirst\nsecond"


def test_html_script_content_is_dropped() -> None:
    html = '<div>Refund please</div><script>var x = "<p>steal()</p>";</script><div>now</div>'
    text = normalize_whitespace(html_to_text(html))
    assert "steal" not in text
    assert "var x" not in text
    assert text == "Refund please\n\nnow"


def test_entities_only() -> None:
    assert looks_like_html("Fish &amp; chips &eacute;")
    assert html_to_text("Fish &amp; chips &eacute;") == "Fish & chips é"


def test_table_cells_are_separated() -> None:
    html = "<table><tr><td>Plan</td><td>Pro</td></tr><tr><td>Seats</td><td>5</td></tr></table>"
    assert normalize_whitespace(html_to_text(html)) == "Plan Pro\nSeats 5"


@pytest.mark.parametrize(
    "text",
    [
        "price < 5 and rating > 3",
        "I <3 this app",
        "AT&T was slow",
        "plain",
        "press <Enter> to save",
        "Dear <your name>",
    ],
)
def test_plain_text_is_not_html(text: str) -> None:
    assert not looks_like_html(text)


# --- replies and signatures --------------------------------------------------


@pytest.mark.parametrize(
    ("thread", "reply"),
    [
        (
            "The refund has not arrived.\n\nOn Mon, Jan 5, 2026 at 10:02 AM Support <help@acme.com> wrote:\n"
            "> Thanks for reaching out.\n> We will look into it.",
            "The refund has not arrived.",
        ),
        (
            "The refund has not arrived. On Mon, Jan 5, 2026 at 10:02 AM Support <help@acme.com> wrote: "
            "Thanks for reaching out.",
            "The refund has not arrived.",
        ),
        (
            "Still broken.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nSubject: Re: bug\n\nTry again.",
            "Still broken.",
        ),
        (
            "Still broken.\n\nFrom: Support Team <help@acme.com>\nSent: Monday, January 5, 2026 10:02\n"
            "To: Jane\nSubject: RE: bug\n\nPlease try again.",
            "Still broken.",
        ),
        (
            "Le colis est perdu.\n\nLe 5 janv. 2026 à 10:02, Support a écrit :\n> Bonjour",
            "Le colis est perdu.",
        ),
        ("I agree.\n> quoted line\nAnd one more thing.", "I agree.\nAnd one more thing."),
        (
            "Still waiting.\n\nOn Mon, Jan 5, 2026 at 10:02 AM Support Team\n<help@acme.com> wrote:\n> hi",
            "Still waiting.",
        ),
        (
            "Bitte erstatten. Am 05.01.2026 um 10:02 schrieb Support <help@acme.com>:\n> Hallo",
            "Bitte erstatten.",
        ),
        ("Reembolso, por favor. El 5 ene 2026, Soporte escribió:\n> Hola", "Reembolso, por favor."),
    ],
)
def test_quoted_replies_are_removed(thread: str, reply: str) -> None:
    text, changed = strip_replies(thread)
    assert changed
    assert normalize_whitespace(text) == reply


@pytest.mark.parametrize(
    "signed",
    [
        "App is slow.\n\n-- \nJane Doe\nACME Corp",
        "App is slow.\n\nSent from my iPhone",
        "App is slow.\n\nBest regards,\nJane Doe",
        "App is slow.\nThanks,\nJane",
        "App is slow.\n\nKind regards,\nJane Doe\nHead of IT\nACME Corp",
    ],
)
def test_signatures_are_removed(signed: str) -> None:
    text, changed = strip_replies(signed)
    assert changed
    assert normalize_whitespace(text) == "App is slow."


@pytest.mark.parametrize(
    "keep",
    [
        "The export fails:\n\n-crashes on login\n-slow sync",  # email-reply-parser drops this list
        "On the other hand I wrote: nothing works",
        "Thanks!",
        "App is slow.\nThanks,\nbut the app still crashes on startup and I want a refund.",
        "One line review with no thread",
        "\nI can't seem to be able to use my card\n\n\n",
    ],
)
def test_non_replies_are_kept(keep: str) -> None:
    assert strip_replies(keep) == (keep, False)


def test_reply_removal_never_removes_everything() -> None:
    only_quote = "> everything here is quoted\n> and more"
    assert strip_replies(only_quote) == (only_quote, False)
    only_header = "On Mon, Jan 5, 2026 at 10:02 AM Support wrote:\n> hi"
    assert strip_replies(only_header) == (only_header, False)


# --- whitespace --------------------------------------------------------------


def test_whitespace_normalisation() -> None:
    raw = "  Too\t\tmany   spaces\r\nand\u200b zero\u200dwidth\x07 chars\r\n\r\n\r\n\r\nnew para \u00a0 end  "
    assert normalize_whitespace(raw) == "Too many spaces\nand zerowidth chars\n\nnew para end"


def test_whitespace_keeps_clean_text() -> None:
    assert normalize_whitespace("Fine as it is.") == "Fine as it is."


# --- language ----------------------------------------------------------------

LANGS = ("en", "fr", "de", "es", "it", "pt", "nl")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Le service client était très lent et personne n'a répondu à mes courriels.", "fr"),
        ("Die Lieferung kam zwei Wochen zu spät und das Paket war beschädigt.", "de"),
        ("El producto llegó roto y nadie me devolvió el dinero todavía.", "es"),
        ("The app keeps crashing whenever I try to upload a photo, please fix it.", "en"),
        ("Terrible experience with checkout. Card declined three times but charged twice.", "en"),
    ],
)
@pytest.mark.parametrize("backend", ["py3langid", "lingua"])
def test_detect_language(text: str, code: str, backend: str) -> None:
    if backend == "lingua":
        pytest.importorskip("lingua", reason="lingua-language-detector is an optional backend")
    assert detect_language(text, backend=backend, languages=LANGS)[0] == code


@pytest.mark.parametrize("text", ["ok", "5/5", "👍👍", "meh."])
def test_short_or_letterless_texts_are_undetermined(text: str) -> None:
    assert detect_language(text, languages=LANGS)[0] == "und"


def test_english_fast_path_only_claims_english() -> None:
    assert english_fast_path("It was not what I expected and the support did not help at all.")
    for foreign in [
        "Le service client était très lent et personne n'a répondu.",
        "De app werkt niet meer sinds de laatste update en ik ben boos.",
        "Il servizio clienti non ha mai risposto alla mia richiesta.",
        "Der Kundenservice war super freundlich und hat mir sehr geholfen.",
    ]:
        assert not english_fast_path(foreign), foreign
