"""What a piece of campaign text contains: links, phone numbers, keywords, brand names, placeholders.

Every matcher works on whole words, so "testing" is not "test" and "nonstop" is not "STOP".
The detectors that prove something is *present* (opt-out wording, opt-in description) lean
generous, since a miss there refuses a good request; the ones that prove something is *wrong*
(placeholders, age-gated words) lean narrow, for the same reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

# Bird's compliance keywords, the words its platform already answers to:
# https://docs.bird.com/applications/channels/channels/supported-channels/sms/concepts/opt-in-and-opt-out-compliance
OPT_OUT_WORDS = ("STOP", "STOPALL", "END", "QUIT", "CANCEL", "UNSUBSCRIBE")
OPT_IN_WORDS = ("START", "BEGIN", "RESUME", "REVERT", "UNSTOP")

# Free, shared link shorteners: carriers filter them and Bird does not allow them (see rules.py).
PUBLIC_SHORTENERS = frozenset({
    "bit.ly", "bitly.com", "tinyurl.com", "goo.gl", "t.co", "ow.ly", "is.gd", "v.gd", "buff.ly",
    "rebrand.ly", "cutt.ly", "shorturl.at", "rb.gy", "tiny.cc", "t.ly", "bl.ink", "lnkd.in", "s.id",
    "shorte.st", "adf.ly", "tr.im", "qr.net", "x.co", "urlz.fr", "soo.gd", "clck.ru",
})  # fmt: skip

# Mailbox providers anyone can sign up to: an address there does not show the business owns a domain.
PUBLIC_EMAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "ymail.com", "hotmail.com", "outlook.com", "live.com",
    "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "protonmail.com", "proton.me", "gmx.com",
    "mail.com", "zoho.com", "yandex.com", "comcast.net",
})  # fmt: skip

# A link needs a scheme or "www.", or else a top-level domain people actually text, so that
# "booked.Reply" (a missing space) or "e.g." is not taken for a website.
_TLDS = (
    "com|net|org|edu|gov|us|io|co|ly|gl|gd|at|cc|in|id|me|ai|app|biz|info|shop|store|online|site|link"
    "|club|health|ca|uk|fr|de|ru"
)
_LINK = re.compile(
    r"(?<![@\w.-])(?:"
    r"https?://[^\s<>\"']+"
    r"|www\.[^\s<>\"']+"
    rf"|(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})\b(?:/[^\s<>\"']*)?"
    r")",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@((?:[a-z0-9-]+\.)+[a-z]{2,})", re.IGNORECASE)
# North American numbers in the ways people write them: +1 415 555 0100, (415) 555-0100, 415.555.0100
_PHONE = re.compile(r"(?<![\w+])(?:\+?1[\s.-]?)?(?:\(\d{3}\)|\d{3})[\s.-]?\d{3}[\s.-]?\d{4}(?!\w)")
_E164 = re.compile(r"\+[1-9]\d{1,14}")


def links(text: str) -> list[str]:
    """Every web link in `text`, as written (email addresses are not links)."""
    return [m.group(0).rstrip(".,;:!?)") for m in _LINK.finditer(text)]


def host(link_or_url: str) -> str:
    """`https://www.Acme.com/x` -> `acme.com`; `bit.ly/x` -> `bit.ly`."""
    url = link_or_url if "://" in link_or_url else f"http://{link_or_url}"
    name = (urlsplit(url).hostname or "").lower()
    return name.removeprefix("www.")


def site(name: str) -> str:
    """The registrable part of a host name: `book.acme.com` -> `acme.com`, `acme.co.uk` stays."""
    labels = name.lower().split(".")
    # second-level registries such as co.uk or com.au take one more label
    second_level = len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in {"co", "com", "org", "net", "gov", "ac"}
    return ".".join(labels[-3:] if second_level else labels[-2:])


def email_domain(address: str) -> str:
    match = _EMAIL.search(address)
    return match.group(1).lower() if match else ""


def has_email(text: str) -> bool:
    return _EMAIL.search(text) is not None


def has_phone(text: str) -> bool:
    return _PHONE.search(text) is not None


def is_e164(value: str) -> bool:
    return _E164.fullmatch(value) is not None


def keyword_list(value: str | None) -> list[str]:
    """Bird's keyword fields are comma separated: `"STOP, Cancel"` -> `["STOP", "CANCEL"]`."""
    return [word.strip().upper() for word in (value or "").split(",") if word.strip()]


