"""Undo the disguises that hide planted text from a pattern (and from a human reviewer).

:func:`normalise` turns one text into the *views* a detector scans:

- the visible text: Unicode NFKC (full-width and mathematical letters become ASCII),
  zero-width, bidi and other invisible characters removed, the delimiters of HTML and
  Markdown/Textile comments and collapsed blocks (``<!-- -->``, ``<details>``,
  ``{{collapse}}``) opened up so their content reads like any other text;
- the same text with look-alike Cyrillic and Greek letters folded to Latin (only made when
  the text has such letters: a Russian sentence stays readable in the visible view);
- hidden text: Unicode tag characters (U+E0000 block, invisible "ASCII smuggling") decoded,
  and base64, hex and percent-encoded runs that decode to readable text;
- letters spaced apart (``i g n o r e   a l l``) joined, and leetspeak (``1gn0r3``) read
  as letters, each only when the text has enough of it to be a disguise.

:func:`strip_invisible` is the cleaning every text sent to an LLM gets. The decoders run
only on runs that look encoded, so the common case (plain text) costs a few regex scans.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote

from rrag.guardrails.rules import thresholds

_T = thresholds()
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)
_TAG_RUN = re.compile("[\U000e0020-\U000e007e]{2,}")
_HIDING_MARKUP = re.compile(
    r"<!--|-->|</?(?:details|summary|span|div|font|p|small|sub|sup)\b[^>\n]{0,200}>"
    r"|\{\{\s*collapse(?:\([^)\n]{0,200}\))?|\{\{<?\s*/?\s*collapse\s*>?\}\}"
    r"|^\s*\[//\]:\s*#\s*|^###\.\s",
    re.IGNORECASE | re.MULTILINE,
)
_B64_MIN, _HEX_MIN = int(_T["base64_min_chars"]), int(_T["hex_min_chars"])
_BASE64_RUN = re.compile(
    rf"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{{{_B64_MIN},}}={{0,2}}(?![A-Za-z0-9+/=_-])"
)
_HEX_RUN = re.compile(
    rf"(?<![0-9A-Za-z])(?:[0-9A-Fa-f]{{2}}){{{_HEX_MIN // 2},}}(?![0-9A-Za-z])"
    rf"|(?:\\x[0-9A-Fa-f]{{2}}){{{_HEX_MIN // 4},}}"
)
_PERCENT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2}[^%\s]{0,3}){6,}")
_CONFUSABLE = re.compile("[\u0370-\u03ff\u0400-\u04ff\u0500-\u052f]")
_HOMOGLYPHS = str.maketrans(
    "аеорсухіјѕԁԛԝһӏкмтвнАВЕКМНОРСТХУІЈЅԜ"  # Cyrillic
    "αοριυνκεχτΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",  # Greek
    "aeopcyxijsdqwhlkmtbhABEKMHOPCTXYIJSWaopiuvkextABEZHIKMNOPTYX",
)
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class Normalised:
    """A text's views for the detectors, and the disguises undone to get them."""

    visible: str  # NFKC, invisible characters removed, comments opened
    latin_views: tuple[str, ...]  # for Latin-script rules: homoglyphs folded, hidden decoded
    native_views: tuple[str, ...]  # for Cyrillic / CJK rules: nothing folded
    scripts: frozenset[str]
    disguises: tuple[str, ...]
    smuggled_chars: int = 0  # length of the text hidden in Unicode tag characters


def strip_invisible(text: str) -> str:
    """``text`` without zero-width, bidi, tag and other invisible characters."""
    return _INVISIBLE.sub("", text)


def _readable(raw: bytes) -> str | None:
    """``raw`` as text if it reads as text (printable, mostly letters), else None."""
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(decoded) < 8:
        return None
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in decoded) / len(decoded)
    letters = sum(ch.isalpha() or ch.isspace() for ch in decoded) / len(decoded)
    if printable < _T["decoded_min_printable"] or letters < _T["decoded_min_letters"]:
        return None
    return decoded


def _b64(run: str) -> str | None:
    run = run.rstrip("=")
    if len(run) % 4 == 1:
        return None
    padded = run + "=" * (-len(run) % 4)
    try:
        return _readable(base64.b64decode(padded.replace("-", "+").replace("_", "/")))
    except (binascii.Error, ValueError):
        return None


