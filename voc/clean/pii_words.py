"""PII written in words: street addresses and person names that a cue introduces.

Both are found by shape, without a model, so they can run on every record at
ingest speed:

- A street address is a house number next to a street name that ends in (or
  starts with) a street-type word: "42 Baker Street", "Flat 20 Rhys Trail",
  "Bährstr. 6-7", "Kerkstraat 12", "24, rue de la Paix", "Calle Mayor 5",
  "Via Roma 10, 00184". The English street types are the USPS Publication 28
  suffixes plus British ones; the continental ones are each language's
  common street words. A following city, state and postcode ("London",
  "Springfield, IL 62704", "40613 Oschatz", "N4 9PD") is taken with it.
- A person name is redacted where the text says it is one: after an
  honorific ("Mr Smith", "Frau Müller"), a self-introduction ("my name is
  Jo Smith"), a mention of staff ("I spoke to Anna", "agent Mike") or as a
  sign-off at the end ("Regards,\\nJohn Smith"). Names without such a cue
  need the spaCy NER pass (`clean.redact_names`), which costs far more than
  the ingest budget allows by default (see README, bench/bench_pii.py).
"""

from __future__ import annotations

import re
from collections import Counter

# -- street addresses -------------------------------------------------------------

_CAP = r"[A-ZÀ-ÖØ-Þ][\wÀ-ÿ'’.-]*"
# A capitalised word without a trailing full stop (a city that ends the sentence).
_CAPW = r"[A-ZÀ-ÖØ-Þ][\wÀ-ÿ'’-]*"
_PARTICLE = r"(?:de|del|della|delle|dei|degli|di|da|do|dos|das|du|des|la|le|les|los|las|van|der|den|von|y|e)"
_EN_TYPES = (
    "Street|St|Road|Rd|Avenue|Ave|Av|Lane|Ln|Drive|Dr|Court|Ct|Boulevard|Blvd|Way|Place|Pl|Square|Sq|"
    "Terrace|Ter|Close|Crescent|Cres|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Trail|Trl|Path|Row|Hill|Hills|"
    "Grove|Gardens|Gdns|Garden|Park|Mews|Walk|Green|Rise|View|Vale|Wharf|Quay|Gate|Parade|Pike|Plaza|"
    "Loop|Run|Crossing|Xing|Ridge|Heights|Harbor|Harbour|Landing|Meadow|Meadows|Mill|Mills|Point|Port|"
    "Ranch|Summit|Station|Estate|Estates|Village|Vista|Junction|Center|Centre|Creek|Crest|Field|Fields|"
    "Ford|Forest|Fork|Forks|Falls|Island|Isle|Knoll|Knolls|Lake|Lakes|Manor|Mount|Mountain|Orchard|"
    "Oval|Pass|Pines|Plains|River|Shore|Shores|Spring|Springs|Stream|Track|Trace|Tunnel|Turnpike|"
    "Underpass|Union|Unions|Valley|Well|Wells|Bypass|Causeway|Cove|Coves|Dale|Dam|Divide|Expressway|"
    "Freeway|Glen|Glens|Haven|Hollow|Inlet|Key|Keys|Light|Lights|Lock|Locks|Lodge|Mall|Motorway|Neck|"
    "Overpass|Prairie|Radial|Ramp|Rapid|Rapids|Rest|Route|Skyway|Spur|Stravenue|Throughway|Trafficway|"
    "Viaduct|Ville|Flat|Flats|Brook|Brooks|Burg|Burgs|Bridge|Camp|Canyon|Cape|Cliff|Cliffs|Club|Common|"
    "Commons|Corner|Corners|Course|Courts|Curve|Extension|Ferry|Harbors|Squares|Streets|Ways|Drives|"
    "Roads|Lanes|Groves|Heights|Hills|Islands|Junctions|Loaf|Manors|Meadows|Mission|Motorway|Orchard|"
    "Plain|Points|Ports|Ridges|Shoal|Shoals|Stravenue|Views|Villages|Vistas|Walks|Alley|Anex|Arcade|"
    "Bayou|Beach|Bend|Bluff|Bluffs|Bottom|Branch|Byway|Crossroad|Drive|Fall|Fort|Gateway|Grange|Hollow|"
    "Lodge|Mount|Mountains|Pine|Pass|Passage|Ranch|Row|Rue|Terrace|Trail|Tunnel|Wynd|Embankment|Broadway|"
    "Wall|Via"
)
_UNIT = r"(?:Flat|Studio|Apt\.?|Apartment|Unit|Suite|Ste\.?|Floor|Fl\.?|Room|Rm\.?)\s*#?\s*\d{1,5}[A-Za-z]?"
_HOUSE = r"\d{1,5}[A-Za-z]?(?:\s?[-/]\s?\d{1,5}[A-Za-z]?)?"
# English order: number name... type [unit] ("21 Marian River Apt. 3"); a unit
# before the number ("Flat 2, 21 ...") is taken afterwards.
_EN_NUMBERED = rf"{_HOUSE},?\s+{_CAP}(?:\s+{_CAP}){{0,3}}\s+(?:{_EN_TYPES})s?\b\.?(?:,?\s+{_UNIT})?"
_EN_UNIT_ONLY = rf"{_UNIT},?\s+{_CAP}(?:\s+{_CAP}){{0,3}}\s+(?:{_EN_TYPES})\b\.?"
_UNIT_BEFORE = re.compile(rf"{_UNIT},?\s+$")
# German and Dutch: the street type is glued to the name ("Hauptstraße 5",
# "Bährstr. 6-7", "Kerkstraat 12a") or a word of its own ("Berliner Straße 5").
# A capitalised word followed by a house number is the candidate; its ending decides.
_GLUED = (
    "straße",
    "strasse",
    "str.",
    "weg",
    "allee",
    "platz",
    "gasse",
    "damm",
    "ufer",
    "chaussee",
    "steig",
    "pfad",
    "markt",
    "straat",
    "laan",
    "plein",
    "gracht",
    "dreef",
    "kade",
    "singel",
    "dijk",
    "hof",
    "park",
    "pad",
    "steeg",
    "baan",
    "veld",
    "gatan",
    "vägen",
    "gade",
    "vej",
    "torv",
    "boulevard",
    "plantsoen",
    "haven",
    "kanaal",
    "erf",
    "weide",
    "horst",
    "ring",
)
# No year for a house number ("Hauptstraße 12", not "Spring 2021").
_DE = rf"[A-ZÄÖÜÀ-Þ][\wäöüßÀ-ÿ'-]{{2,}}\.?\s+(?!(?:19|20)\d\d\b){_HOUSE}"
_DE_SPLIT = rf"(?:Straße|Strasse|Str\.|Weg|Allee|Platz|Gasse|Ring|Damm|Ufer)\s+{_HOUSE}"
_CAP_BEFORE = re.compile(rf"{_CAP}\s+$")


