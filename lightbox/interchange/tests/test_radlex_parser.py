"""Reading RadLex OWL: the terms of a file in RadLex's shape, and hostile files refused
with one line each (lightbox/interchange/radlex/parse.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from lightbox.interchange.radlex import RadLexError, read_radlex
from lightbox.interchange.radlex import parse as radlex_parse

SAMPLE = Path(__file__).parent / "data" / "radlex_sample.owl"

HEAD = (
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#" '
    'xmlns:owl="http://www.w3.org/2002/07/owl#" xmlns="http://www.radlex.org/RID/#">'
)


def owl(body: str, head: str = HEAD, prolog: str = '<?xml version="1.0"?>') -> bytes:
    return f"{prolog}\n{head}\n{body}\n</rdf:RDF>".encode()


def term(rid: str = "RID1", name: str = "femur", extra: str = "") -> str:
    return (
        f'<owl:Class rdf:about="http://www.radlex.org/RID/#{rid}">'
        f'<Preferred_name xml:lang="en">{name}</Preferred_name>{extra}</owl:Class>'
    )


def read(data: bytes, **kwargs):
    return read_radlex(io.BytesIO(data), **kwargs)


def refused(data: bytes, **kwargs) -> str:
    with pytest.raises(RadLexError) as caught:
        read(data, **kwargs)
    message = str(caught.value)
    assert "\n" not in message and message
    return message


# -- the sample ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    with SAMPLE.open("rb") as f:
        return read_radlex(f)


def test_it_reads_each_radlex_class_with_its_names_and_parents(sample):
    paget = sample.terms["RID90010"]
    assert paget.name == "Paget disease of bone"
    # English and untagged synonyms, the second description's too; German ones are not
    # read, nor is the definition.
    assert paget.synonyms == ("osteitis deformans", "Paget's disease of bone", "Paget disease")
    # The restriction inside rdfs:subClassOf is no parent.
    assert paget.parents == ("RID90002",)
    assert sample.terms["RID90011"].synonyms == ("Leri disease", "flowing hyperostosis")
    assert sample.version == "4.2 (test sample)"


def test_the_label_names_a_class_without_an_english_preferred_name(sample):
    assert sample.terms["RID90001"].name == "RadLex entity"
    # A relative rdf:about ("#RID90012") is read too.
    assert sample.terms["RID90012"].name == "osteoid osteoma"


def test_a_label_other_than_the_preferred_name_is_a_synonym(sample):
    femur = sample.terms["RID90020"]
    assert (femur.name, femur.synonyms) == ("femur", ("thigh bone",))


def test_other_ontologies_and_anonymous_classes_are_not_terms(sample):
    assert set(sample.terms) == {
        "RID90001", "RID90002", "RID90010", "RID90011", "RID90012", "RID90020", "RID90030",
    }  # fmt: skip


def test_a_class_without_a_name_is_passed_over_with_a_warning(sample):
    assert "RID90040" not in sample.terms
    assert any("RID90040 has no English name" in w for w in sample.warnings)


def test_progress_counts_every_byte(sample):
    seen: list[int] = []
    with SAMPLE.open("rb") as f:
        read_radlex(f, progress=seen.append)
    assert sum(seen) == SAMPLE.stat().st_size


def test_a_file_larger_than_a_chunk_is_read_across_chunks(monkeypatch):
    monkeypatch.setattr(radlex_parse, "CHUNK", 7)
    found = read(owl(term("RID1", "Paget disease of bone") + term("RID2", "femur")))
    assert [t.name for t in found.terms.values()] == ["Paget disease of bone", "femur"]


def test_whitespace_in_a_term_is_collapsed_and_entities_are_expanded():
    found = read(owl(term("RID7", "  left\n   &amp; right\tlung ")))
    assert found.terms["RID7"].name == "left & right lung"


def test_synonyms_differing_only_in_case_are_one():
    extra = "<Synonym>Osteitis Deformans</Synonym><Synonym>osteitis  deformans</Synonym>"
    found = read(owl(term("RID3", "Paget disease", extra)))
    assert found.terms["RID3"].synonyms == ("Osteitis Deformans",)


def test_a_class_that_names_itself_as_its_parent_has_no_such_parent():
    extra = '<rdfs:subClassOf rdf:resource="http://www.radlex.org/RID/#RID3"/>'
    assert read(owl(term("RID3", "bone", extra))).terms["RID3"].parents == ()


def test_a_term_too_long_is_passed_over_with_a_warning():
    found = read(owl(term("RID1", "x" * 5000) + term("RID2", "femur")))
    assert set(found.terms) == {"RID2"}
    assert any("RID1" in w and "300 characters" in w for w in found.warnings)


def test_a_long_synonym_is_dropped_and_the_term_kept():
    found = read(owl(term("RID1", "femur", f"<Synonym>{'y' * 400}</Synonym>")))
    assert found.terms["RID1"].synonyms == ()
    assert found.warnings


def test_many_warnings_are_counted_not_listed():
    body = "".join(f'<owl:Class rdf:about="#RID{i}"/>' for i in range(1, 60)) + term("RID99")
    found = read(owl(body))
    assert len(found.warnings) == radlex_parse.MAX_WARNINGS + 1
    assert found.warnings[-1] == "… and 39 more classes without a name"


# -- hostile files ---------------------------------------------------------------------------


def test_an_empty_file_is_refused():
    assert refused(b"") == "the file is empty"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"PK\x03\x04rest of a zip", "this is a zip archive: unpack it"),
        (b"\x1f\x8b\x08\x00gzip", "this is a gzip file"),
        (b"\x00\x01\x02 binary", "not XML"),
        (b"RID1 Paget disease of bone", "not XML"),
        (b"<rdf:RDF", "not XML"),  # cut short
        (HEAD.encode() + b"<b></rdf:RDF>", "not XML: mismatched tag"),
        (owl(term()).replace(b"</rdf:RDF>", b""), "not XML"),  # truncated
    ],
)
def test_what_is_not_xml_is_refused_with_where(data, expected):
    assert expected in refused(data)


def test_xml_that_is_not_rdf_is_refused():
    assert "the document is <html>" in refused(b"<html><body>RID1 femur</body></html>")


def test_rdf_without_radlex_classes_is_refused():
    body = '<owl:Class rdf:about="http://purl.obolibrary.org/obo/FMA_1"><rdfs:label>x</rdfs:label></owl:Class>'
    assert refused(owl(body)).startswith("no RadLex terms found")


def test_the_billion_laughs_are_refused():
    prolog = (
        '<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)
        )
        + "]>"
    )
    message = refused(owl(term("RID1", "&lol9;"), prolog=prolog))
    assert "refers to another entity" in message and message.startswith("line ")


def test_an_external_entity_is_refused_and_nothing_is_fetched(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me")
    prolog = f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "file://{secret}">]>'
    assert "external entity &x; is not allowed" in refused(owl(term("RID1", "&x;"), prolog=prolog))


def test_a_parameter_entity_is_refused():
    prolog = '<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY % p "x">]>'
    assert "parameter entity" in refused(owl(term(), prolog=prolog))


def test_an_external_dtd_is_not_fetched():
    prolog = '<?xml version="1.0"?><!DOCTYPE rdf:RDF SYSTEM "http://127.0.0.1:9/nothing.dtd">'
    assert read(owl(term(), prolog=prolog)).terms["RID1"].name == "femur"


def test_too_many_entities_are_refused():
    decls = "".join(f'<!ENTITY e{i} "v">' for i in range(radlex_parse.MAX_ENTITIES + 1))
    prolog = f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [{decls}]>'
    assert "entity declarations" in refused(owl(term(), prolog=prolog))


def test_a_long_entity_is_refused():
    prolog = f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY e "{"v" * 3000}">]>'
    assert "longer than" in refused(owl(term(), prolog=prolog))


def test_an_undefined_entity_is_refused():
    assert "undefined entity" in refused(owl(term("RID1", "&nothing;")))


def test_deep_nesting_is_refused():
    depth = radlex_parse.MAX_DEPTH + 5
    body = term() + "<x>" * depth + "</x>" * depth
    assert "nested more than 64 deep" in refused(owl(body))


def test_a_file_over_the_limit_is_refused():
    assert "larger than 100 bytes" in refused(owl(term() * 10), max_bytes=100)


def test_too_many_classes_are_refused(monkeypatch):
    monkeypatch.setattr(radlex_parse, "MAX_CLASSES", 3)
    body = "".join(term(f"RID{i}") for i in range(1, 6))
    assert "more than 3 classes" in refused(owl(body))


def test_text_outside_terms_is_not_gathered():
    """A huge definition costs nothing: only names and synonyms are kept, each bounded."""
    definition = f"<Definition>{'word ' * 200_000}</Definition>"
    found = read(owl(term("RID1", "femur", definition)))
    assert found.terms["RID1"].name == "femur"