def _hex(run: str) -> str | None:
    try:
        return _readable(bytes.fromhex(run.replace("\\x", "")))
    except ValueError:
        return None


def _decoded(text: str) -> list[tuple[str, str]]:
    """(disguise, decoded text) for every encoded run in ``text`` that decodes to text."""
    found: list[tuple[str, str]] = []
    budget = int(_T["max_decoded_runs"])
    for name, regex, decode in (
        ("base64", _BASE64_RUN, _b64),
        ("hex", _HEX_RUN, _hex),
        ("percent", _PERCENT_RUN, lambda run: _readable(unquote(run).encode())),
    ):
        for match in regex.finditer(text):
            if budget == 0:
                return found
            budget -= 1
            decoded = decode(match.group(0))
            if decoded is not None:
                found.append((name, decoded))
    return found


_SPACED_RUN = re.compile(r"(?<!\w)(?:\w {1,3}){7,}\w(?!\w)")
# cheap necessary conditions, tried first: most texts have neither disguise
_SPACED_HINT = re.compile(r" \w {1,3}\w {1,3}\w ")
_LEET_HINT = re.compile(r"[a-zA-Z][013457][a-zA-Z]")
_LEET_TOKEN = re.compile(r"\b(?=\w*[a-zA-Z])(?=\w*[013457])\w{3,}\b")
_WORD_TOKEN = re.compile(r"\b\w+\b")
_LEET = str.maketrans("013457", "oieast")
_HEXISH = re.compile(r"[0-9a-fA-F]+")  # hashes and ids, not words


def _unspaced(text: str) -> str | None:
    """``text`` with runs of letters spaced apart joined (word gaps kept), if it has any."""
    if not _SPACED_HINT.search(text) or not _SPACED_RUN.search(text):
        return None
    return _SPACED_RUN.sub(_join_spaced, text)


def _join_spaced(match: re.Match[str]) -> str:
    # one space between letters of a word, two or more between words
    return " ".join(word.replace(" ", "") for word in re.split(r" {2,}", match.group(0)))


def _unleet(text: str) -> str | None:
    """``text`` with digits read as letters, when a quarter of its words mix the two (three
    or more, one with a digit between letters: a version or a commit hash is not leetspeak)."""
    if not _LEET_HINT.search(text):
        return None
    mixed = sum(1 for t in _LEET_TOKEN.findall(text) if len(t) <= 20 and not _HEXISH.fullmatch(t))
    if mixed < 3 or mixed * 4 < len(_WORD_TOKEN.findall(text)):
        return None
    return text.translate(_LEET)


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))


def _scripts(text: str) -> frozenset[str]:
    found = {"latin"}
    if _CONFUSABLE.search(text):
        found.add("cyrillic")
    if _CJK.search(text):
        found.add("cjk")
    return frozenset(found)


def normalise(text: str) -> Normalised:
    """The views of ``text`` to scan (see the module docstring)."""
    disguises: list[str] = []
    hidden = ["".join(chr(ord(c) - 0xE0000) for c in m) for m in _TAG_RUN.findall(text)]
    if hidden:
        disguises.append("tag_characters")
    visible = _clean(text)
    if len(visible) != len(unicodedata.normalize("NFKC", text)):
        disguises.append("invisible_characters")
    opened = _HIDING_MARKUP.sub(" ", visible)
    if opened != visible:
        disguises.append("hidden_markup")
    native = [opened, *hidden]
    for name, decoded in _decoded(opened):
        disguises.append(name)
        native.append(_clean(decoded))
    latin = [v.translate(_HOMOGLYPHS) if _CONFUSABLE.search(v) else v for v in native]
    if latin != native:
        disguises.append("homoglyphs")
    for name, undo in (("spaced_letters", _unspaced), ("leetspeak", _unleet)):
        undone = [u for u in map(undo, latin) if u is not None]
        if undone:
            disguises.append(name)
            latin += undone
    scripts = _scripts(" ".join(native))
    smuggled = sum(len(h) for h in hidden)
    return Normalised(visible, tuple(latin), tuple(native), scripts, tuple(disguises), smuggled)


__all__ = ["Normalised", "normalise", "strip_invisible"]