def _glued_street(word: str) -> bool:
    low = word.lower()
    for suffix in _GLUED:
        # At least three letters before the street word ("Spring 5" is not a
        # street); "-ring" after a consonant or hyphen only ("Peukertring", not
        # "Offering" or "During").
        if low.endswith(suffix) and len(low) - len(suffix) >= 3:
            return suffix != "ring" or low[-5] not in "aeiouy"
    return False


# French: number first, lower-case street type ("24, rue de la Paix", "6 bis avenue Foch").
_FR_TYPES = (
    "rue|avenue|av\\.|boulevard|bd|chemin|allée|impasse|place|route|quai|cours|square|passage|voie|"
    "rond-point|sentier|faubourg|chaussée|cité|villa|hameau|résidence|esplanade|promenade|parvis"
)
# Without a number only the street types that are not English words.
_FR = (
    rf"(?:\d{{1,4}}(?:\s?(?:bis|ter))?,?\s+(?i:{_FR_TYPES})|(?:rue|chemin|boulevard|allée|impasse|quai))\s+"
    rf"(?:(?:{_PARTICLE}|d'|l')\s*)*{_CAP}(?:\s+(?:{_PARTICLE}\s+|d'|l')*{_CAP}){{0,4}}"
)
# Spanish, Italian, Portuguese: type first, number last ("Calle de Juan Pérez 45",
# "Piazza Vezzali, 115 Appartamento 9", "Rua Augusta 12").
_SOUTH_TYPES = (
    "Calle|C/|C\\.|Avenida|Avda\\.?|Av\\.|Plaza|Pl\\.|Paseo|Camino|Cañada|Alameda|Rambla|Ronda|"
    "Travesía|Travesia|Carrera|Carretera|Callejón|Glorieta|Pasaje|Urbanización|Vía|Via|Viale|Piazza|"
    "Acceso|Arroyo|Bajada|Barranco|Barrio|Bulevar|Cuesta|Pasadizo|Plazuela|Polígono|Prolongación|"
    "Ramal|Rúa|Senda|Subida|Vereda|Vial|Camino|Particular|Partida|Paraje|Cañada|Ribera|"
    "Piazzale|Corso|Largo|Vicolo|Strada|Rotonda|Incrocio|Contrada|Borgo|Stretto|Canale|Lungomare|"
    "Lungotevere|Salita|Traversa|Rua|Travessa|Praça|Estrada|Passeig|Carrer|Plaça|Ruta"
)
_SOUTH_UNIT = r"(?:Piso|Puerta|Apt\.?|Apto\.?|Appartamento|Piano|Interno|Int\.|Scala|Esc\.|Bajo|Planta)\s*\d{1,4}[A-Za-z]?"
_SOUTH = (
    rf"(?:{_SOUTH_TYPES})\s+(?:(?:{_PARTICLE})\s+)*{_CAP}(?:\s+(?:(?:{_PARTICLE})\s+)*{_CAP}){{0,4}},?\s+"
    rf"(?:n\.?\s?º?\s?)?{_HOUSE}(?:,?\s+{_SOUTH_UNIT})?"
)
_FAMILIES = [re.compile(rf"(?<![\w/]){p}") for p in (_EN_NUMBERED, _EN_UNIT_ONLY, _DE_SPLIT, _FR, _SOUTH)]
_DE_RE = re.compile(rf"(?<![\w/]){_DE}")
# What may follow a street: city, region, postcode; taken with the street so the
# place does not stay behind. Tried one after another, each anchored at the end.
_TAIL = re.compile(
    r"(?:,|\s)\s*(?:"
    rf"{_CAPW}(?:[\s-]{_CAPW}){{0,3}},?\s+[A-Z]{{2}}\s+\d{{5}}(?:-\d{{4}})?"  # New Town, AZ 31609
    rf"|\d{{4}}\s?[A-Z]{{2}},?\s+{_CAPW}(?:[\s-]{_CAPW}){{0,2}}"  # 8313 MV, Helenaveen
    rf"|\d{{4,5}},?\s+{_CAPW}(?:[\s-](?:{_PARTICLE}[\s-])?{_CAPW}){{0,3}}(?:\s*\([A-Z]{{2}}\))?"  # 40613 Oschatz
    rf"|{_CAPW}(?:[\s-]{_CAPW}){{0,2}},\s*\d{{4,5}}"  # Valladolid, 17127
    r"|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b"  # N4 9PD
    r"|\d{4}\s?[A-Z]{2}\b"  # 8313 MV
    rf"|{_CAPW}(?:[\s-]{_CAPW}){{0,2}}(?=\s*(?:$|[.,;!?\n]))"  # London.
    r")"
)


