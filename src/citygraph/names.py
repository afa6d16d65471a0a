"""Name matching for reconciliation: normalisation, transliteration and a similarity score.

A name in any script is brought to one comparable key: Unicode NFKD, combining marks dropped
(accents), case folded, transliterated to ASCII by ``anyascii`` (Cyrillic, Hebrew, Han, … —
``Ростов-на-Дону`` → ``rostov na donu``, ``西安`` → ``xian``), apostrophes removed
(``Xi’an`` = ``Xian``) and every other punctuation mark a space.

>>> normalise("Rostov-on-Don")
'rostov on don'
>>> normalise("Xi’an") == normalise("西安") == normalise("XIAN")
True
>>> normalise("Mönchengladbach") == normalise("Monchengladbach")
True
>>> score("Cluj-Napoca", "cluj napoca"), score("Cluj", "Cluj-Napoca") < 100
(100.0, True)
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii
from rapidfuzz import fuzz

#: Apostrophes and similar marks that join the parts of one word (Xi'an, Xi’an, Xiʼan).
_JOINERS = re.compile(r"['’ʼ`´‘ʻ]")
#: Everything that is neither a letter nor a digit, after transliteration.
_SEPARATORS = re.compile(r"[^0-9a-z]+")

#: The score of a name that is equal to the query after normalisation.
EXACT = 100.0


def normalise(text: str) -> str:
    """The comparison key of a name: accent-, case-, script- and punctuation-insensitive."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    ascii_text = anyascii(_JOINERS.sub("", bare.casefold())).casefold()
    return _SEPARATORS.sub(" ", _JOINERS.sub("", ascii_text)).strip()


def compact(key: str) -> str:
    """A normalised key without spaces (``cluj napoca`` = ``clujnapoca``)."""
    return key.replace(" ", "")


def score_keys(query: str, name: str) -> float:
    """The similarity (0–100) of two normalised keys: 100 only when they are equal (spaces
    aside); otherwise the mean of the edit-distance ratio and the token-set ratio (so a query
    that is one word of a longer name scores high, but below an exact match and below a short
    name it nearly equals)."""
    if not query or not name:
        return 0.0
    if query == name or compact(query) == compact(name):
        return EXACT
    ratio = max(fuzz.ratio(query, name), fuzz.ratio(compact(query), compact(name)))
    tokens = fuzz.token_set_ratio(query, name)
    return round(min(99.0, (ratio + tokens) / 2), 2)


def score(query: str, name: str) -> float:
    """The similarity (0–100) of a query and a name, both given as written."""
    return score_keys(normalise(query), normalise(name))


def starts(key: str, prefix: str) -> int:
    """How well a normalised name answers a typed prefix: 2 when the name starts with it, 1 when
    one of its later words does, 0 otherwise (for autocompletion).

    >>> starts("technische universitat dortmund", "dortm"), starts("tu dortmund", "tu d")
    (1, 2)
    """
    if not prefix:
        return 0
    if key.startswith(prefix) or compact(key).startswith(compact(prefix)):
        return 2
    return 1 if (" " + prefix) in (" " + key) else 0