def _words(words: tuple[str, ...]) -> str:
    return "|".join(words)


# Opt-out wording: a keyword after reply/text/send ("Reply STOP", "text end to quit"), a keyword
# written in capitals on its own, or the plain phrases. Lower-case "stop" alone is left out: "stop by
# our store" is not an opt-out, and neither is "nonstop".
_OPT_OUT = re.compile(
    r"\b(?:reply|replying|text|texting|txt|send|respond)\b(?:\s+(?:with|the|word|keyword|back|us)\b)*\W{0,3}"
    rf"(?:{_words(OPT_OUT_WORDS)})\b"
    r"|\bopt(?:ing)?[\s-]?out\b|\bunsubscribe\b",
    re.IGNORECASE,
)
_OPT_OUT_CAPS = re.compile(r"\b(?:STOP|STOPALL|UNSUBSCRIBE|QUIT)\b")


def has_opt_out(text: str) -> bool:
    return bool(_OPT_OUT.search(text) or _OPT_OUT_CAPS.search(text))


def has_keyword(text: str, words: tuple[str, ...] | list[str]) -> bool:
    """One of `words` as a whole word, any case ("Reply Start" counts; "restart" does not)."""
    if not words:
        return False
    return re.search(rf"\b(?:{'|'.join(map(re.escape, words))})\b", text, re.IGNORECASE) is not None


# How people describe consent in a message flow; any one of these shows an opt-in is described.
_OPT_IN = re.compile(
    r"\bopt(?:s|ed|ing)?[\s-]?in\b|\bconsent\w*|\bsubscrib\w*|\bsign(?:s|ed|ing)?[\s-]?up\b|\bagree\w*"
    r"|\bcheck[\s-]?box\w*|\b(?:tick|check)(?:s|ed|ing)?\b[^.]{0,40}\bbox\b|\benrol\w*|\bkeyword\b"
    r"|\bpermission\b|\b(?:text|texts|texting|send|sends)\s+(?:the\s+(?:key)?word\s+)?[\"'“]?(?-i:[A-Z]{2,})\b",
    re.IGNORECASE,
)


def describes_opt_in(text: str) -> bool:
    return _OPT_IN.search(text) is not None


_LEGAL_SUFFIXES = frozenset({
    "inc", "incorporated", "llc", "ltd", "limited", "corp", "corporation", "co", "company", "plc",
    "lp", "llp", "pllc", "pc",
})  # fmt: skip


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def brand_tokens(name: str) -> list[str]:
    """`"Acme Plumbing Inc."` -> `["acme", "plumbing"]`: the name people would recognise."""
    tokens = _tokens(name)
    while len(tokens) > 1 and tokens[-1] in _LEGAL_SUFFIXES:
        tokens.pop()
    return tokens


def names_brand(text: str, names: list[str]) -> bool:
    """Whether `text` names one of `names`, in any case, spaced or run together: "Acme Plumbing",
    "ACME PLUMBING", "AcmePlumbing" and "acmeplumbing.com" all name "Acme Plumbing Inc."."""
    words = _tokens(text)
    for name in names:
        wanted = "".join(brand_tokens(name))
        if not wanted:
            continue
        for start in range(len(words)):
            run = ""
            for word in words[start:]:
                run += word
                if not wanted.startswith(run):
                    break
                if run == wanted:
                    return True
    return False


