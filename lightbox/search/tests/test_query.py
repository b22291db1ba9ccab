"""The search query language: parsing, compiling for FTS5 and PostgreSQL, and bad input.

Plain pytest, no Django. Compiled FTS5 strings are run against a real in-memory SQLite
FTS5 table; tsquery strings against PostgreSQL when it is reachable (required under
CI=true).
"""

import doctest
import os
import random
import sqlite3
import time
from collections.abc import Iterator

import pytest

from lightbox.search.text import (
    FIELDS,
    FILTER_FIELDS,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_TERMS,
    And,
    CompiledQuery,
    Field,
    Filter,
    Not,
    Or,
    Phrase,
    Query,
    QuerySyntaxError,
    Term,
    compile_query,
    describe,
    parse,
    terms,
    tokenize,
)
from lightbox.search.text import query as query_module

TEXT_FIELDS = [name for name in FIELDS if name not in FILTER_FIELDS]
COLUMNS = {name: [name] for name in TEXT_FIELDS}
COLUMNS["history"] = ["brief_history", "full_history"]
WEIGHTS = {
    "diagnosis": "A",
    "title": "A",
    "findings": "B",
    "keyword": "B",
    "code": "A",
    "agent": "B",
    "topic": "B",
    "history": "C",
    "discussion": "C",
    "caption": "D",
    "author": "D",
}
ALL_COLUMNS = sorted({column for names in COLUMNS.values() for column in names})


def compiled(text: str) -> CompiledQuery:
    return compile_query(parse(text), COLUMNS, WEIGHTS)


@pytest.fixture(scope="module")
def fts5() -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE t USING fts5({', '.join(ALL_COLUMNS)})")
    placeholders = ", ".join("?" * len(ALL_COLUMNS))
    # the column names are this module's constants
    sql = f"INSERT INTO t ({', '.join(ALL_COLUMNS)}) VALUES ({placeholders})"  # noqa: S608
    db.execute(sql, ["bone scan tc 99m mdp paget"] * len(ALL_COLUMNS))
    yield db
    db.close()


def run_fts5(db: sqlite3.Connection, match: str) -> list[int]:
    return [row[0] for row in db.execute("SELECT rowid FROM t WHERE t MATCH ?", (match,))]


