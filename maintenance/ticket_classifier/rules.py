"""The rules of a ticket: the taxonomy (categories and the department each is routed to),
the keyword classifier (the fallback when no model can be loaded), and the priority,
impact and SLA rules.

The priority rules (``assess_priority``: danger to people or damage in progress, with
negation) are the floor under the model's learned urgency: ``decide_priority`` lets them
raise a ticket to urgent, never lower one. Pure Python: importing this costs nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CATEGORIES = ["Plumbing", "Electrical", "HVAC", "Carpentry", "Cleaning", "IT", "Security", "Other"]

DEPARTMENT_BY_CATEGORY = {
    "Plumbing": "Facilities",
    "Electrical": "Facilities",
    "HVAC": "Facilities",
    "Carpentry": "Facilities",
    "Cleaning": "Custodial",
    "IT": "IT Support",
    "Security": "Security",
    "Other": "General",
}

URGENCY_LABELS = ["standard", "urgent"]   # the priorities, in the order of the model's urgency head


@dataclass
class Classification:
    category: str
    confidence: float  # in [0, 1]
    method: str  # "model" or "keywords"
    # The model's urgency ("urgent"/"standard") and P(urgent); None when the classifier has
    # no urgency head (keywords, a stock checkpoint): the rules alone decide then.
    urgency: str | None = None
    urgency_score: float | None = None


# ---------------------------------------------------------------------------
# Keyword fallback
# ---------------------------------------------------------------------------
# (pattern, weight). Multi-word and unambiguous terms weigh more.
_KEYWORDS: dict[str, list[tuple[str, float]]] = {
    "Plumbing": [(r"toilets?", 2), (r"sinks?", 1.5), (r"leak(s|ing|y)?", 1.5), (r"pipes?", 1.5), (r"drains?", 1.5),
                 (r"clog(ged)?", 2), (r"faucets?|taps?", 1.5), (r"showers?", 1), (r"urinals?", 2),
                 (r"(hot|cold) water", 2), (r"water pressure", 2), (r"overflow(ing|ed)?", 1.5), (r"flush(es|ing)?", 1.5),
                 (r"plumb(ing|er)", 3), (r"sewage|sewer", 2), (r"(water )?fountain", 1), (r"dripping", 1)],
    "Electrical": [(r"lights?|lighting", 1.5), (r"bulbs?", 2), (r"outlets?|sockets?", 2.5), (r"breakers?", 2.5),
                   (r"power (is )?(out|outage)|no power|lost power|power outage", 2.5), (r"flicker(s|ing)?", 1.5),
                   (r"wir(es|ing)", 2), (r"spark(s|ing|ed)?", 2), (r"switch(es)?", 1.5), (r"electric(al|ity)?", 2.5),
                   (r"fuse", 2), (r"light fixture", 2)],
    "HVAC": [(r"heat(ing|er)?", 2), (r"a/?c\b|air ?con(ditioning)?", 2.5), (r"thermostat", 3), (r"radiators?", 3),
             (r"vents?|ventilation", 2), (r"hvac", 3), (r"(too )?(hot|cold)|freezing|stuffy", 1), (r"furnace|boiler", 3),
             (r"temperature", 1.5), (r"humid(ity)?", 1.5), (r"air ?flow|fume hood", 2), (r"exhaust fan", 2)],
    "Carpentry": [(r"doors?", 1), (r"hinges?", 2.5), (r"drawers?", 2), (r"shel(f|ves)", 2), (r"cabinets?", 2),
                  (r"desks?|tables?|chairs?", 1), (r"window frame|sill", 2), (r"handrail|railing", 2.5),
                  (r"floorboards?|boards?|planks?", 2), (r"wood(en)?", 2), (r"bed frame|bunk|wardrobe|closet", 2),
                  (r"drywall|ceiling tile", 2), (r"wobbly|loose|broken", 0.5)],
    "Cleaning": [(r"trash|garbage|rubbish", 2.5), (r"spill(ed|s)?", 2), (r"dirty|filthy|gross|grime", 2),
                 (r"vomit|threw up|puke", 3), (r"clean(ing|ed)?", 2), (r"mop|vacuum|sweep", 2.5), (r"stains?", 2),
                 (r"toilet paper|paper towels?|soap", 2), (r"smell(s|y)?|odou?r", 1), (r"sticky", 2), (r"graffiti", 2.5),
                 (r"recycling", 2), (r"mess(y)?", 2), (r"dust(y)?", 1.5)],
    "IT": [(r"projectors?", 3), (r"wi-?fi|wireless|internet|network", 3), (r"printers?", 3), (r"log ?in|password", 3),
           (r"computers?|pcs?|laptops?", 2.5), (r"monitors?|screen|display", 2), (r"hdmi|usb-?c?|ethernet", 3),
           (r"email|outlook|canvas|portal|vpn|software|account", 2.5), (r"speakers?|microphone|mic|audio", 2),
           (r"zoom|teams|smartboard|webcam|camera", 1.5), (r"eduroam", 3)],
    "Security": [(r"stolen|theft|steal|stole", 3), (r"break-?in|broken into|broke in", 3), (r"intruder", 3),
                 (r"suspicious", 3), (r"card reader|key ?card|id card|fob|access", 2.5), (r"locked out", 3),
                 (r"lock(s|ed)?", 1.5), (r"alarm", 2), (r"security|guard", 2.5), (r"propped open|propping", 2.5),
                 (r"harass(ing|ment)?|following|threat(ening)?", 2.5), (r"cctv|surveillance", 3), (r"vandali[sz]ed", 2.5)],
    "Other": [(r"elevator|escalator|lift", 3), (r"mice|mouse|rats?|cockroach(es)?|ants|bed ?bugs|wasps?|bees|pests?", 3),
              (r"pothole|sidewalk|snow|ice|icy|salt", 2.5), (r"trees?|branch(es)?|grass|lawn|weeds", 2.5),
              (r"vending machine|washing machines?|dryer|microwave|fridge|oven|toaster", 2.5),
              (r"lost and found|parking|shuttle", 2.5)],
}
_COMPILED = {c: [(re.compile(rf"\b(?:{p})\b", re.I), w) for p, w in rules] for c, rules in _KEYWORDS.items()}


class KeywordClassifier:
    """Rule-based fallback used when no model checkpoint can be loaded.

    Confidence is the winning category's share of the matched keyword weight,
    scaled into [0.3, 0.9] (keyword matches never justify near-certainty);
    with no match at all the ticket is "Other" with confidence 0.2.
    """

    method = "keywords"

    def classify(self, texts: list[str]) -> list[Classification]:
        return [self._classify_one(t) for t in texts]

    def _classify_one(self, text: str) -> Classification:
        scores = {c: sum(w * len(p.findall(text or "")) for p, w in rules) for c, rules in _COMPILED.items()}
        total = sum(scores.values())
        if total == 0:
            return Classification("Other", 0.2, self.method)
        best = max(CATEGORIES, key=lambda c: scores[c])  # ties: earlier category in CATEGORIES
        share = scores[best] / total
        return Classification(best, round(0.3 + 0.6 * share, 3), self.method)

    def embed(self, texts: list[str]) -> None:
        """No embeddings without a model: returns None so callers skip duplicate detection."""
        return None


# ---------------------------------------------------------------------------
# Priority, impact, SLA
# ---------------------------------------------------------------------------
# Danger to people. Used for both priority (urgent) and impact ("safety").
_DANGER = [
    r"fire(?!\s*(?:extinguisher|door|exit|drill|escape|hydrant|marshal|alarm))", r"on fire", r"flames?",
    r"smoke(?!\s*(?:detector|alarm))", r"smoking(?!\s*(?:area|shelter|ban|sign|room|policy))", r"smoky", r"burning( smell)?", r"smell(?:s|ing)? (?:of|like) burning",
    r"burnt smell", r"sparks?", r"sparking", r"sparked", r"exposed wir(?:es|ing)", r"wires? (?:are |is )?exposed",
    r"(?:electric(?:al)? )?shock(?:ed)?", r"gas (?:leak|smell|odou?r)", r"smell(?:s|ing)?(?: of| like)? gas",
    r"gas is leaking", r"leaking gas", r"carbon monoxide", r"injur(?:y|ies|ed)", r"hurt", r"bleeding", r"unconscious", r"break-?in", r"broken into",
    r"broke in(?:to)?", r"breaking in", r"intruders?", r"weapon", r"gun", r"knife",
    r"alarm (?:is )?(?:going off|sounding|ringing|went off)", r"alarm went off", r"trapped",
    r"stuck in (?:the |an )?elevator",
]
# Damage in progress (urgent, but not necessarily a danger to people).
_DAMAGE = [
    r"flood(?:s|ing|ed)?", r"burst(?: pipe)?", r"pipe (?:has )?burst", r"water (?:is )?(?:pouring|gushing|spraying)",
    r"spraying", r"sewage (?:backup|backing up)", r"ceiling (?:is )?(?:collapsing|caving|collapsed)",
]
# A bag or package nobody claims: the security protocol treats it as urgent until cleared.
_DANGER.append(r"(?:unattended|suspicious|abandoned|unclaimed) (?:bag|backpack|rucksack|package|parcel|suitcase)s?"
               r"|(?:bag|backpack|rucksack|package|parcel|suitcase)s? (?:has been |have been |was |were )?"
               r"(?:left )?unattended")
_DANGER_RE = re.compile(r"\b(?:" + "|".join(_DANGER) + r")\b", re.I)
_DAMAGE_RE = re.compile(r"\b(?:" + "|".join(_DAMAGE) + r")\b", re.I)

_NEGATORS = {"no", "not", "without", "never", "isn't", "isnt", "wasn't", "wasnt", "aren't", "arent", "don't",
             "dont", "doesn't", "doesnt", "didn't", "didnt", "nobody", "none", "nothing", "neither", "nor",
             "hasn't", "hasnt", "haven't", "havent", "n't",
             # hedges: "almost got hurt" reports a near miss, not an injury in progress
             "almost", "nearly"}
_NEGATION_WINDOW = 3  # words between the negator and the danger word
# Clause boundaries end the scope of a negation: punctuation and contrastive words.
_CLAUSE_SPLIT = re.compile(r"[.,;:!?\n]+|\b(?:but|however|although|though|and then|yet)\b", re.I)
_WORD = re.compile(r"[a-z']+")


def _affirmed(pattern: re.Pattern, text: str) -> bool:
    """True if ``pattern`` matches somewhere not negated within its clause.

    "no smoke, just a rattle", "there is no fire but the heater rattles" and
    "not sparking" are negated; "smoke, no fire" still affirms smoke.
    """
    for clause in _CLAUSE_SPLIT.split(text or ""):
        for m in pattern.finditer(clause):
            before = _WORD.findall(clause[: m.start()].lower().replace("’", "'"))
            window = before[-(_NEGATION_WINDOW + 1):]
            if not any(w in _NEGATORS or w.endswith("n't") for w in window):
                return True
    return False


def assess_priority(text: str) -> str:
    """"urgent" for danger to people or damage in progress, else "standard"."""
    if _affirmed(_DANGER_RE, text) or _affirmed(_DAMAGE_RE, text):
        return "urgent"
    return "standard"


_BUILDING_RE = re.compile(
    r"\b(?:entire|whole) (?:building|dorm|hall|residence|library|campus)\b|\bcampus[- ]wide\b|\bbuilding[- ]wide\b"
    r"|\ball (?:the )?floors\b|\bevery floor\b|\b(?:whole|entire) (?:\w+ )?(?:building|dorm)\b", re.I)
_ROOM_WORDS = r"(?:restroom|bathroom|toilets?|office|room|kitchen(?:ette)?|lab|lounge|classroom|closet|suite|shower)"
_FLOOR_RE = re.compile(
    r"\b(?:whole|entire) floor\b|\ball (?:the )?rooms on\b|\bhall ?ways?\b|\bcorridors?\b|\bstairwells?\b"
    r"|\b(?:\d+(?:st|nd|rd|th)|first|second|third|fourth|fifth|ground|top) floor\b(?!\s+" + _ROOM_WORDS + r"\b)",
    re.I)


def assess_impact(text: str) -> str:
    """One of "safety", "building", "floor", "room".

    safety: an affirmed danger to people (fire, sparks, gas, injury, intruder...).
    building: whole-building wording ("entire building", "whole dorm", "campus-wide", "all floors").
    floor: "whole floor", hallway/corridor/stairwell, or "3rd floor" when it is not just
    naming where a single room is ("3rd floor bathroom" stays "room").
    room: everything else.
    """
    if _affirmed(_DANGER_RE, text):
        return "safety"
    if _BUILDING_RE.search(text or ""):
        return "building"
    if _FLOOR_RE.search(text or ""):
        return "floor"
    return "room"


# Response targets. Security incidents that are urgent get half the usual
# urgent window (people may be at risk); everything else uses the defaults.
URGENT_SLA_OVERRIDES = {"Security": 2}


def sla_hours(priority: str, category: str, urgent_hours: int = 4, standard_hours: int = 72) -> int:
    """Hours until the ticket should be resolved.

    urgent: 2 h for Security, ``urgent_hours`` (default 4) otherwise.
    standard: ``standard_hours`` (default 72) for every category.
    """
    if priority == "urgent":
        return int(URGENT_SLA_OVERRIDES.get(category, urgent_hours))
    return int(standard_hours)


def decide_priority(text: str, model_urgency: str | None) -> tuple[str, str]:
    """(priority, decided_by): the model's urgency with the rules as a floor.

    The rules (assess_priority) can raise a ticket to urgent, never lower it. decided_by
    names what made an urgent ticket urgent ("model", "rules" or "model+rules"); for a
    standard ticket, what was asked ("model+rules", or "rules" when there is no model
    urgency, e.g. the keyword fallback).
    """
    by_rules = assess_priority(text) == "urgent"
    if model_urgency is None:
        return ("urgent" if by_rules else "standard"), "rules"
    by_model = model_urgency == "urgent"
    if by_model and by_rules:
        return "urgent", "model+rules"
    if by_model:
        return "urgent", "model"
    if by_rules:
        return "urgent", "rules"
    return "standard", "model+rules"