# Placeholders reviewers refuse: filler, "to be decided", reserved example domains, template slots.
_PLACEHOLDERS = (
    re.compile(r"\blorem\b|\bipsum\b|\bx{3,}\b|\btbd\b", re.IGNORECASE),
    re.compile(r"\b(?:example|test)\.(?:com|net|org)\b", re.IGNORECASE),  # reserved by RFC 2606
    re.compile(r"\[[^\]\n]{1,40}\]|\{\{?[^{}\n]{1,40}\}\}?|<[A-Za-z][\w .-]{0,38}>"),
)
_TEST = re.compile(r"\btest\b", re.IGNORECASE)
# "test" is filler in "this is a test", but real content in "your lab test results are ready".
_TEST_BEFORE = frozenset({
    "blood", "lab", "drug", "road", "driving", "covid", "eye", "hearing", "emissions", "smog", "urine",
    "pregnancy", "dna", "allergy", "vision", "skills", "placement", "practice", "swab", "water", "pressure",
    "leak",
})  # fmt: skip
_TEST_AFTER = frozenset({"result", "results", "drive", "date", "kit", "kits", "center", "centre", "appointment",
                         "prep", "preparation", "score", "scores", "day"})  # fmt: skip


def placeholder(text: str, names: Sequence[str] = ()) -> str | None:
    """The first placeholder in `text` (as written), or None. `names` are the brand's own names:
    "Test" inside them is the business's name ("Test Prep Academy", "Testa & Test Ltd"), not filler."""
    for name in sorted((n for n in names if n and n.strip()), key=len, reverse=True):
        if not only_filler(name):
            text = re.sub(re.escape(name), " ", text, flags=re.IGNORECASE)
    for pattern in _PLACEHOLDERS:
        if match := pattern.search(text):
            return match.group(0)
    for match in _TEST.finditer(text):
        before = _tokens(text[: match.start()])[-1:]
        after = _tokens(text[match.end() :])[:1]
        if not (set(before) & _TEST_BEFORE or set(after) & _TEST_AFTER):
            return match.group(0)
    return None


# words that, alone with "test", make a name that is only filler: "Test", "Test Company", "My Test Inc"
_FILLER_NAME_WORDS = frozenset({
    "test", "testing", "demo", "sample", "my", "the", "a", "brand", "company", "co", "business", "inc",
    "llc", "ltd", "corp", "corporation", "account", "org",
})  # fmt: skip


def only_filler(name: str) -> bool:
    """Whether a brand name is nothing but "test" and generic words (a placeholder name)."""
    words = _tokens(name)
    return bool(words) and "test" in words and set(words) <= _FILLER_NAME_WORDS


# Content carriers treat as age-restricted (the "SHAFT" categories other than sex and hate, which
# are not allowed at all). Narrow on purpose: "gun" alone would catch a plumber's "nail gun".
AGE_GATED_WORDS: dict[str, tuple[str, ...]] = {
    "alcohol": ("alcohol", "alcoholic", "beer", "beers", "wine", "wines", "liquor", "vodka", "whiskey",
                "whisky", "tequila", "brewery", "winery", "cocktail", "cocktails"),
    "tobacco": ("tobacco", "cigar", "cigars", "cigarette", "cigarettes", "vape", "vapes", "vaping",
                "e-cigarette", "e-cigarettes", "nicotine", "hookah"),
    "cannabis": ("cannabis", "marijuana", "cbd", "thc", "dispensary"),
    "firearms": ("firearm", "firearms", "handgun", "handguns", "shotgun", "rifle", "rifles", "pistol",
                 "pistols", "ammo", "ammunition"),
    "gambling": ("gambling", "casino", "casinos", "betting", "sportsbook", "poker", "wager", "wagers"),
}  # fmt: skip


def age_gated(text: str) -> tuple[str, str] | None:
    """`(category, word)` for the first age-restricted word in `text`, or None."""
    for category, words in AGE_GATED_WORDS.items():
        if match := re.search(rf"\b(?:{'|'.join(map(re.escape, words))})\b", text, re.IGNORECASE):
            return category, match.group(0)
    return None
