"""Writing the words of one planned item (pure: random.Random in, strings out).

Every item is stitched from several banks - greeting, intro, the core of
each theme in one of many paraphrases, details, consequences, asks,
sign-offs - with per-item slot values and register changes (formal or
casual, lowercase, typos, emojis), so no template shows through. Each pick
is recorded as `theme.part.index` so tests can check no template dominates.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from voc.demo import generic
from voc.demo.banks import BANKS
from voc.demo.plan import PlannedItem
from voc.demo.slots import Slots, iban, ip_address, luhn_card, phone
from voc.demo.themes import APP_STORE, EMERGING, GOOGLE_PLAY, QUALTRICS, THEME_BY_KEY

_KEEP_CAPITAL = re.compile(r"^(I\b|I'|Northwind|Hub|Sense|[A-Z]{2,}|[A-Z][a-z]+ from|\d|\{)")
_PROPER = set(generic.AGENT_NAMES) | {"Version", "Ordered", "Every"}
_SHORT_WORDS = re.compile(r"[A-Za-z']+")


@dataclass
class Written:
    """The text of one item; `templates` are the bank entries it used."""

    title: str = ""
    text: str = ""
    channel: str = ""
    templates: list[str] = field(default_factory=list)
    pii: list[str] = field(default_factory=list)


def lower_first(s: str) -> str:
    """Lowercase the first letter unless it starts a name, 'I' or an acronym."""
    if not s or _KEEP_CAPITAL.match(s) or s.split(" ", 1)[0].strip(",.") in _PROPER:
        return s
    return s[0].lower() + s[1:]


def upper_first(s: str) -> str:
    return s[:1].upper() + s[1:]


class Writer:
    """Picks phrases for one item and remembers which ones."""

    def __init__(self, rng: random.Random, item: PlannedItem) -> None:
        self.rng = rng
        self.item = item
        account = item.account
        context = {
            "created": item.created,
            "product": account.product if account else "Northwind Hub",
            "version": item.version,
        }
        if account and account.company:
            context["company"] = account.company
        if EMERGING.key in item.themes:
            context["version"] = rng.choice(("5.2", "5.2", "5.2.0", "v5.2"))
        self.slots = Slots(rng, context)
        self.out = Written()

    def fill(self, template: str) -> str:
        return template.format_map(self.slots)

    def pick(self, theme: str, part: str) -> str:
        bank = BANKS[theme][part]
        i = self.rng.randrange(len(bank))
        self.out.templates.append(f"{theme}.{part}.{i}")
        return self.fill(bank[i])

    def generic(self, name: str, bank: tuple[str, ...]) -> str:
        i = self.rng.randrange(len(bank))
        self.out.templates.append(f"generic.{name}.{i}")
        return self.fill(bank[i])

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def mention(self, theme: str, depth: str) -> list[str]:
        """Sentences about one theme; depth is 'short', 'medium' or 'long'."""
        if depth == "short":
            return [self.pick(theme, "short")]
        sentences = [self.pick(theme, "core")]
        if depth == "medium":
            if self.chance(0.35):
                sentences.append(self.pick(theme, "detail"))
            return sentences
        for _ in range(self.rng.choice((0, 1, 1, 2))):
            s = self.pick(theme, "detail")
            if s not in sentences:
                sentences.append(s)
        if self.chance(0.55):
            sentences.append(self.pick(theme, "consequence"))
        if self.chance(0.5):
            sentences.append(self.pick(theme, "ask"))
        return sentences

    def linked(self, first: str, second: str, depth: str) -> list[str]:
        """Sentences about `second`, the first one joined on with a link word."""
        pols = {THEME_BY_KEY[first].polarity, THEME_BY_KEY[second].polarity}
        if "neutral" in pols and len(pols) > 1:
            name, bank = "link_aside", generic.LINK_ASIDE
        elif pols == {"negative", "positive"}:
            name, bank = "link_flip", generic.LINK_FLIP
        else:
            name, bank = "link_same", generic.LINK_SAME
        sentences = self.mention(second, depth)
        link = self.generic(name, bank)
        sentences[0] = link + lower_first(sentences[0])
        return sentences


# --- register changes --------------------------------------------------------


def add_typos(rng: random.Random, text: str, max_typos: int = 2) -> str:
    """Swap in common misspellings, or swap two letters of a word."""
    words = text.split(" ")
    spots = [i for i, w in enumerate(words) if w.lower().strip(".,!?") in generic.TYPOS]
    rng.shuffle(spots)
    for i in spots[:max_typos]:
        core = words[i].strip(".,!?")
        words[i] = words[i].replace(core, generic.TYPOS[core.lower()])
    if not spots or rng.random() < 0.3:
        long_words = [i for i, w in enumerate(words) if len(w) > 5 and w.isalpha()]
        if long_words:
            i = rng.choice(long_words)
            w = words[i]
            j = rng.randrange(1, len(w) - 2)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def casualise(w: Writer, text: str, emoji: bool) -> str:
    """Lowercase, typos, dropped final stop, shouting and emojis, each now and then."""
    rng = w.rng
    if w.chance(0.18):
        text = text.lower()
    if w.chance(0.14):
        text = add_typos(rng, text)
    if w.chance(0.25):
        text = text.rstrip(".")
    if w.item.polarity == "negative" and w.chance(0.08):
        text = text.rstrip(".!") + rng.choice(("!!", "!!!", "!", "?!"))
    if emoji and w.chance(0.35):
        bank = generic.EMOJIS[w.item.polarity]
        text = (
            text
            + rng.choice((" ", "", "  "))
            + "".join(rng.choice(bank) for _ in range(rng.choice((1, 1, 2, 3))))
        )
    return text


# --- tickets -------------------------------------------------------------------


def _pii_sentence(w: Writer) -> str:
    rng, contact = w.rng, w.item.contact
    email = contact.email if contact else "someone@example.com"
    kind = rng.choice(("phone", "email", "card", "iban", "ip", "phone_email", "card"))
    w.out.pii.append(kind)
    match kind:
        case "phone":
            return rng.choice(
                ("You can reach me on {p}.", "Call me back at {p} please.", "My number is {p}.")
            ).format(p=phone(rng))
        case "email":
            return rng.choice(
                (
                    "Please reply to {e}, not this address.",
                    "My login email is {e}.",
                    "The account is under {e}.",
                )
            ).format(e=email)
        case "card":
            card = luhn_card(rng)
            return rng.choice(
                ("The card that was charged is {c}.", "Card number {c}, exp 0{m}/2{y}.", "it was my card {c}")
            ).format(c=card, m=rng.randrange(1, 10), y=rng.randrange(7, 10))
        case "iban":
            return rng.choice(
                ("Please refund to IBAN {i}.", "My bank details: {i}.", "Account (IBAN): {i}")
            ).format(i=iban(rng))
        case "ip":
            return rng.choice(
                ("Our office IP is {a} if that helps with the logs.", "I'm connecting from {a}.")
            ).format(a=ip_address(rng))
        case _:
            return f"Call me at {phone(rng)} or email {email}."


def _signature(w: Writer) -> str:
    c, a = w.item.contact, w.item.account
    if c is None:
        return ""
    lines = [w.rng.choice((f"{c.first} {c.last}", c.first, f"{c.first[0]}. {c.last}"))]
    if a and a.company:
        if c.title and w.chance(0.6):
            lines.append(c.title)
        lines.append(a.company)
        if w.chance(0.7):
            lines.append(c.phone)
        if w.chance(0.3):
            lines.append(c.email)
    elif w.chance(0.2):
        lines.append(c.phone)
    if w.chance(0.12):
        lines.append(
            w.rng.choice(("Sent from my iPhone", "Sent from Outlook for Android", "Get Outlook for iOS"))
        )
    return "\n".join(lines)


_FOREIGN_SUBJECTS = {
    "fr": ("Problème avec ma commande", "Réclamation", "Aide svp"),
    "de": ("Problem mit meiner Bestellung", "Reklamation", "Bitte um Hilfe"),
    "es": ("Problema con mi pedido", "Reclamación", "Ayuda por favor"),
}
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MON = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _quoted_reply(w: Writer) -> str:
    rng = w.rng
    when: datetime = w.item.created - timedelta(hours=rng.randrange(3, 24 * 9), minutes=rng.randrange(60))
    reply = w.generic("support_reply", generic.SUPPORT_REPLIES)
    signoff = w.generic("support_signoff", generic.SUPPORT_SIGNOFFS)
    body = "\n".join(f"> {line}" if line else ">" for line in f"{reply}\n\n{signoff}".split("\n"))
    if rng.random() < 0.7:
        header = (
            f"On {_DAYS[when.weekday()]}, {when.day} {_MON[when.month - 1]} {when.year} at "
            f"{when:%H:%M}, Northwind Support <support@northwind.example> wrote:"
        )
        return f"{header}\n{body}"
    to = w.item.contact.email if w.item.contact else "customer@example.com"
    return (
        f"-----Original Message-----\nFrom: Northwind Support <support@northwind.example>\n"
        f"Sent: {when:%A}, {when.day} {when:%B %Y %H:%M}\nTo: {to}\nSubject: Re: your request\n\n"
        f"{reply}\n\n{signoff}"
    )


def _html(w: Writer, paragraphs: list[str]) -> str:
    rng = w.rng

    def esc(p: str) -> str:
        p = p.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if rng.random() < 0.4:
            p = p.replace("'", "&#39;")
        return p.replace("\n", "<br>")

    if rng.random() < 0.7:
        return "".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    return "<div>" + "<br><br>".join(esc(p) for p in paragraphs) + "</div><div>&nbsp;</div>"


def _chat(w: Writer, sentences: list[str]) -> str:
    rng, c = w.rng, w.item.contact
    name = f"{c.first} {c.last}" if c else "Visitor"
    agent = w.slots["agent"]
    t = w.item.created
    lines = [
        w.rng.choice(
            (
                f"Chat started: {t:%Y-%m-%d %I:%M %p} UTC",
                f"Conversation with {name}",
                f"Chat transcript ({t:%d %b %Y})",
                f"Chat started on {t:%b %d, %Y} at {t:%H:%M} UTC",
                f"Chat with {name} - {t:%Y-%m-%d}",
            )
        ),
        "",
    ]

    def say(who: str, text: str) -> None:
        nonlocal t
        t += timedelta(seconds=rng.randrange(15, 160))
        lines.append(f"({t:%I:%M:%S %p}) {who}: {text}")

    say(name, rng.choice(("hi", "hello", "Hi there", "hey", "Hello, I need help")))
    w.slots["first"] = c.first if c else "there"
    say(agent, w.generic("chat_welcome", generic.CHAT_WELCOMES))
    for i, s in enumerate(sentences):
        say(name, s.lower() if rng.random() < 0.3 else s)
        if i < len(sentences) - 1 and rng.random() < 0.5:
            say(agent, w.generic("chat_agent", generic.CHAT_AGENT_LINES))
            if rng.random() < 0.4:
                say(name, w.generic("chat_filler", generic.CHAT_CUSTOMER_FILLERS))
    say(agent, w.generic("chat_agent", generic.CHAT_AGENT_LINES))
    return "\n".join(lines)


def write_ticket(rng: random.Random, item: PlannedItem) -> Written:
    """Subject and description of a Zendesk ticket, with its channel."""
    w = Writer(rng, item)
    first = item.themes[0]
    segment = item.account.segment if item.account else "consumer"
    formal = w.chance(0.75 if segment in ("enterprise", "mid-market") else 0.35)
    channel = rng.choices(("email", "web", "chat"), weights=(0.55, 0.3, 0.15))[0]
    w.out.channel = channel

    if item.language != "en":
        w.out.title = rng.choice(_FOREIGN_SUBJECTS[item.language])
        w.out.text = write_foreign(w)
        return w.out

    # The body: the themes, then what it caused and what they want.
    one_liner = not formal and w.chance(0.12)
    depth = "medium" if one_liner else rng.choice(("medium", "long", "long"))
    body = w.mention(first, "short" if one_liner else depth)
    if len(item.themes) > 1:
        body += w.linked(first, item.themes[1], "short" if one_liner else "medium")
    if one_liner:
        text = " ".join(body)
        if w.chance(0.5):
            text += " " + lower_first(w.pick(first, "ask"))
        text = casualise(w, text, emoji=False)
        w.out.text = text.lower() if w.chance(0.5) else upper_first(text)
        w.out.title = _subject(w, first, formal)
        return w.out

    if channel == "chat":
        sentences = body
        if w.chance(0.2):
            sentences.append(_pii_sentence(w))
        w.out.text = _chat(w, sentences)
        name = f"{item.contact.first} {item.contact.last}" if item.contact else "Visitor"
        w.out.title = f"Chat with {name}" if w.chance(0.6) else _subject(w, first, formal)
        return w.out

    paragraphs: list[str] = []
    if w.chance(0.8 if formal else 0.5):
        paragraphs.append(w.generic("greeting", generic.GREETINGS))
    intro = [w.generic("intro", generic.INTROS)] if w.chance(0.3) else []
    split = len(body) > 3 and w.chance(0.6)
    cut = rng.randrange(2, len(body)) if split else len(body)
    paragraphs.append(" ".join(intro + body[:cut]))
    if body[cut:]:
        paragraphs.append(" ".join(body[cut:]))
    if segment in ("enterprise", "mid-market") and item.polarity == "negative" and w.chance(0.2):
        paragraphs.append(_escalation(w))
    if w.chance(0.18):
        paragraphs.append(_pii_sentence(w))
    if not formal:
        paragraphs = [casualise(w, p, emoji=False) for p in paragraphs]
    closing = []
    if w.chance(0.75 if formal else 0.45):
        closing.append(w.generic("closer", generic.CLOSERS))
    if w.chance(0.55 if formal else 0.2):
        closing.append(_signature(w))
    if closing:
        paragraphs.append("\n".join(c for c in closing if c))
    if channel == "email" and w.chance(0.3):
        paragraphs.append(_quoted_reply(w))
    if channel != "chat" and w.chance(0.28):
        w.out.text = _html(w, paragraphs)
    else:
        w.out.text = "\n\n".join(paragraphs)
    w.out.title = _subject(w, first, formal)
    return w.out


def _escalation(w: Writer) -> str:
    """A business customer's history of the case: what makes long tickets long."""
    picks = w.rng.sample(range(len(generic.ESCALATION)), k=w.rng.choice((2, 3, 3, 4)))
    w.out.templates += [f"generic.escalation.{i}" for i in picks]
    return " ".join(w.fill(generic.ESCALATION[i]) for i in sorted(picks))