# ", London and ...": a capitalised place after a comma, whatever follows it.
_CITY_AFTER_COMMA = re.compile(rf",\s*(?!(?:I|We|My|The|It|But|And|So|Then)\b){_CAPW}(?:[\s-]{_CAPW}){{0,2}}")


def _extend_tail(text: str, end: int) -> int:
    # Up to two tail pieces ("East Arthur\nN4 9PD", "Valladolid, 17127").
    for _ in range(2):
        m = _TAIL.match(text, end) or _CITY_AFTER_COMMA.match(text, end)
        if m is None:
            break
        end = m.end()
    return end


# Every family above has a house number next to a capitalised word or a French
# street word ("42 Baker", "Hauptstraße 5", "Vezzali, 115", "24, rue"). One scan
# whose first characters are digits or capitals rules out most texts with digits.
_GATE = re.compile(rf"[A-ZÀ-Þ][\wÀ-ÿ'.-]*,?\s+\d|\d[A-Za-z]?,?\s+(?:[A-ZÀ-Þ]|(?i:{_FR_TYPES})\b)")


def find_addresses(text: str) -> list[tuple[int, int]]:
    """Character spans of street addresses (with a following city/postcode), in order, may overlap."""
    spans: list[tuple[int, int]] = []
    if _GATE.search(text) is None:
        return spans
    for pattern in _FAMILIES:
        for m in pattern.finditer(text):
            start = m.start()
            # "Flat 2, 21 Marian River"; "Berliner Straße 5".
            before = (
                _UNIT_BEFORE.search(text, max(0, start - 24), start)
                if pattern is _FAMILIES[0]
                else _CAP_BEFORE.search(text, max(0, start - 40), start)
                if pattern is _FAMILIES[2]
                else None
            )
            if before is not None:
                start = before.start()
            spans.append((start, _extend_tail(text, m.end())))
    for m in _DE_RE.finditer(text):
        word = m.group().split()[0]
        if _glued_street(word):
            spans.append((m.start(), _extend_tail(text, m.end())))
    return sorted(spans)


