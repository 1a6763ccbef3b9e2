"""Deterministic generator for ``data/tickets.csv``, the labelled ticket set.

The texts live in data files beside this script; this script only combines them:

- ``data/issues.csv`` (category, urgency, issue): distinct problems, one per row, with
  location placeholders ({room} {restroom} {kitchen} {lab} {hall} {dorm} {bldg} {outdoor}
  {floor}). A ticket is one issue rendered in a reporting style (bare one-liner, terse,
  formal e-mail, casual chat, subject line, long report, shouted "URGENT") with a
  campus location, optional follow-up details and occasional typos.
- ``data/templates.json``: the locations, details, openers, sign-offs, typos the
  rendering draws from.
- ``data/reports.csv`` (text, category, urgency): reports written by hand the way people
  type them (short, misspelled, informal, long-winded); each is its own issue and is
  used as written, plus one lower-cased, typo'd copy.

Urgency is the dispatcher's judgement of the issue, not of the wording: "urgent" for
danger to people (fire, smoke, sparks, shock, gas, injury, someone trapped, a hazard about
to fall or already hurting people), damage in progress (water pouring, flooding, sewage,
lab samples warming) and security incidents happening or just discovered (intruder,
break-in, threats, an unattended bag). "URGENT!!" in front of a clogged sink stays standard.

Split (``--split-by issue``, the default): a seeded 20% of each category's issues, and of
its hand-written reports, are held out with every rendering of them, so no issue is seen
in both train and test. ``--split-by ticket`` holds out a random 20% of the renderings
instead (renderings of one issue then land on both sides: it measures memory, not
generalisation; kept for comparison only).

``data/eval_handwritten.csv`` is NOT read here: it is the separate evaluation set
(train.py reports on it), never rendered, never trained on.

Usage:  python maintenance/training/make_dataset.py [--out PATH] [--split-by issue|ticket]
The output is byte-for-byte reproducible (fixed seed, no set iteration).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
from pathlib import Path

SEED = 20240917
VARIANTS_PER_ISSUE = 3
TEST_FRACTION = 0.2
DATA = Path(__file__).resolve().parent / "data"
DEFAULT_OUT = DATA / "tickets.csv"
FIELDS = ["text", "category", "urgency", "split", "issue"]


def load_templates(path: Path = DATA / "templates.json") -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def load_issues(path: Path = DATA / "issues.csv") -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load_reports(path: Path = DATA / "reports.csv") -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _fill(template: str, rng: random.Random, t: dict) -> str:
    """Replace {placeholders} with a random location of that kind."""
    return re.sub(r"\{(\w+)\}", lambda m: rng.choice(t["LOCATIONS"][m.group(1)]), template)


def _lower_first(s: str) -> str:
    # Keep acronyms and proper nouns ("AC", "HDMI", "Zoom") intact.
    if len(s) > 1 and s[1].isupper():
        return s
    return s[0].lower() + s[1:]


def _typos(text: str, rng: random.Random, t: dict) -> str:
    """Inject one or two realistic typos: a known misspelling or a slip of the keyboard."""
    typos = t["COMMON_TYPOS"]
    for _ in range(rng.choice([1, 1, 2])):
        lowered = text.lower()
        known = [w for w in typos if w in lowered]
        if known and rng.random() < 0.6:
            word = rng.choice(known)
            idx = lowered.index(word)
            text = text[:idx] + typos[word] + text[idx + len(word):]
            continue
        words = text.split(" ")
        candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
        if not candidates:
            continue
        i = rng.choice(candidates)
        w = words[i]
        j = rng.randrange(1, len(w) - 2)
        kind = rng.random()
        if kind < 0.4:  # swapped letters
            w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
        elif kind < 0.7:  # dropped letter
            w = w[:j] + w[j + 1:]
        else:  # doubled letter
            w = w[:j] + w[j] + w[j:]
        words[i] = w
        text = " ".join(words)
    return text


STYLES = ["bare", "short", "formal", "casual", "subject", "long", "urgent"]
STYLE_WEIGHTS = [24, 12, 16, 18, 10, 14, 6]


def render(issue: str, category: str, urgency: str, style: str, rng: random.Random, t: dict) -> str:
    """Render one issue as a ticket in the given reporting style."""
    core = _fill(issue, rng, t)
    # A detail must not contradict the label ("Not urgent but..." on a fire).
    details = [d for d in t["DETAILS"][category] if urgency == "standard" or "urgent" not in d.lower()]
    detail = rng.choice(details)
    generic = rng.choice(t["GENERIC_DETAILS"])
    if style == "bare":
        text = core
    elif style == "short":
        # Terse, first clause only, the way people type into a phone.
        text = re.split(r"[,.]\s", core)[0].rstrip(".")
    elif style == "formal":
        lead = rng.choice(t["REPORT_LEADS"])
        text = f"{rng.choice(t['OPENERS_FORMAL'])} {lead} {core} {detail} {rng.choice(t['SIGNOFFS'])}"
    elif style == "casual":
        text = f"{_lower_first(core).rstrip('.')} {rng.choice(t['CASUAL_TAILS'])}".lower()
    elif style == "subject":
        # Subject-line form. Only name a place when the issue itself has none,
        # so a ticket never points at two different buildings.
        if "{" in issue:
            text = f"{rng.choice(t['SUBJECT_TITLES'])}: {core}"
        else:
            loc = rng.choice(t["LOCATIONS"][rng.choice(["bldg", "dorm", "hall", "room"])])
            text = f"{loc[0].upper() + loc[1:]} - {core}"
    elif style == "long":
        extra = rng.choice([d for d in details if d != detail] or details)
        text = f"{rng.choice(t['OPENERS_FORMAL'])} {core} {detail} {extra} {generic}"
    elif style == "urgent":
        text = f"{rng.choice(t['URGENT_PREFIXES'])}{core} {rng.choice(t['URGENT_TAILS'])}"
    else:
        raise ValueError(style)
    text = re.sub(r"\s+", " ", text).strip()
    if rng.random() < 0.15:
        text = _typos(text, rng, t)
    return text


def _held_out(n: int, rng: random.Random) -> set[int]:
    order = list(range(n))
    rng.shuffle(order)
    return set(order[: round(n * TEST_FRACTION)])


def build(seed: int = SEED, split_by: str = "issue") -> list[list[str]]:
    """All tickets as [text, category, urgency, split, issue] rows.

    issue: "<category>:<n>" for the n-th issue of a category in issues.csv,
    "report:<n>" for the n-th row of reports.csv. split_by="issue" (default): every
    rendering of a held-out issue is in test. split_by="ticket": a random 20% of each
    category's tickets, whatever their issue.
    """
    if split_by not in ("issue", "ticket"):
        raise ValueError(split_by)
    t = load_templates()
    rng = random.Random(seed)
    issues, reports = load_issues(), load_reports()
    categories = list(dict.fromkeys(r["category"] for r in issues))
    rows: list[list[str]] = []
    seen: set[str] = set()
    for category in categories:
        cat_issues = [(i, r) for i, r in enumerate(issues) if r["category"] == category]
        cat_reports = [(i, r) for i, r in enumerate(reports) if r["category"] == category]
        test_issues = _held_out(len(cat_issues), rng)
        test_reports = _held_out(len(cat_reports), rng)
        cat_rows: list[list[str]] = []
        for k, (i, row) in enumerate(cat_issues):
            split = "test" if k in test_issues else "train"
            made = attempts = 0
            while made < VARIANTS_PER_ISSUE and attempts < 50:
                attempts += 1
                style = rng.choices(STYLES, STYLE_WEIGHTS)[0]
                text = render(row["issue"], category, row["urgency"], style, rng, t)
                if text.lower() in seen or len(text) < 8:
                    continue
                seen.add(text.lower())
                cat_rows.append([text, category, row["urgency"], split, f"{category}:{i}"])
                made += 1
        for k, (i, row) in enumerate(cat_reports):
            split = "test" if k in test_reports else "train"
            variant = _typos(row["text"].lower().rstrip(".!"), rng, t)
            for text in (row["text"], variant):
                if text.lower() in seen:
                    continue
                seen.add(text.lower())
                cat_rows.append([text, category, row["urgency"], split, f"report:{i}"])
        if split_by == "ticket":
            held = _held_out(len(cat_rows), rng)
            for k, row in enumerate(cat_rows):
                row[3] = "test" if k in held else "train"
        rows.extend(cat_rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--split-by", choices=["issue", "ticket"], default="issue")
    args = parser.parse_args()
    rows = build(split_by=args.split_by)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(FIELDS)
        writer.writerows(rows)
    counts: dict[tuple[str, str], int] = {}
    for _, cat, _, split, _ in rows:
        counts[(cat, split)] = counts.get((cat, split), 0) + 1
    for cat in dict.fromkeys(r[1] for r in rows):
        tr, te = counts.get((cat, "train"), 0), counts.get((cat, "test"), 0)
        print(f"{cat:<11} train={tr:4d} test={te:3d} total={tr + te:4d} test%={100 * te / (tr + te):.0f}")
    urgent = sum(r[2] == "urgent" for r in rows)
    print(f"wrote {len(rows)} tickets ({urgent} urgent) to {args.out}")


if __name__ == "__main__":
    main()