def _subject(w: Writer, theme: str, formal: bool) -> str:
    s = w.pick(theme, "subject")
    r = w.rng.random()
    if r < 0.1:
        s = "Re: " + s
    elif r < 0.13:
        s = "Fwd: " + s
    elif r < 0.2 and w.item.account and w.item.account.segment == "enterprise":
        s = w.rng.choice(("URGENT: ", "Urgent - ", "[Priority] ")) + s
    if not formal and w.chance(0.2):
        s = s.lower()
    return s


# --- reviews and surveys -------------------------------------------------------


def write_foreign(w: Writer) -> str:
    lang, theme = w.item.language, w.item.themes[0]
    bank = generic.FOREIGN[lang][theme]
    picks = w.rng.sample(range(len(bank)), k=min(len(bank), w.rng.choice((1, 1, 2))))
    w.out.templates += [f"foreign.{lang}.{theme}.{i}" for i in picks]
    text = " ".join(w.fill(bank[i]) for i in picks)
    closer = w.rng.choice(generic.FOREIGN_CLOSERS[lang])
    return f"{text} {closer}".strip()


def _opinion(w: Writer, length: str) -> str:
    """Review or survey text about the item's themes at a given length."""
    item = w.item
    first = item.themes[0]
    second = item.themes[1] if len(item.themes) > 1 else None
    if length == "tiny":
        parts = [w.pick(first, "short")]
        if w.chance(0.3):
            parts[0] = w.generic("intensifier", generic.INTENSIFIERS) + parts[0]
        if second:
            flip = {THEME_BY_KEY[first].polarity, THEME_BY_KEY[second].polarity} == {"negative", "positive"}
            joiners = (
                (" but ", ", but ", ". but ", " - but ") if flip else (", ", " and ", ". ", " & ", " + ")
            )
            parts.append(w.rng.choice(joiners) + w.pick(second, "short"))
        elif w.chance(0.45):
            extra = w.pick(first, "short")
            if extra != parts[0]:
                parts.append(w.rng.choice((", ", ". ", " and ", " - ", "... ")) + extra)
        if w.chance(0.5):
            parts.append(
                w.rng.choice((", ", ". ", " - ", "! ")) + w.generic("tail", generic.TAILS[item.polarity])
            )
        text = "".join(parts)
        return upper_first(text) if w.chance(0.55) else text
    sentences: list[str] = []
    if w.chance(0.3):
        sentences.append(w.generic("opener", generic.REVIEW_OPENERS[item.polarity]))
    sentences += w.mention(first, "long" if length == "long" else "medium")
    if second:
        sentences += w.linked(
            first, second, "medium" if length == "long" else w.rng.choice(("medium", "short"))
        )
    if len(sentences) == 1 and w.chance(0.6):  # a bare core sentence would repeat across items
        sentences.append(upper_first(w.generic("tail", generic.TAILS[item.polarity])))
    if length == "long" and w.chance(0.5):
        extra = w.pick(first, "consequence")
        if extra not in sentences:
            sentences.append(extra)
    # Fragments become sentences; openers ending in ':' lead into the next one.
    out = []
    for i, s in enumerate(sentences):
        if i == 0 or out[-1][-1:] in ".!?":
            s = upper_first(s)
        out.append(s if s[-1:] in ".!?:" else s + ".")
    return " ".join(out)


