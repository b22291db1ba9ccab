"""Decoding a legacy page: UTF-8, Windows-1252, Latin-1, stray bytes and mojibake.

Every repair is named in a warning with its line, column and byte offset, and the text that
comes out is what the author typed.
"""

from __future__ import annotations

import doctest
import time

import pytest

from lightbox.interchange.legacy import parse_legacy
from lightbox.interchange.legacy import text as legacy_text

PAGE = (
    "Case Author(s): José Núñez, M.D. , 4/2/98\r\n\r\n"
    "Diagnosis: Ménétrier disease\r\n\r\n"
    "Findings:\r\n\r\n"
    "Giant rugal folds; the patient’s albumin was low.\r\n"
)


def test_a_utf8_page_with_one_stray_windows_1252_byte_is_read_and_the_byte_named() -> None:
    # "Á" is C3 81 in UTF-8: a Windows-1252 reading of the whole page would fail on the 81,
    # far from the stray byte, and name the wrong offset.
    data = "Case Author(s): Álvaro Peña, M.D.\n\nDiagnosis: Paget disease\n\n".encode()
    data += b"Findings: the patient\x92s pelvis\n"
    case = parse_legacy(data)
    assert case.findings == "the patient’s pelvis"
    assert case.authors[0].name == "Álvaro Peña"
    offset = data.index(b"\x92")
    assert case.warnings == [
        "1 byte is not UTF-8 and was read as Windows-1252: "
        f"0x92 '’' at line 5, column 22 (byte {offset})"
    ]


def test_utf8_text_beside_a_stray_byte_is_not_mojibaked() -> None:
    data = PAGE.encode().replace("’".encode(), b"\x92")
    case = parse_legacy(data)
    assert case.authors[0].name == "José Núñez"
    assert case.diagnosis == "Ménétrier disease"
    assert case.findings == "Giant rugal folds; the patient’s albumin was low."
    [warning] = case.warnings
    assert "0x92 '’' at line 7, column 31" in warning
    assert f"(byte {data.index(b'\x92')})" in warning


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_a_page_in_a_single_byte_encoding_is_read_without_warnings(encoding: str) -> None:
    page = PAGE.replace("’", "'")  # Latin-1 has no curly quote
    case = parse_legacy(page.encode(encoding))
    assert case.authors[0].name == "José Núñez"
    assert case.diagnosis == "Ménétrier disease"
    assert case.warnings == []


def test_a_byte_no_encoding_defines_becomes_a_replacement_character_with_its_place() -> None:
    data = b"Diagnosis: caf\x81\r\n\r\nFindings: uptake \x8d here\r\n"
    case = parse_legacy(data)
    assert (case.diagnosis, case.findings) == ("caf\ufffd", "uptake \ufffd here")
    assert case.warnings == [
        "2 bytes are not a character in UTF-8 or Windows-1252 and were replaced by U+FFFD: "
        "0x81 at line 1, column 15 (byte 14); 0x8d at line 3, column 18 (byte 36)"
    ]


def test_the_offset_counts_the_byte_order_mark_and_the_column_counts_characters() -> None:
    data = b"\xef\xbb\xbf" + "Diagnosis: Sjögren \x93dry\x94 eyes".encode()
    data = data.replace("\x93".encode(), b"\x93").replace("\x94".encode(), b"\x94")
    case = parse_legacy(data)
    assert case.diagnosis == "Sjögren “dry” eyes"
    [warning] = case.warnings
    assert "0x93 '“' at line 1, column 20 (byte 23)" in warning
    assert "0x94 '”' at line 1, column 24 (byte 27)" in warning


def test_many_stray_bytes_are_counted_and_the_first_listed() -> None:
    data = "Diagnosis: Ménétrier\n\nDiscussion: ".encode() + b"\x93quoted\x94 " * 40
    [warning] = parse_legacy(data).warnings
    assert warning.startswith("80 bytes are not UTF-8 and were read as Windows-1252: ")
    assert warning.count(" at line ") == 5 and warning.endswith("; and 75 more")


@pytest.mark.parametrize("as_bytes", [True, False])
def test_mojibake_is_repaired_with_a_warning(as_bytes: bool) -> None:
    # UTF-8 read as Windows-1252 and saved again as UTF-8: valid UTF-8, wrong text.
    mojibake = PAGE.encode("utf-8").decode("cp1252")
    assert "JosÃ©" in mojibake and "patientâ€™s" in mojibake
    case = parse_legacy(mojibake.encode("utf-8") if as_bytes else mojibake)
    assert case.authors[0].name == "José Núñez"
    assert case.diagnosis == "Ménétrier disease"
    assert case.findings == "Giant rugal folds; the patient’s albumin was low."
    assert case.warnings == [
        "text was UTF-8 read as Windows-1252 (mojibake) and has been repaired, e.g. "
        "'JosÃ©' → 'José'"
    ]


def test_correct_accented_text_is_left_alone() -> None:
    page = "Diagnosis: Légg-Calvé-Perthes; 5 °C; © 1996; naïve; Ångström; µCi\n"
    case = parse_legacy(page.encode())
    assert case.diagnosis == page.removeprefix("Diagnosis: ").strip()
    assert case.warnings == []


def test_a_page_cannot_forge_the_html_heading_mark() -> None:
    case = parse_legacy("Discussion:\n\nIt spreads.\n\ue000Findings: the scan shows it.\n")
    assert case.discussion == "It spreads.\nFindings: the scan shows it."
    assert case.findings == ""


def test_four_megabytes_of_stray_bytes_and_mojibake_decode_quickly() -> None:
    for data in (
        "Diagnosis: é\n\nDiscussion: ".encode() + b"\x93a\x94 " * 1_000_000,
        ("Diagnosis: x\n\nDiscussion: " + "JosÃ© " * 600_000).encode(),
    ):
        started = time.process_time()  # CPU time: on a busy machine, waiting is not work
        parse_legacy(data)
        assert time.process_time() - started < 10


def test_the_decoding_examples_hold() -> None:
    failed, attempted = doctest.testmod(legacy_text)
    assert attempted > 0 and failed == 0
