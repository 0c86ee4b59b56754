"""Word lists and a small prose generator for the demo site's sports reports.

Everything here is fictional: the clubs, players and journalists are made up, so the demo site
never puts words into a real person's mouth. All functions take a :class:`random.Random` so the
caller decides the seed and the output is deterministic.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

__all__ = [
    "EXTERNAL_SOURCES",
    "JOURNALISTS",
    "SECTIONS",
    "SWAP_GROUPS",
    "Facts",
    "SectionVocab",
    "Writer",
    "headline",
    "make_facts",
    "person",
    "swap_phrase",
    "update_paragraph",
]


def _words(value: str) -> tuple[str, ...]:
    return tuple(value.split())


FIRST_NAMES = _words(
    "Aaron Adele Aiden Alba Amara Ben Bruno Callum Carla Dario Diego Elena Elias Emeka Ewan "
    "Farah Felix Gianni Hana Hugo Ines Isaac Jamal Jonas Kai Kofi Lara Leon Luca Maya Marek "
    "Mateo Nadia Niall Noah Omar Oskar Priya Rafael Rhys Sami Sofia Tariq Theo Tomas Yusuf Zoe"
)
LAST_NAMES = _words(
    "Abbott Adeyemi Alvarez Barker Bianchi Brennan Castillo Costa Dalton Delgado Eriksen "
    "Fairbairn Ferreira Fischer Gallagher Haddad Hartley Iwobi Jansen Kaminski Kowalczyk "
    "Lindqvist Lowe Mahrez Marchetti Moreau Nakamura Novak Okafor Olsen Pereira Quinn Ramos "
    "Reyes Sandoval Schmidt Stavros Sutherland Takahashi Varga Vidal Walsh Whitaker Yilmaz "
    "Zielinski"
)

#: Bylines: the demo site's own reporters.
JOURNALISTS = (
    "Jane Doe",
    "John Roe",
    "Helen Marsh",
    "Owen Pritchard",
    "Ruth Okonkwo",
    "Samir Bakshi",
    "Claire Beaumont",
    "Tom Ashworth",
    "Lucia Ferraro",
    "Daniel Kerr",
    "Megan Holloway",
    "Viktor Lang",
)

#: Off-site sources linked from article bodies: (anchor text, host).
EXTERNAL_SOURCES = (
    ("official statistics service", "stats.example.org"),
    ("governing body's disciplinary report", "governing-body.example.org"),
    ("club's own match report", "club-news.example.net"),
    ("broadcaster's highlights package", "tv.example.com"),
)

#: Interchangeable phrases: the ``third_paragraph`` edit swaps one for the next in its group.
SWAP_GROUPS: tuple[tuple[str, ...], ...] = (
    ("a moment of real quality", "a flash of brilliance", "a piece of genuine class"),
    ("turned the contest", "changed the complexion of the game", "swung the match"),
    ("on the back foot", "pinned back for long spells", "under sustained pressure"),
)


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


@dataclass(frozen=True)
class SectionVocab:
    """What a section writes about: who plays, where, for what, and how scores look."""

    label: str
    teams: tuple[str, ...]  # empty for individual sports (tennis, formula-1)
    competitions: tuple[str, ...]
    venues: tuple[str, ...]
    roles: tuple[str, ...]
    coach_title: str
    unit: str  # "goal", "try", ...
    tags: tuple[str, ...]


SECTIONS: dict[str, SectionVocab] = {
    "football": SectionVocab(
        "Football",
        (
            "Northbridge United",
            "Harbour City",
            "Ashford Rovers",
            "Kingsmere Athletic",
            "Redcliffe Town",
            "Westvale Wanderers",
            "Port Elston",
            "Castleford Albion",
            "Millbrook Forest",
            "Eastgate Rangers",
        ),
        ("Premier Division", "Challenge Cup", "League Cup", "Continental Cup"),
        ("Riverside Park", "the Kingsmere Stadium", "Elston Road", "Castle Lane", "the Dell"),
        ("striker", "midfielder", "goalkeeper", "centre-back", "winger"),
        "manager",
        "goal",
        ("premier-division", "challenge-cup", "transfers", "injuries", "derby-day", "tactics"),
    ),
    "basketball": SectionVocab(
        "Basketball",
        (
            "Bayside Comets",
            "Lakeshore Giants",
            "Summit City Hawks",
            "Riverton Kings",
            "Granite Bay Wolves",
            "Capital Storm",
            "Sunvale Suns",
            "Ironport Miners",
        ),
        ("National League", "Champions Cup", "Conference finals"),
        ("the Harbour Arena", "Summit Center", "the Granite Dome", "the Capitol Fieldhouse"),
        ("point guard", "centre", "power forward", "shooting guard"),
        "head coach",
        "basket",
        ("national-league", "playoffs", "draft", "free-agency", "all-stars"),
    ),
    "tennis": SectionVocab(
        "Tennis",
        (),
        ("Harbour Open", "Capital Masters", "Northern Championships", "Riverside Indoors"),
        ("Centre Court", "Court One", "the main stadium court", "the Grandstand"),
        ("top seed", "qualifier", "wildcard", "defending champion"),
        "coach",
        "break",
        ("grand-slams", "rankings", "doubles", "clay-season", "grass-season"),
    ),
    "cricket": SectionVocab(
        "Cricket",
        ("Northshire", "Westmoor", "Eastford", "Southdale", "Hollingbury", "Kingsport"),
        ("County Championship", "One-Day Cup", "T20 Blast", "Test series"),
        ("Hollingbury Road", "the Kingsport Oval", "Westmoor Park", "the Eastford Ground"),
        ("opening batter", "fast bowler", "leg-spinner", "wicketkeeper", "all-rounder"),
        "head coach",
        "wicket",
        ("county-championship", "test-cricket", "t20", "ashes-watch", "spin-bowling"),
    ),
    "rugby": SectionVocab(
        "Rugby",
        (
            "Harbourside Sharks",
            "Kingsmere Saints",
            "Westvale Warriors",
            "Redcliffe Rhinos",
            "Ashford Bears",
            "Castleford Knights",
        ),
        ("Premiership", "Champions Cup", "Six Counties Championship"),
        ("Sharks Park", "Saints Field", "the Rhino Ground", "Knights Lane"),
        ("fly-half", "scrum-half", "lock", "full-back", "hooker", "openside flanker"),
        "director of rugby",
        "try",
        ("premiership-rugby", "six-counties", "scrums", "rugby-injuries", "lineouts"),
    ),
    "formula-1": SectionVocab(
        "Formula 1",
        ("Veloce", "Apex Racing", "Northstar", "Helix Motorsport", "Falcon GP", "Stratos"),
        ("Harbour Grand Prix", "Capital Grand Prix", "Desert Grand Prix", "Lakeside Grand Prix"),
        ("the Marina circuit", "the Capital street circuit", "Sandridge Raceway", "Lakeside Park"),
        ("championship leader", "rookie", "veteran", "team-mate"),
        "team principal",
        "pit stop",
        ("qualifying", "team-orders", "tyres", "driver-market", "race-strategy"),
    ),
}

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
INDIVIDUAL = ("tennis", "formula-1")


@dataclass(frozen=True)
class Facts:
    """The facts of one report; every sentence of the article is rendered from them."""

    section: str
    winner: str
    loser: str
    score: str
    venue: str
    competition: str
    star: str
    star_role: str
    rival: str
    coach: str
    day: str
    minute: int
    margin: str
    crowd: str
    next_opponent: str
    next_day: str

    def fill(self, template: str) -> str:
        vocab = SECTIONS[self.section]
        return template.format(
            winner=self.winner,
            loser=self.loser,
            score=self.score,
            venue=self.venue,
            competition=self.competition,
            star=self.star,
            star_last=self.star.split()[-1],
            star_role=self.star_role,
            rival=self.rival,
            coach=self.coach,
            coach_title=vocab.coach_title,
            day=self.day,
            minute=self.minute,
            margin=self.margin,
            crowd=self.crowd,
            next_opponent=self.next_opponent,
            next_day=self.next_day,
            unit=vocab.unit,
            label=vocab.label.lower(),
        )


def _score(section: str, rng: random.Random) -> tuple[str, str]:
    """(score, margin) written the way the sport writes them."""
    if section == "football":
        a, b = rng.choice([(1, 0), (2, 1), (3, 1), (2, 0), (3, 2), (4, 1), (4, 2)])
        return f"{a}-{b}", f"{a - b} goal{'s' if a - b > 1 else ''}"
    if section == "basketball":
        a = rng.randint(96, 124)
        b = a - rng.randint(2, 17)
        return f"{a}-{b}", f"{a - b} points"
    if section == "rugby":
        b = rng.randint(10, 24)
        a = b + rng.randint(1, 15)
        return f"{a}-{b}", f"{a - b} points"
    if section == "tennis":
        sets = rng.choice(["6-4, 7-5", "6-3, 3-6, 7-6", "7-6, 6-4", "6-2, 4-6, 6-3", "6-1, 6-4"])
        return sets, "straight sets" if sets.count(",") == 1 else "three sets"
    if section == "cricket":
        a = rng.choice([2, 3])
        return f"{a}-{rng.randint(0, a - 1)}", rng.choice(
            ["six wickets", "34 runs", "an innings and 12 runs", "four wickets", "88 runs"]
        )
    # formula-1: the head-to-head qualifying record between team-mates
    a = rng.randint(5, 12)
    return f"{a}-{rng.randint(1, a - 1)}", f"{rng.randint(2, 14)}.{rng.randint(0, 9)} seconds"


def make_facts(section: str, rng: random.Random) -> Facts:
    vocab = SECTIONS[section]
    score, margin = _score(section, rng)
    if vocab.teams and section != "formula-1":
        winner, loser, next_opponent = rng.sample(vocab.teams, 3)
    else:
        winner, loser, next_opponent = person(rng), person(rng), person(rng)
    star = winner if section == "tennis" else person(rng)
    if section == "formula-1":
        star = winner
    return Facts(
        section=section,
        winner=winner,
        loser=loser,
        score=score,
        venue=rng.choice(vocab.venues),
        competition=rng.choice(vocab.competitions),
        star=star,
        star_role=rng.choice(vocab.roles),
        rival=person(rng),
        coach=person(rng),
        day=rng.choice(DAYS),
        minute=rng.randint(52, 93),
        margin=margin,
        crowd=f"{rng.randint(8, 61)},{rng.randint(100, 999)}",
        next_opponent=next_opponent,
        next_day=rng.choice(DAYS),
    )


_HEADLINES: dict[str, tuple[str, ...]] = {
    "team": (
        "{winner} edge {loser} in tense {competition} clash",
        "{star} inspires {winner} to victory over {loser}",
        "{winner} hold off late {loser} fightback at {venue}",
        "{loser} left frustrated as {winner} grind out win",
        "{star_last} the hero as {winner} beat {loser}",
        "{winner} keep {competition} hopes alive against {loser}",
        "Ruthless {winner} punish sloppy {loser}",
        "{coach} hails {winner} character after {loser} win",
    ),
    "tennis": (
        "{winner} battles past {loser} at the {competition}",
        "{winner} reaches last eight after beating {loser}",
        "{loser} falls to {winner} in {competition} thriller",
        "{winner} overcomes nerves to see off {loser}",
        "Composed {winner} ends {loser}'s {competition} run",
    ),
    "formula-1": (
        "{winner} wins {competition} ahead of {loser}",
        "{winner} holds off {loser} to take {competition} victory",
        "Strategy gamble pays off as {winner} wins in {competition}",
        "{loser} rues late {unit} as {winner} claims {competition}",
        "{winner} dominates at {venue} to win {competition}",
    ),
}

_LEADS: dict[str, tuple[str, ...]] = {
    "football": (
        "{winner} beat {loser} {score} at {venue} on {day}, {star} settling a tight "
        "{competition} contest in the {minute}th minute.",
        "{star} struck in the {minute}th minute as {winner} edged past {loser} {score} "
        "in front of {crowd} supporters at {venue}.",
    ),
    "basketball": (
        "{winner} beat {loser} {score} at {venue} on {day} night, {star} finishing with a "
        "season-high 31 points.",
        "{star} scored 14 of his 29 points in the fourth quarter as {winner} held off {loser} "
        "{score} in front of {crowd} fans at {venue}.",
    ),
    "tennis": (
        "{winner} beat {loser} {score} on {venue} on {day} to reach the quarter-finals of "
        "the {competition}.",
        "{winner} needed two hours and 41 minutes to get past {loser} {score} at the "
        "{competition} on {day}.",
    ),
    "cricket": (
        "{winner} beat {loser} by {margin} at {venue} on {day} to take the {competition} "
        "series {score}, with {star} the standout performer.",
        "{star} starred with bat and ball as {winner} won by {margin} at {venue}, sealing "
        "the {competition} series {score} against {loser}.",
    ),
    "rugby": (
        "{winner} beat {loser} {score} at {venue} on {day}, {star} crossing for the decisive "
        "try in the {minute}th minute.",
        "A {minute}th-minute try from {star} gave {winner} a {score} win over {loser} in "
        "front of {crowd} spectators at {venue}.",
    ),
    "formula-1": (
        "{winner} won the {competition} at {venue} on {day} by {margin} from {loser}, and "
        "now leads his team-mate {score} in qualifying head-to-heads this season.",
        "{winner} converted pole position into victory at the {competition}, finishing "
        "{margin} clear of {loser}; he leads his team-mate {score} in qualifying this year.",
    ),
}

_BODY_TEAM = (
    "{loser} had started brightly and thought they had gone ahead early on, only for the effort "
    "to be ruled out after a lengthy review.",
    "The result lifts {winner} into the top four of the {competition} table, two points clear "
    "of their nearest rivals.",
    "{rival} was the pick of the {loser} side, but he was too often left isolated.",
    "The visitors made three changes at the break, and for a spell the game opened up.",
    "It was the kind of performance {coach} has been demanding since pre-season.",
    "Attendance was {crowd}, the biggest crowd at {venue} this season.",
    "{winner} have now won five of their last six matches in all competitions.",
    "Both sides were without key players through injury, and it showed in a scrappy opening.",
)
_BODY_INDIVIDUAL = (
    "{loser} had the better of the opening exchanges and looked the more comfortable for long "
    "periods.",
    "The result moves {winner} up to fourth in the season standings.",
    "{loser} later admitted the conditions had made life difficult for everyone.",
    "Temperatures at {venue} climbed above 30C during the afternoon session.",
    "{winner} has now reached the final stages of three of the last four events.",
    "It was a performance that {coach}, who has worked with {winner} for two seasons, will savour.",
)
_TURNING = (
    "The turning point came just after the hour, when {star} produced {p0} that {p1}; until "
    "then {winner} had been {p2}.",
    "For all the talk beforehand, it was {p0} from {star} that {p1}, with {loser} having kept "
    "{winner} {p2} in the early stages.",
)
_QUOTES = (
    "“We knew it would be tight, and the players never stopped running,” said {coach}, the "
    "{winner} {coach_title}. “That is what pleases me most.”",
    "“I thought we deserved it over the whole game,” {coach} told reporters afterwards. “There "
    "is still a lot to improve, but the attitude was spot on.”",
    "“Days like this are why you do all the work in the dark months,” said {star}. “I’m just "
    "happy I could help.”",
    "{loser}'s camp were less impressed. “We gave them too much respect,” said {rival}. “We will "
    "look at it honestly and move on.”",
)
_NEXT_TEAM = (
    "{winner} face {next_opponent} on {next_day}, while {loser} have a week to regroup.",
    "Next up for {winner} is a trip to face {next_opponent} on {next_day}.",
)
_NEXT_INDIVIDUAL = (
    "{winner} meets {next_opponent} next, on {next_day}.",
    "Next on the calendar for {winner} is a meeting with {next_opponent} on {next_day}.",
)
_INTERNAL_LINK = (
    "For the background, read {anchor}.",
    "It follows {anchor} earlier in the season.",
    "Those who remember {anchor} will not have been surprised.",
)
_EXTERNAL_LINK = "Full figures are available from the {anchor}."
_DESCRIPTIONS = (
    "{winner} had to dig deep against {loser} before {star} settled matters at {venue}.",
    "Match report, reaction and ratings as {winner} got the better of {loser}.",
    "{star} made the difference in a {competition} meeting that swung both ways.",
)
_TEASERS = (
    "Key moments and reaction from {winner} against {loser}.",
    "How {star} decided a close {competition} encounter at {venue}.",
    "{coach} and {rival} have their say on a tense afternoon.",
    "Why {loser} came away frustrated from {venue}.",
)
_UPDATES = (
    "Update: {winner} confirmed on {next_day} that {star} will undergo a scan on a minor knock "
    "picked up late on, but is expected to be available.",
    "Update: the {competition} organisers said after the match that they would review the "
    "disputed decision involving {rival}.",
    "Update: {coach} has since confirmed that the squad will be unchanged for the meeting with "
    "{next_opponent}.",
    "Update: {loser} have lodged a formal complaint about the scheduling of the fixture.",
)


def _kind(section: str) -> str:
    return section if section in INDIVIDUAL else "team"


class Writer:
    """Writes one article from its facts, never using the same sentence twice."""

    def __init__(self, facts: Facts, rng: random.Random) -> None:
        self.facts = facts
        self.rng = rng
        self.used: set[str] = set()
        individual = facts.section in INDIVIDUAL
        self.pool = _BODY_INDIVIDUAL if individual else _BODY_TEAM
        self.next_pool = _NEXT_INDIVIDUAL if individual else _NEXT_TEAM

    def pick(self, templates: tuple[str, ...]) -> str:
        fresh = [t for t in templates if t not in self.used] or list(templates)
        choice = self.rng.choice(fresh)
        self.used.add(choice)
        return self.facts.fill(choice)

    def headline(self, avoid: str = "") -> str:
        options = [t for t in _HEADLINES[_kind(self.facts.section)] if self.facts.fill(t) != avoid]
        return self.facts.fill(self.rng.choice(options))

    def description(self) -> str:
        if self.facts.section in INDIVIDUAL:
            return self.pick(_DESCRIPTIONS[1:])
        return self.pick(_DESCRIPTIONS)

    def teaser(self) -> str:
        return self.pick(_TEASERS)

    def lead(self) -> str:
        return self.pick(_LEADS[self.facts.section]) + " " + self.pick(self.pool)

    def turning(self) -> str:
        rng = self.rng
        template = rng.choice(_TURNING).replace("{p0}", SWAP_GROUPS[0][rng.randrange(3)])
        template = template.replace("{p1}", SWAP_GROUPS[1][rng.randrange(3)])
        template = template.replace("{p2}", SWAP_GROUPS[2][rng.randrange(3)])
        return self.facts.fill(template) + " " + self.pick(_QUOTES[:2])

    def body(self, index: int) -> str:
        """A middle paragraph: two sentences of context, quotes and what comes next."""
        if index % 3 == 0:
            return self.pick(_QUOTES[2:]) + " " + self.pick(self.pool)
        if index % 3 == 1:
            return self.pick(self.pool) + " " + self.pick(self.pool)
        return self.pick(self.pool) + " " + self.pick(self.next_pool)

    def update(self) -> str:
        return self.pick(_UPDATES)


def headline(facts: Facts, rng: random.Random, avoid: str = "") -> str:
    return Writer(facts, rng).headline(avoid)


def update_paragraph(facts: Facts, rng: random.Random) -> str:
    return Writer(facts, rng).update()


def internal_link_sentence(rng: random.Random) -> str:
    """A sentence with an ``{anchor}`` slot for a link to another article."""
    return rng.choice(_INTERNAL_LINK)


def external_link_sentence() -> str:
    return _EXTERNAL_LINK


def report_anchor(facts: Facts) -> str:
    return f"our report on {facts.winner} v {facts.loser}"


_SWAP_RE = re.compile("|".join(re.escape(p) for group in SWAP_GROUPS for p in group))


def swap_phrase(text: str) -> str:
    """Replace the first interchangeable phrase in ``text`` by the next one of its group."""
    match = _SWAP_RE.search(text)
    if match is None:
        return text.rstrip(".") + ", as it turned out."
    for group in SWAP_GROUPS:
        if match.group(0) in group:
            new = group[(group.index(match.group(0)) + 1) % len(group)]
            return text[: match.start()] + new + text[match.end() :]
    return text  # pragma: no cover - every match belongs to a group