def write_review(rng: random.Random, item: PlannedItem) -> Written:
    """Title (App Store; rarely on Google Play) and text of an app review."""
    w = Writer(rng, item)
    first = item.themes[0]
    if item.language != "en":
        w.out.text = write_foreign(w)
        w.out.title = (
            rng.choice(("Bof", "Super", "Nein", "Genial", "Top", "Mal", "")) if item.file == APP_STORE else ""
        )
        return w.out
    length = rng.choices(("tiny", "medium", "long"), weights=(0.25, 0.58, 0.17))[0]
    w.out.text = casualise(w, _opinion(w, length), emoji=True)
    if item.file == APP_STORE or (item.file == GOOGLE_PLAY and w.chance(0.05)):
        title = w.pick(first, "title")
        if w.chance(0.12):
            title = title.lower()
        if w.chance(0.1):
            title += " " + rng.choice(generic.EMOJIS[item.polarity])
        w.out.title = title
    return w.out


def write_survey(rng: random.Random, item: PlannedItem) -> Written:
    """Free-text answer of an NPS (Qualtrics) or CSAT (Typeform) survey."""
    w = Writer(rng, item)
    if item.language != "en":
        w.out.text = write_foreign(w)
        return w.out
    weights = (0.45, 0.42, 0.13) if item.file == QUALTRICS else (0.4, 0.45, 0.15)
    length = rng.choices(("tiny", "medium", "long"), weights=weights)[0]
    w.out.text = casualise(w, _opinion(w, length), emoji=False)
    return w.out


def word_count(text: str) -> int:
    return len(_SHORT_WORDS.findall(text))