# -- person names after a cue -----------------------------------------------------------

_NAME_WORD = r"[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+(?:[-'’][A-ZÀ-ÖØ-Þ]?[a-zà-öø-ÿ]+)*"
_NAME_PARTICLE = (
    r"(?:van der|van den|van de|van|von|de la|de los|del|della|de|di|da|du|le|la|dos|das|y|bin|al|el)"
)
_FULL_NAME = rf"{_NAME_WORD}(?:\s+(?:{_NAME_PARTICLE}\s+)?{_NAME_WORD}){{0,3}}"
_HONORIFIC = (
    r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Lady|Lord|Herr|Frau|Mme|Mlle|Monsieur|Madame|Sr|Sra|Srta|"
    r"Don|Doña|Sig|Sig\.ra|Signor|Signora|Dott|Dhr|Mevr|Mevrouw|Meneer)\.?"
)
# Not "this is" / "I'm" / "I am": too common to gate on, and they introduce far
# more adjectives than names ("I'm Happy").
# Each cue starts with a word of `_CUE_WORDS`, so the regex is only tried where
# such a word stands ("my name is" is matched from "name").
_INTRO = (
    r"(?i:name is|name's|name:|signed|spoke (?:to|with)|talked (?:to|with)|"
    r"speaking (?:to|with)|chatted with|agent|rep|representative|advisor|adviser|manager|supervisor|"
    r"driver|technician|courier|ask for|asked for|named|called|holder|cardholder|customer)"
)
_SIGNOFF = r"(?i:regards|kind regards|best regards|best wishes|thanks|thank you|many thanks|cheers|sincerely|best|yours)"
_NAME_AT_CUE = re.compile(rf"(?P<h>{_HONORIFIC}\s+{_FULL_NAME})|{_INTRO}[:,]?\s+(?P<i>{_FULL_NAME})")
# "Hi, John Smith here": a self-introduction at the start of a sentence.
_NAME_HERE = re.compile(
    rf"(?:^|[.!?]\s+|(?i:\b(?:hi|hello|hey|dear all))[,!]?\s+)(?P<b>{_FULL_NAME})\s+here\b"
)
# Sign-offs are searched in the last characters only ("Regards,\nJohn Smith", "- Jo").
_NAME_END = re.compile(
    rf"(?:(?<!\w){_SIGNOFF}[,!.]?\s*(?:\n\s*|-+\s*|—\s*)?|(?:^|\n)\s*(?:-+|—|–)\s*)(?P<s>{_FULL_NAME})\s*$"
)
_TAIL_CHARS = 80
# The words a cue starts with (also with trailing punctuation): a text with
# none of them skips the cue regex. A set lookup over `str.split()` costs ~1 us
# a tweet; the cue regex ~20 us.
_CUE_WORDS_TEXT = """
    name name's name: signed spoke talked speaking chatted agent rep representative advisor adviser
    manager supervisor driver technician courier ask asked named called holder cardholder customer mr
    mrs ms miss mx dr prof sir dame lady lord herr frau mme mlle monsieur madame sr sra srta don doña
    sig sig.ra signor signora dott dhr mevr mevrouw meneer here
"""
_CUE_WORDS = _CUE_WORDS_TEXT.split()
_CUE_TOKENS = frozenset(w + p for w in _CUE_WORDS for p in ("", ",", ".", ":", ";"))
_HERE_TOKENS = frozenset(t for t in _CUE_TOKENS if t.startswith("here"))
_SIGNOFF_HINT = re.compile(r"regards|thank|cheers|sincerely|best|yours|\n\s*[-—–]")

