"""Text clean-up before keyword extraction: HTML entities, tags, URLs and feed boilerplate.

News feeds carry escaped entities (``#39;`` for an apostrophe, ``&lt;b&gt;``) and tags that would
otherwise become "keywords"; embeddings also read cleaner text.

>>> clean_text("It #39;s over &lt;b&gt;now&lt;/b&gt; http://x.com")
"It's over now"
"""
from __future__ import annotations

import html
import re

_ENTITY = re.compile(r"(?<!&)#(\d{2,4});")
_TAG = re.compile(r"<[^>]{0,200}>")
_URL = re.compile(r"(?:https?://|www\.)\S+|\S+\.(?:com|net|org)\b", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def _entity(match: re.Match[str]) -> str:
    code = int(match.group(1))
    # 128-159 are Windows-1252 punctuation (dashes, quotes) in these feeds, not Unicode controls.
    return " " if 128 <= code < 160 or code >= 0x110000 else chr(code)


def clean_text(text: str) -> str:
    """Unescape entities (also the ``#39;`` form with its ``&`` lost), drop tags and URLs, squeeze spaces."""
    text = _ENTITY.sub(_entity, text)
    text = html.unescape(html.unescape(text.replace(" quot;", ' "').replace("quot;", '"')))
    text = _TAG.sub(" ", text)
    text = _URL.sub(" ", text)
    text = text.replace(" 's", "'s").replace(" 't", "'t").replace(" 'm", "'m")
    return _SPACE.sub(" ", text).strip()
