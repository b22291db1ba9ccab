"""Search's text library, kept free of Django so it can be used and tested on its own.

Everything search does with text alone, before any database is asked:

* :mod:`~lightbox.search.text.words`: how text is cut into words (:func:`tokenize`), one
  rule for the index and for what is searched for;
* :mod:`~lightbox.search.text.query`: the search box language, parsed into a tree
  (:func:`parse`), written back as canonical text (:func:`describe`);
* :mod:`~lightbox.search.text.compiler`: that tree compiled for SQLite FTS5 and for
  PostgreSQL full text (:func:`compile_query`; :func:`compile_for` with Lightbox's
  columns);
* :mod:`~lightbox.search.text.snippets`: the stretch of a text that shows why it matched,
  as HTML (:func:`snippet`, :func:`best`);
* :mod:`~lightbox.search.text.embeddings`: sentence embeddings (all-MiniLM-L6-v2 on
  onnxruntime) and their cosines (:func:`embed`, :func:`cosine`);
* :mod:`~lightbox.search.text.forms`: the key every form of a word shares (singular,
  American spelling, stemmed: :func:`key`), which the index stores beside each word;
* :mod:`~lightbox.search.text.abbreviations`: the one table of abbreviations (grading's
  too), and report abbreviations written out (:func:`expand`);
* :mod:`~lightbox.search.text.spelling`: "did you mean", the closest known word
  (:func:`closest`).

The contract: these modules import the standard library and third-party packages only,
never Django and never a Lightbox app, and keep no state but caches. What only the
database knows (the index's columns and vocabulary, who may see a case, stored vectors)
is the caller's, :mod:`lightbox.search`, to pass in. Each module's examples run as
doctests (``pytest --doctest-modules lightbox/search/text``).

Examples
--------
>>> query = parse('diagnosis:Paget "bone scan" -osteo*')
>>> describe(query)
'diagnosis:paget AND "bone scan" AND NOT osteo*'
>>> print(compile_for(query).fts5)  # each word or phrase by its keys (forms.py)
(diagnosis:"zqzpaget" AND "zqzbone zqzscan") NOT "osteo"*
>>> print(snippet("Paget disease, seen on a bone scan.", terms(query)))
<mark>Paget</mark> disease, seen on a <mark>bone</mark> <mark>scan</mark>.
"""

from lightbox.search.text.abbreviations import expand
from lightbox.search.text.compiler import CompiledQuery, compile_for, compile_query
from lightbox.search.text.embeddings import (
    EmbeddingModelMissing,
    cosine,
    embed,
    embed_one,
    from_bytes,
    to_bytes,
)
from lightbox.search.text.query import (
    FIELDS,
    FILTER_FIELDS,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_TERMS,
    And,
    Field,
    Filter,
    Node,
    Not,
    Or,
    Phrase,
    Query,
    QuerySyntaxError,
    Term,
    describe,
    parse,
    prefixes,
    replace_words,
    terms,
)
from lightbox.search.text.snippets import best, snippet
from lightbox.search.text.spelling import closest
from lightbox.search.text.words import tokenize

__all__ = [
    "FIELDS",
    "FILTER_FIELDS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_TERMS",
    "And",
    "CompiledQuery",
    "EmbeddingModelMissing",
    "Field",
    "Filter",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "Query",
    "QuerySyntaxError",
    "Term",
    "best",
    "closest",
    "compile_for",
    "compile_query",
    "cosine",
    "describe",
    "embed",
    "embed_one",
    "expand",
    "from_bytes",
    "parse",
    "prefixes",
    "replace_words",
    "snippet",
    "terms",
    "to_bytes",
    "tokenize",
]