# Capitalised words that follow a cue without being a name ("I'm Happy", "This is
# Ridiculous", "agent Was rude"). Sentence-initial capitals after "this is" are rare;
# these are the ones seen in feedback.
_NOT_NAMES_TEXT = """
    a an the and or but so not no yes very really just still also only even here there this that these
    those it its it's i me my we our you your he she they them his her their is was are were be been
    being do did does done have has had will would can could should shall may might must about after
    again all always am any as at back because before being below between both by down during each few
    for from further how if in into more most never now of off on once other out over own same some such
    than then through to too under until up what when where which while who whom why with happy sad
    sorry glad sure ok okay thanks thank please hello hi hey dear good great bad terrible awful amazing
    excellent customer service support team delivery order account app company store shop manager agent
    staff ridiculous unacceptable disappointed frustrated angry upset done going trying waiting calling
    writing new old first last next today tomorrow yesterday monday tuesday wednesday thursday friday
    saturday sunday january february march april may june july august september october november
    december none nobody everyone someone anyone everything nothing something anything unable able late
    early
"""
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())


def _cue_matches(text: str):
    lower = text.lower()
    words = set(lower.split())
    if not _CUE_TOKENS.isdisjoint(words):
        cues = _CUE_TOKENS.intersection(words)
        # The cue regex is tried only where a cue word of this text stands
        # (str.find, C speed), not at every position.
        seen: set[int] = set()
        for cue in {c.rstrip(",.:;") for c in cues}:
            pos = lower.find(cue)
            while pos >= 0:
                if pos not in seen and (pos == 0 or not (lower[pos - 1].isalnum() or lower[pos - 1] == ".")):
                    seen.add(pos)
                    m = _NAME_AT_CUE.match(text, pos)
                    if m is not None:
                        yield m, "h" if m.group("h") is not None else "i"
                pos = lower.find(cue, pos + 1)
        if cues & _HERE_TOKENS:
            for m in _NAME_HERE.finditer(text):
                yield m, "b"
    if _SIGNOFF_HINT.search(lower, max(0, len(lower) - _TAIL_CHARS)):
        m = _NAME_END.search(text, max(0, len(text) - _TAIL_CHARS))
        if m is not None:
            yield m, "s"


def find_cued_names(text: str) -> list[tuple[int, int]]:
    """Spans of person names that a cue introduces (honorific, introduction, staff, sign-off)."""
    spans: list[tuple[int, int]] = []
    for m, group in _cue_matches(text):
        start, end = m.span(group)
        words = text[start:end].split()
        # Drop leading words that are not names ("this is So annoying").
        while words and words[0].lower() in _NOT_NAMES:
            start += text[start:end].index(words[0]) + len(words[0])
            while start < end and text[start].isspace():
                start += 1
            words = words[1:]
        if not words or (group != "h" and len(words) == 1 and words[0].lower() in _NOT_NAMES):
            continue
        spans.append((start, end))
    return spans


def replace_spans(text: str, spans: list[tuple[int, int]], placeholder: str, counts: Counter) -> str:
    """Replace non-overlapping spans (merged when they touch) with `placeholder`."""
    if not spans:
        return text
    spans = sorted(spans)
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    parts: list[str] = []
    last = 0
    for s, e in merged:
        parts.append(text[last:s])
        parts.append(placeholder)
        last = e
        counts[placeholder.strip("[]")] += 1
    parts.append(text[last:])
    return "".join(parts)