@pytest.fixture(scope="module")
def postgres() -> Iterator[object]:
    """A PostgreSQL connection, or a skip; under CI=true an unreachable server fails."""
    url = os.environ.get("LIGHTBOX_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        import psycopg

        connection = psycopg.connect(url, autocommit=True, connect_timeout=5)
    except Exception as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true needs PostgreSQL at {url}: {error}")
        pytest.skip(f"PostgreSQL not reachable at {url}: {error}")
    yield connection
    connection.close()


def run_tsquery(connection: object, tsquery: str) -> str:
    row = connection.execute("SELECT to_tsquery('english', %s)::text", (tsquery,)).fetchone()  # type: ignore[attr-defined]
    return str(row[0])


# --- Valid queries: what each compiles to ----------------------------------------------------

# (typed, FTS5, tsquery) with COLUMNS and WEIGHTS above
VALID = [
    # words, case, implicit AND
    ("osteomyelitis", '"osteomyelitis"', "osteomyelitis"),
    ("Osteomyelitis", '"osteomyelitis"', "osteomyelitis"),
    ("OSTEOMYELITIS", '"osteomyelitis"', "osteomyelitis"),
    ("bone scan metastases", '"bone" AND "scan" AND "metastases"', "bone & scan & metastases"),
    ("  bone   scan  ", '"bone" AND "scan"', "bone & scan"),
    # phrases
    ('"superscan pattern"', '"superscan pattern"', "superscan <-> pattern"),
    ('"Superscan  Pattern"', '"superscan pattern"', "superscan <-> pattern"),
    ('"bone"', '"bone"', "bone"),
    # prefixes
    ("osteo*", '"osteo"*', "osteo:*"),
    ("osteo**", '"osteo"*', "osteo:*"),
    ("OSTEO*", '"osteo"*', "osteo:*"),
    ("os*", '"os"*', "os:*"),
    ('"bone sc"*', '"bone sc"*', "bone <-> sc:*"),
    # tokenisation: hyphens, apostrophes, accents, compatibility forms
    ("Tc-99m", '"tc 99m"', "tc <-> 99m"),
    ("L4-L5", '"l4 l5"', "l4 <-> l5"),
    ("tc-99m*", '"tc 99m"*', "tc <-> 99m:*"),
    ("Paget's", '"pagets"', "pagets"),
    ("O'Brien", '"obrien"', "obrien"),
    ("O’Brien", '"obrien"', "obrien"),
    ("Pagét", '"paget"', "paget"),
    ("ＣＴ", '"ct"', "ct"),
    ("ﬁbrous", '"fibrous"', "fibrous"),
    ("naïve", '"naive"', "naive"),
    ("Straße", '"strasse"', "strasse"),
    ("Sjögren", '"sjogren"', "sjogren"),
    ("bone^2", '"bone 2"', "bone <-> 2"),
    # boolean operators and precedence
    ("bone AND scan", '"bone" AND "scan"', "bone & scan"),
    ("bone OR scan", '"bone" OR "scan"', "bone | scan"),
    ("bone NOT scan", '"bone" NOT "scan"', "bone & !scan"),
    ("bone -scan", '"bone" NOT "scan"', "bone & !scan"),
    ("bone AND NOT scan", '"bone" NOT "scan"', "bone & !scan"),
    ("bone scan OR liver", '("bone" AND "scan") OR "liver"', "(bone & scan) | liver"),
    ("bone OR scan liver", '"bone" OR ("scan" AND "liver")', "bone | (scan & liver)"),
    ("bone OR scan AND liver", '"bone" OR ("scan" AND "liver")', "bone | (scan & liver)"),
    ("(bone OR scan) liver", '("bone" OR "scan") AND "liver"', "(bone | scan) & liver"),
    ("bone (scan OR liver)", '"bone" AND ("scan" OR "liver")', "bone & (scan | liver)"),
    ("bone -scan -liver", '"bone" NOT ("scan" OR "liver")', "bone & !scan & !liver"),
    ("NOT scan bone", '"bone" NOT "scan"', "!scan & bone"),
    ("-scan bone", '"bone" NOT "scan"', "!scan & bone"),
    ("--scan bone", '"scan" AND "bone"', "scan & bone"),
    ("NOT NOT bone", '"bone"', "bone"),
    ("bone AND (scan OR NOT liver)", '"bone" NOT ("liver" NOT "scan")', "bone & (scan | !liver)"),
    ("bone OR (scan -liver)", '"bone" OR ("scan" NOT "liver")', "bone | (scan & !liver)"),
    ("bone NOT (scan OR liver)", '"bone" NOT ("scan" OR "liver")', "bone & !(scan | liver)"),
    ("bone NOT (scan NOT liver)", '"bone" NOT ("scan" NOT "liver")', "bone & !(scan & !liver)"),
    ("bone -(scan liver)", '"bone" NOT ("scan" AND "liver")', "bone & !(scan & liver)"),
    (
        'bone -"superscan pattern"',
        '"bone" NOT "superscan pattern"',
        "bone & !(superscan <-> pattern)",
    ),
    ("((bone))", '"bone"', "bone"),
    ("(bone scan) liver", '"bone" AND "scan" AND "liver"', "bone & scan & liver"),
    # lower-case keywords are words
    ("a and b", '"a" AND "and" AND "b"', "a & and & b"),
    ("bone or not scan", '"bone" AND "or" AND "not" AND "scan"', "bone & or & not & scan"),
    ("And Or Not", '"and" AND "or" AND "not"', "and & or & not"),
    # fields
    ("diagnosis:paget", 'diagnosis:"paget"', "paget:A"),
    ("DIAGNOSIS:paget", 'diagnosis:"paget"', "paget:A"),
    ("Diagnosis:Paget", 'diagnosis:"paget"', "paget:A"),
    ("diagnosis: paget", 'diagnosis:"paget"', "paget:A"),
    ('diagnosis:"paget disease"', 'diagnosis:"paget disease"', "paget:A <-> disease:A"),
    ("diagnosis:(paget OR fibrous)", 'diagnosis:("paget" OR "fibrous")', "paget:A | fibrous:A"),
    ("diagnosis:paget*", 'diagnosis:"paget"*', "paget:*A"),
    ("findings:superscan", 'findings:"superscan"', "superscan:B"),
    ("history:pain", '{brief_history full_history}:"pain"', "pain:C"),
    ("discussion:sclerotic", 'discussion:"sclerotic"', "sclerotic:C"),
    ("title:superscan", 'title:"superscan"', "superscan:A"),
    ("caption:anterior", 'caption:"anterior"', "anterior:D"),
    ("keyword:skeleton", 'keyword:"skeleton"', "skeleton:B"),
    ("author:smith", 'author:"smith"', "smith:D"),
    ("agent:MDP", 'agent:"mdp"', "mdp:B"),
    ('agent:"Tc-99m MDP"', 'agent:"tc 99m mdp"', "tc:B <-> 99m:B <-> mdp:B"),
    ("agent:Tc-99m", 'agent:"tc 99m"', "tc:B <-> 99m:B"),
    ("topic:oncology", 'topic:"oncology"', "oncology:B"),
    ("title:(bone -scan)", 'title:("bone" NOT "scan")', "bone:A & !scan:A"),
    ("title:(NOT scan) bone", '"bone" NOT title:"scan"', "!scan:A & bone"),
    ("-title:scan bone", '"bone" NOT title:"scan"', "!scan:A & bone"),
    (
        "bone title:scan OR diagnosis:paget",
        '("bone" AND title:"scan") OR diagnosis:"paget"',
        "(bone & scan:A) | paget:A",
    ),
    ("title:author:x", 'title:"author x"', "author:A <-> x:A"),
    # filters leave the text alone
    ("bone modality:NM", '"bone"', "bone"),
    ("modality:NM acr:4* bone", '"bone"', "bone"),
    ("bone NOT acr:4.5", '"bone"', "bone"),
    ("bone -modality:CT scan", '"bone" AND "scan"', "bone & scan"),
    # FTS5 syntax and punctuation typed as text
    ("NEAR(bone scan)", '"near" AND "bone" AND "scan"', "near & bone & scan"),
    ("bone & scan", '"bone" AND "scan"', "bone & scan"),
    ("bone * scan", '"bone" AND "scan"', "bone & scan"),
    ("bone - scan", '"bone" AND "scan"', "bone & scan"),
    ("*bone", '"bone"', "bone"),
    ("bo*ne", '"bo ne"', "bo <-> ne"),
    (":bone", '"bone"', "bone"),
    ("12:30", '"12 30"', "12 <-> 30"),
    ('x"y"', '"x" AND "y"', "x & y"),
    ("'; DROP TABLE cases; --", '"drop" AND "table" AND "cases"', "drop & table & cases"),
    ("50%", '"50"', "50"),
    # what PostgreSQL cannot take is left out of the tsquery only
    ("α-fetoprotein", '"α fetoprotein"', "fetoprotein"),
    ("ελληνικά bone", '"ελληνικα" AND "bone"', "bone"),
    ('"a α b"', '"a α b"', "a <2> b"),
    ("ελληνικά", '"ελληνικα"', None),
    ("ελληνικά NOT bone", '"ελληνικα" NOT "bone"', None),
]


@pytest.mark.parametrize(("text", "fts5_expected", "tsquery_expected"), VALID)
def test_it_compiles_valid_queries(
    text: str, fts5_expected: str, tsquery_expected: str | None
) -> None:
    result = compiled(text)
    assert result.fts5 == fts5_expected
    assert result.tsquery == tsquery_expected


@pytest.mark.parametrize(("text", "fts5_expected", "tsquery_expected"), VALID)
def test_valid_queries_run_on_sqlite(
    fts5: sqlite3.Connection, text: str, fts5_expected: str, tsquery_expected: str | None
) -> None:
    run_fts5(fts5, fts5_expected)


def test_valid_queries_run_on_postgresql(postgres: object) -> None:
    for _, _, tsquery in VALID:
        if tsquery is not None:
            run_tsquery(postgres, tsquery)


def test_the_table_is_big_enough() -> None:
    assert len(VALID) >= 60
    assert len(INVALID) >= 30


@pytest.mark.parametrize("text", [row[0] for row in VALID])
def test_describe_gives_back_the_same_query(text: str) -> None:
    query = parse(text)
    assert parse(describe(query)) == query


# --- Precedence ------------------------------------------------------------------------------


def test_not_binds_tighter_than_and_and_and_tighter_than_or() -> None:
    assert parse("a b OR c NOT d").root == Or(
        (And((Term("a"), Term("b"))), And((Term("c"), Not(Term("d")))))
    )


def test_implicit_and_is_the_same_as_and() -> None:
    assert parse("bone scan").root == parse("bone AND scan").root


def test_parentheses_group() -> None:
    assert parse("a (b OR c)").root == And((Term("a"), Or((Term("b"), Term("c")))))


def test_nested_ands_and_ors_are_flattened() -> None:
    assert parse("(a b) (c d)").root == And(tuple(map(Term, "abcd")))
    assert parse("(a OR b) OR (c OR d)").root == Or(tuple(map(Term, "abcd")))


def test_minus_is_not() -> None:
    assert parse("a -b").root == parse("a NOT b").root


def test_a_minus_inside_a_word_is_a_hyphen() -> None:
    assert parse("tc-99m").root == Phrase(("tc", "99m"))


def test_describe_shows_the_precedence() -> None:
    assert describe(parse("a b OR c -d")) == "(a AND b) OR (c AND NOT d)"
    assert describe(parse("a (b OR c)")) == "a AND (b OR c)"
    assert describe(parse("a -(b OR c)")) == "a AND NOT (b OR c)"


# --- Fields ----------------------------------------------------------------------------------


def test_fields_lists_every_field_with_a_description() -> None:
    assert set(FIELDS) == {
        "diagnosis",
        "findings",
        "history",
        "discussion",
        "title",
        "caption",
        "keyword",
        "code",
        "author",
        "agent",
        "acr",
        "modality",
        "topic",
    }
    assert all(isinstance(text, str) and text for text in FIELDS.values())
    assert {"acr", "modality"} == FILTER_FIELDS


def test_field_names_are_case_insensitive() -> None:
    assert parse("DiAgNoSiS:paget").root == Field("diagnosis", Term("paget"))


def test_a_field_applies_to_one_term() -> None:
    assert parse("diagnosis:paget disease").root == And(
        (Field("diagnosis", Term("paget")), Term("disease"))
    )


def test_a_field_applies_to_a_group() -> None:
    assert parse("diagnosis:(paget OR fibrous)").root == Field(
        "diagnosis", Or((Term("paget"), Term("fibrous")))
    )


def test_unknown_fields_list_the_known_ones() -> None:
    with pytest.raises(QuerySyntaxError) as error:
        parse("bone diagnosys:paget")
    assert error.value.position == 5
    assert "diagnosys:" in error.value.message
    for name in FIELDS:
        assert name in error.value.message


def test_every_text_field_compiles_to_its_columns() -> None:
    for name in TEXT_FIELDS:
        result = compiled(f"{name}:bone")
        columns = COLUMNS[name]
        expected = columns[0] if len(columns) == 1 else "{" + " ".join(columns) + "}"
        assert result.fts5 == f'{expected}:"bone"'
        assert result.tsquery == f"bone:{WEIGHTS[name]}"


def test_odd_column_names_are_quoted() -> None:
    query = parse("title:bone")
    assert compile_query(query, {"title": ["NEAR"]}).fts5 == '"NEAR":"bone"'
    assert compile_query(query, {"title": ['a"b', "c d"]}).fts5 == '{"a""b" "c d"}:"bone"'


def test_without_weights_fields_are_not_restricted_in_postgresql() -> None:
    assert compile_query(parse("title:bone scan"), COLUMNS).tsquery == "bone & scan"


def test_several_weights_and_no_weight() -> None:
    query = parse("title:bone* diagnosis:scan")
    result = compile_query(query, COLUMNS, {"title": "ba", "diagnosis": ""})
    assert result.tsquery == "bone:*AB & scan"


def test_a_field_missing_from_the_mappings_is_the_callers_mistake() -> None:
    with pytest.raises(ValueError, match="no FTS5 columns given for the field 'title'"):
        compile_query(parse("title:bone"), {})
    with pytest.raises(ValueError, match="no FTS5 columns given for the field 'title'"):
        compile_query(parse("title:bone"), {"title": "title"})
    with pytest.raises(ValueError, match="no tsvector weight given for the field 'title'"):
        compile_query(parse("title:bone"), COLUMNS, {})
    with pytest.raises(ValueError, match="must be letters A to D"):
        compile_query(parse("title:bone"), COLUMNS, {"title": "E"})


# --- Filters ---------------------------------------------------------------------------------

# (typed, filters)
FILTERS = [
    ("acr:4.5", [Filter("acr", "4.5")]),
    ("acr:642.3212", [Filter("acr", "642.3212")]),
    ("acr:4*", [Filter("acr", "4", prefix=True)]),
    ("acr:41.*", [Filter("acr", "41.", prefix=True)]),
    ('acr:"4.5"', [Filter("acr", "4.5")]),
    ("ACR:４.５", [Filter("acr", "4.5")]),
    ("modality:NM", [Filter("modality", "NM")]),
    ("modality:nm", [Filter("modality", "NM")]),
    ("modality: ct", [Filter("modality", "CT")]),
    ("modality:NM acr:4*", [Filter("modality", "NM"), Filter("acr", "4", prefix=True)]),
    ("bone NOT modality:CT", [Filter("modality", "CT", negated=True)]),
    ("bone -acr:4.5", [Filter("acr", "4.5", negated=True)]),
    ("bone NOT NOT modality:CT", [Filter("modality", "CT")]),
    ("bone NOT (modality:CT)", [Filter("modality", "CT", negated=True)]),
    ("(bone modality:NM) acr:4*", [Filter("modality", "NM"), Filter("acr", "4", prefix=True)]),
]


@pytest.mark.parametrize(("text", "expected"), FILTERS)
def test_it_pulls_out_filters(text: str, expected: list[Filter]) -> None:
    assert compiled(text).filters == expected


def test_a_query_of_only_filters_has_no_text() -> None:
    result = compiled("modality:NM acr:4* -acr:4.5")
    assert (result.fts5, result.tsquery) == (None, None)
    assert len(result.filters) == 3


def test_filters_are_marked_in_the_tree() -> None:
    assert parse("bone -modality:ct").root == And(
        (Term("bone"), Filter("modality", "CT", negated=True))
    )


def test_filters_are_not_terms() -> None:
    assert terms(parse("bone modality:NM acr:4.5")) == ["bone"]


def test_filters_are_described() -> None:
    assert describe(parse("bone -acr:41.* modality:nm")) == (
        "bone AND NOT acr:41.* AND modality:NM"
    )


# --- Tokenisation ----------------------------------------------------------------------------

TOKENS = [
    ("Osteomyelitis", ["osteomyelitis"]),
    ("Tc-99m MDP", ["tc", "99m", "mdp"]),
    ("L4-L5", ["l4", "l5"]),
    ("Paget's disease", ["pagets", "disease"]),
    ("Paget’s", ["pagets"]),
    ("Pagét", ["paget"]),
    ("PAGÉT", ["paget"]),
    ("Pag\u0065\u0301t", ["paget"]),  # e + combining acute
    ("Sjögren", ["sjogren"]),
    ("Straße", ["strasse"]),
    ("Børresen Łódź Æther", ["borresen", "lodz", "aether"]),
    ("ＭＤＰ　１２", ["mdp", "12"]),  # full-width letters and space
    ("ﬁbrous", ["fibrous"]),
    ("½", ["1", "2"]),
    ("osteo\u00admyelitis", ["osteomyelitis"]),  # soft hyphen
    ("bo\u200bne", ["bone"]),  # zero-width space
    ("bone\x00scan", ["bone", "scan"]),
    ("bone_scan", ["bone", "scan"]),
    ("3.2 cm", ["3", "2", "cm"]),
    ("🦴 bone 🦴", ["bone"]),
    ("α-fetoprotein", ["α", "fetoprotein"]),
    ("İstanbul", ["istanbul"]),
    ("", []),
    ("--- *** ???", []),
]


@pytest.mark.parametrize(("text", "expected"), TOKENS)
def test_it_tokenises_like_the_index(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


def test_hyphenated_terms_are_phrases_of_their_parts() -> None:
    assert parse("Tc-99m").root == Phrase(("tc", "99m"))
    assert parse("L4-L5").root == Phrase(("l4", "l5"))


def test_accents_are_folded_in_queries() -> None:
    assert parse("Pagét").root == parse("paget").root


def test_a_one_word_phrase_is_a_term() -> None:
    assert parse('"Bone"').root == Term("bone")
    assert parse('"bone"*').root == Term("bone", prefix=True)


# --- Invalid queries -------------------------------------------------------------------------

# (typed, message, position)
INVALID = [
    ("", "type something to search for", 0),
    ("   \t\n", "type something to search for", 0),
    ("& * ---", "type some letters or digits to search for", 0),
    ("bone AND", "AND needs something to search for after it", 5),
    ("bone OR", "OR needs something to search for after it", 5),
    ("bone NOT", "NOT needs something to search for after it", 5),
    ("AND bone", "AND needs something to search for before it", 0),
    ("OR bone", "OR needs something to search for before it", 0),
    ("bone OR OR scan", "OR needs something to search for after it", 5),
    ("bone AND OR scan", "AND needs something to search for after it", 5),
    ("(bone AND)", "AND needs something to search for after it", 6),
    ("(OR bone)", "OR needs something to search for before it", 1),
    ("x AND -", "AND needs something to search for after it", 2),
    ("()", "() has nothing inside to search for", 0),
    ("bone ( )", "() has nothing inside to search for", 5),
    ("bone (&)", "() has nothing inside to search for", 5),
    ("(bone", "this ( is never closed", 0),
    ("((bone) scan", "this ( is never closed", 0),
    ("bone (scan (liver)", "this ( is never closed", 5),
    ("bone)", "this ) has no matching (", 4),
    ("(bone))", "this ) has no matching (", 6),
    ('"bone', 'this " is never closed', 0),
    ('"bone" "scan', 'this " is never closed', 7),
    ('bo"ne', 'this " is never closed', 2),
    ("diagnosis:", "diagnosis: needs a word, phrase or group after it", 0),
    ("bone diagnosis:", "diagnosis: needs a word, phrase or group after it", 5),
    ('title:""', "title: needs a word, phrase or group after it", 0),
    ("title:&", "title: needs a word, phrase or group after it", 0),
    ("title: & bone", "title: needs a word, phrase or group after it", 0),
    ("title: -bone", "title: needs a word, phrase or group after it", 0),
    ("title: OR bone", "title: needs a word, phrase or group after it", 0),
    ("title:()", "() has nothing inside to search for", 6),
    ("title:(author:smith)", "title: cannot contain another field (author:)", 7),
    ("title:(bone acr:4.5)", "title: cannot contain another field (acr:)", 12),
    ("foo:bar", f"unknown field foo: (fields are {', '.join(sorted(FIELDS))})", 0),
    ("bone Foo:bar", f"unknown field Foo: (fields are {', '.join(sorted(FIELDS))})", 5),
    ("NOT x", "a search needs at least one thing to find", 0),
    ("-x", "a search needs at least one thing to find", 0),
    ("-x -y", "a search needs at least one thing to find", 0),
    ("NOT (x OR y)", "a search needs at least one thing to find", 0),
    ("NOT x OR NOT y", "a search needs at least one thing to find", 0),
    ("title:(NOT x)", "a search needs at least one thing to find", 0),
    ("NOT modality:CT", "a search needs at least one thing to find", 0),
    ("-acr:4* -modality:CT", "a search needs at least one thing to find", 0),
    (
        "modality:NM -bone",
        "NOT needs a word or phrase to find alongside it, not only acr: or modality:",
        12,
    ),
    ("bone OR NOT x", "NOT inside OR would find nearly everything: did you mean AND NOT?", 8),
    ("bone OR -x", "NOT inside OR would find nearly everything: did you mean AND NOT?", 8),
    (
        "NOT (x AND NOT y)",
        "this NOT would find nearly everything: put what you want to find outside it",
        0,
    ),
    ("bone OR modality:NM", "acr: and modality: can be combined with AND or NOT, not OR", 8),
    ("modality:NM OR bone", "acr: and modality: can be combined with AND or NOT, not OR", 0),
    ("bone (scan OR acr:4*)", "acr: and modality: can be combined with AND or NOT, not OR", 14),
    (
        "modality:NM OR modality:CT",
        "acr: and modality: can be combined with AND or NOT, not OR",
        0,
    ),
    (
        "bone NOT (modality:CT scan)",
        "acr: and modality: can only be negated on their own, e.g. NOT modality:CT",
        10,
    ),
    ("acr:x", "acr: needs an ACR code such as 4.5, 4* or 41.*", 4),
    ("acr:4.5.6", "acr: needs an ACR code such as 4.5, 4* or 41.*", 4),
    ("acr:*", "acr: needs an ACR code such as 4.5, 4* or 41.*", 4),
    ("acr:(4.5)", "acr: needs an ACR code such as 4.5, 4* or 41.*", 4),
    ("acr:", "acr: needs a word, phrase or group after it", 0),
    ("modality:N*", "modality: needs a modality code such as NM or CT", 9),
    ("modality:PT/CT", "modality: needs a modality code such as NM or CT", 9),
    ("a*", "a prefix search needs at least 2 letters or digits before the *", 0),
    ("bone é*", "a prefix search needs at least 2 letters or digits before the *", 5),
    ('"bone a"*', "a prefix search needs at least 2 letters or digits before the *", 0),
    ("title:a*", "a prefix search needs at least 2 letters or digits before the *", 6),
    ("x" * 501, "a search can be at most 500 characters", 500),
    ("(" * 10_000, "a search can be at most 500 characters", 500),
    ("(" * 11 + "x" + ")" * 11, "parentheses can be nested at most 10 deep", 10),
    (" ".join(["bone"] * 51), "a search can have at most 50 terms", 250),
    ("bone " + "acr:4 " * 50, "a search can have at most 50 terms", 5 + 6 * 49),
]


@pytest.mark.parametrize(("text", "message", "position"), INVALID)
def test_it_refuses_invalid_queries(text: str, message: str, position: int) -> None:
    with pytest.raises(QuerySyntaxError) as error:
        parse(text)
    assert error.value.message == message
    assert str(error.value) == message
    assert error.value.position == position
    assert "\n" not in message


def test_limits_are_inclusive() -> None:
    parse("x" * MAX_LENGTH)
    parse("(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH)
    parse(" ".join(["bone"] * MAX_TERMS))


def test_it_needs_a_str() -> None:
    with pytest.raises(TypeError, match="needs text as a str"):
        parse(b"bone")  # type: ignore[arg-type]


def test_a_query_built_by_hand_is_checked_too() -> None:
    with pytest.raises(QuerySyntaxError, match="at least one thing"):
        Query(Not(Term("bone")))
    with pytest.raises(QuerySyntaxError, match="not OR"):
        Query(Or((Term("bone"), Filter("modality", "NM"))))
    with pytest.raises(QuerySyntaxError, match="cannot contain another field"):
        Query(Field("title", Field("author", Term("smith"))))
    with pytest.raises(QuerySyntaxError, match="inside parentheses"):
        Query(And((Term("bone"), And((Term("scan"), Filter("acr", "4"))))))


# --- Hostile input ---------------------------------------------------------------------------


def parse_or_error(text: str) -> Query | QuerySyntaxError:
    try:
        return parse(text)
    except QuerySyntaxError as error:
        return error


HOSTILE = [
    "(" * 10_000,
    ")" * 10_000,
    "(" * 250 + ")" * 250,
    '"' * 500,
    '"' * 499,
    "-" * 500,
    "-" * 499 + "x",
    "NOT " * 124 + "x",
    "NOT " * 125,
    "*" * 500,
    "a" * 500,
    "x*" * 250,
    "\x00" * 500,
    "bone\x00scan",
    "bone\x00",
    "\x00AND\x00bone",
    "\x01\x02\x03\x1b[31mbone\x7f\x9f",
    "bone\r\nscan\tliver\x0b\x0c",
    "🦴🦴🦴",
    "🦴 bone 🦴",
    "bone🦴scan",
    "👨‍⚕️ radiologist",
    "\ud800bone",
    "\ufeffbone",
    "\u202ebone\u202c",
    'bo"ne',
    'bo""ne',
    '"bo""ne"',
    '"bone" "',
    '""',
    '"" bone',
    '"\\"bone"',
    "bone\\",
    "NEAR",
    "NEAR(bone scan, 5)",
    "NEAR/5",
    "bone NEAR scan",
    "^bone",
    "bone ^ scan",
    "^",
    ":",
    "::",
    "bone:",
    ":bone",
    "title::bone",
    "title:::",
    "title:*",
    "*",
    "**",
    "bone*scan*",
    "* bone",
    "bone **",
    "-",
    "- bone",
    "bone -",
    "bone -*",
    "'; DROP TABLE cases; --",
    "bone' OR '1'='1",
    "'; SELECT * FROM t WHERE t MATCH 'x'; --",
    "%' OR 1=1 --",
    "bone & scan | !liver",
    "bone <-> scan",
    "bone:*A",
    "{title diagnosis}:bone",
    "title : bone",
    "AND",
    "OR",
    "NOT",
    "AND OR NOT",
    "bone AND AND scan",
    "bone NOT NOT NOT scan",
    "((((((((((bone))))))))))",
    "(((((((((((bone)))))))))))",
    "ｔｉｔｌｅ：ｂｏｎｅ",
    "（bone）",
    "＂bone＂",
    "Ⅻ ① ²",
    "الفقرات",
    "骨 スキャン",
    "\u0301\u0301\u0301",
    "a\u0301*",
    "http://example.org/case?id=1",
    "acr:4.5 OR acr:4.6",
    "acr:" + "9" * 100,
    "modality:" + "X" * 100,
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_gives_a_clean_error_or_a_valid_query(
    fts5: sqlite3.Connection, text: str
) -> None:
    start = time.perf_counter()
    query = parse_or_error(text)
    if isinstance(query, QuerySyntaxError):
        assert query.message and "\n" not in query.message
        assert 0 <= query.position <= len(text)
    else:
        result = compile_query(query, COLUMNS, WEIGHTS)
        if result.fts5 is not None:
            run_fts5(fts5, result.fts5)
        if result.tsquery is not None:
            assert_plausible_tsquery(result.tsquery)
        assert parse(describe(query)) == query
    assert time.perf_counter() - start < 0.5


def test_hostile_tsqueries_run_on_postgresql(postgres: object) -> None:
    for text in HOSTILE:
        try:
            tsquery = compiled(text).tsquery
        except QuerySyntaxError:
            continue
        if tsquery is not None:
            run_tsquery(postgres, tsquery)


def test_sql_is_just_words() -> None:
    assert compiled("bone' OR '1'='1").fts5 == '"bone" OR "1 1"'


# --- Property: random hostile strings --------------------------------------------------------

_ALPHABET = [
    *"abcdeéxyzABCXYZ0123456789",
    *" \t\n",
    *"()\"*:-^'_.,;/\\{}[]<>!&|%$#@+=~`?",
    "\x00",
    "\x1b",
    "\u200b",
    "\u00ad",
    "🦴",
    "Ⅻ",
    "ß",
    "α",
    "ＡＢ",
    "\u0301",
    " AND ",
    " OR ",
    " NOT ",
    "AND",
    "NEAR",
    "NEAR(",
    "title:",
    "history:",
    "acr:",
    "acr:4*",
    "modality:",
    "modality:NM",
    "Title:",
    "foo:",
    "Tc-99m",
    "osteo*",
]
_SAFE_TSQUERY_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789 &|!()<>-:*ABCD")


def random_queries(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 40))) for _ in range(count)
    ]


def assert_plausible_tsquery(tsquery: str) -> None:
    assert tsquery
    assert set(tsquery) <= _SAFE_TSQUERY_CHARS, tsquery
    depth = 0
    for ch in tsquery:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        assert depth >= 0, tsquery
    assert depth == 0, tsquery


def compile_random(count: int, seed: int) -> tuple[int, list[CompiledQuery]]:
    refused = 0
    results = []
    for text in random_queries(count, seed):
        query = parse_or_error(text)
        if isinstance(query, QuerySyntaxError):
            assert 0 <= query.position <= len(text)
            refused += 1
            continue
        assert parse(describe(query)) == query, text
        results.append(compile_query(query, COLUMNS, WEIGHTS))
    return refused, results


def test_random_strings_parse_or_compile_to_valid_fts5(fts5: sqlite3.Connection) -> None:
    refused, results = compile_random(2000, seed=20240314)
    assert refused + len(results) == 2000
    assert len(results) > 500 and refused > 100  # both paths are exercised
    for result in results:
        if result.fts5 is not None:
            run_fts5(fts5, result.fts5)
        if result.tsquery is not None:
            assert_plausible_tsquery(result.tsquery)


def test_random_strings_compile_to_valid_tsqueries(postgres: object) -> None:
    _, results = compile_random(2000, seed=20240314)
    for result in results:
        if result.tsquery is not None:
            run_tsquery(postgres, result.tsquery)


# --- Meaning: FTS5 and PostgreSQL find what the tree says ------------------------------------
#
# Random queries over a small vocabulary, run against a handful of documents on SQLite and
# PostgreSQL, compared with a direct evaluation of the tree. This checks the rewriting of
# NOT into FTS5's binary NOT, including "a OR NOT b" inside AND.

_VOCABULARY = ["bone", "scan", "paget", "lytic", "cortex", "tc", "99m", "mdp"]
_PREFIXES = ["bo", "sca", "pag", "ly", "99"]
_SEMANTIC_FIELDS = {
    "title": ["title"],
    "diagnosis": ["diagnosis"],
    "findings": ["findings"],
    "history": ["brief_history", "full_history"],
}
_SEMANTIC_WEIGHTS = {"title": "A", "diagnosis": "B", "findings": "C", "history": "D"}
_COLUMN_WEIGHT = {
    "title": "A",
    "diagnosis": "B",
    "findings": "C",
    "brief_history": "D",
    "full_history": "D",
}


def random_documents(seed: int) -> list[dict[str, list[str]]]:
    rng = random.Random(seed)
    return [
        {
            column: [rng.choice(_VOCABULARY) for _ in range(rng.randint(0, 4))]
            for column in _COLUMN_WEIGHT
        }
        for _ in range(40)
    ]


def random_query_text(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth < 3 and roll < 0.3:
        op = rng.choice([" ", " AND ", " OR ", " NOT ", " -"])
        left = random_query_text(rng, depth + 1)
        right = random_query_text(rng, depth + 1)
        return f"({left}{op}{right})"
    if depth < 3 and roll < 0.4:
        name = rng.choice(list(_SEMANTIC_FIELDS))
        return f"{name}:({random_query_text(rng, depth + 1)})"
    if depth < 3 and roll < 0.45:
        return "NOT " + random_query_text(rng, depth + 1)
    if roll < 0.6:
        words = [rng.choice(_VOCABULARY) for _ in range(rng.randint(2, 3))]
        return '"' + " ".join(words) + '"'
    if roll < 0.7:
        return rng.choice(_PREFIXES) + "*"
    return rng.choice(_VOCABULARY)


def evaluate(node: object, document: dict[str, list[str]], columns: list[str]) -> bool:
    def match(words: tuple[str, ...], prefix: bool) -> bool:
        for column in columns:
            tokens = document[column]
            for i in range(len(tokens) - len(words) + 1):
                window = tokens[i : i + len(words)]
                if window[:-1] == list(words[:-1]) and (
                    window[-1].startswith(words[-1]) if prefix else window[-1] == words[-1]
                ):
                    return True
        return False

    if isinstance(node, Term):
        return match((node.word,), node.prefix)
    if isinstance(node, Phrase):
        return match(node.words, node.prefix)
    if isinstance(node, Field):
        return evaluate(node.child, document, _SEMANTIC_FIELDS[node.name])
    if isinstance(node, Not):
        return not evaluate(node.child, document, columns)
    if isinstance(node, And):
        return all(evaluate(child, document, columns) for child in node.children)
    assert isinstance(node, Or)
    return any(evaluate(child, document, columns) for child in node.children)


def semantic_cases(count: int) -> Iterator[tuple[Query, CompiledQuery, set[int]]]:
    documents = random_documents(seed=7)
    rng = random.Random(11)
    found = 0
    while found < count:
        try:
            query = parse(random_query_text(rng))
        except QuerySyntaxError:
            continue
        found += 1
        expected = {
            i + 1
            for i, document in enumerate(documents)
            if evaluate(query.root, document, list(_COLUMN_WEIGHT))
        }
        yield query, compile_query(query, _SEMANTIC_FIELDS, _SEMANTIC_WEIGHTS), expected


def test_fts5_finds_what_the_query_means() -> None:
    documents = random_documents(seed=7)
    columns = list(_COLUMN_WEIGHT)
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE t USING fts5({', '.join(columns)})")
    for document in documents:
        db.execute(
            f"INSERT INTO t VALUES ({', '.join('?' * len(columns))})",  # noqa: S608
            [" ".join(document[c]) for c in columns],
        )
    nonempty = 0
    for query, result, expected in semantic_cases(400):
        assert result.fts5 is not None
        assert set(run_fts5(db, result.fts5)) == expected, (describe(query), result.fts5)
        nonempty += bool(expected)
    assert nonempty > 100


def test_postgresql_finds_what_the_query_means(postgres: object) -> None:
    documents = random_documents(seed=7)
    execute = postgres.execute  # type: ignore[attr-defined]
    execute("DROP TABLE IF EXISTS lightbox_query_docs")
    execute("CREATE TEMP TABLE lightbox_query_docs (id int, vector tsvector)")
    for i, document in enumerate(documents, start=1):
        # Each column weighted and followed by a word no query uses, so that a phrase
        # cannot run from one column into the next.
        parts = " || ".join(
            f"setweight(to_tsvector('english', %s), '{weight}')"
            for weight in _COLUMN_WEIGHT.values()
        )
        values = [" ".join(document[c] + ["zzpad"]) for c in _COLUMN_WEIGHT]
        sql = f"INSERT INTO lightbox_query_docs VALUES (%s, {parts})"  # noqa: S608
        execute(sql, [i, *values])
    for query, result, expected in semantic_cases(400):
        assert result.tsquery is not None
        rows = execute(
            "SELECT id FROM lightbox_query_docs WHERE vector @@ to_tsquery('english', %s)",
            (result.tsquery,),
        ).fetchall()
        assert {row[0] for row in rows} == expected, (describe(query), result.tsquery)


# --- Terms, describe, doctests ---------------------------------------------------------------


def test_terms_are_the_words_to_spell_check() -> None:
    query = parse('osteomyelits "bone scna" -liver osteo* "tc 99"* diagnosis:paget bone')
    assert terms(query) == ["osteomyelits", "bone", "scna", "liver", "tc", "paget"]


def test_describe_is_canonical() -> None:
    assert describe(parse('Diagnosis:Pagét  bone -"Superscan pattern" acr:4*')) == (
        'diagnosis:paget AND bone AND NOT "superscan pattern" AND acr:4*'
    )
    assert describe(parse("title:(a OR b c)")) == "title:(a OR (b AND c))"
    assert describe(parse("title:(NOT a) b")) == "title:(NOT a) AND b"


def test_positions_point_into_the_text() -> None:
    root = parse("bone  -scan").root
    assert isinstance(root, And)
    assert [child.position for child in root.children] == [0, 6]


def test_the_examples_in_the_docstrings_run() -> None:
    failed, attempted = doctest.testmod(query_module)
    assert attempted > 0 and failed == 0
