"""Reading MIRCdocuments (Django-free): MIRC's templates, patient data, hostile XML, and
writing a document back exactly."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from stdnum import verhoeff

from lightbox.interchange.mirc import (
    MircAuthor,
    MircCode,
    MircDocument,
    MircDose,
    MircImage,
    MircParseError,
    MircReference,
    parse_mirc,
    write_mirc,
)
from lightbox.interchange.tests.mircfiles import PHI, document


def test_the_mstf_template_reads_into_every_field():
    doc = parse_mirc(document("mstf"))
    assert doc.title == "Osteoid osteoma of the proximal femur"
    assert doc.authors == [MircAuthor("Maria Keller", "M.D."), MircAuthor("Tom Brandt")]
    assert doc.brief_history == (
        "Seventeen-year-old with night pain in the left hip, relieved by aspirin."
    )
    assert doc.findings == (
        "A round lucent nidus, 8 mm across, in the **medial cortex** of the femoral neck, "
        "with surrounding sclerosis.\n\nIntense focal uptake on the pinhole view.\n"
        "No other lesion."
    )
    assert doc.diagnosis == "Osteoid osteoma"
    assert doc.differential == ["Brodie abscess", "Stress fracture", "Intracortical haemangioma"]
    assert doc.discussion.endswith(
        "See the [department's review](https://example.org/osteoid-osteoma)."
    )
    assert doc.references == [
        MircReference(
            "Example A, Sample B. Osteoid osteoma revisited. J Example Radiol 2001;12:34-56. "
            "PMID: 11111111",
            pmid="11111111",
        ),
        MircReference(
            "Sample C. Scintigraphy of benign bone tumours. Example Nucl Med 1999;3:1-9. "
            "doi:10.1000/xyz123",
            doi="10.1000/xyz123",
        ),
    ]
    assert doc.acr_codes == ["45.3"]
    assert doc.codes == [MircCode("RADLEX", "RID4326", "osteoid osteoma")]
    assert (doc.anatomic_field, doc.category) == ("4", "3")
    # The code's own meaning is no field; it is kept as a keyword, as is the second modality.
    assert doc.keywords == [
        "osteoid osteoma",
        "nidus",
        "femur",
        "Osteoid osteoma of the femur",
        "NM",
    ]
    assert doc.modality == "CT"
    assert doc.difficulty == 3  # <level>intermediate</level>
    assert (doc.patient_age, doc.patient_sex) == (17, "M")
    assert doc.case_date == date(2006, 11, 7)
    assert doc.copyright == "Copyright 2006 Example University Hospital"
    assert doc.visibility == "public"  # <read>*</read>
    assert doc.images == [
        MircImage(
            picture="img1_base.jpg",  # the original dimensions, not the scaled src
            dicom=["img1.dcm"],
            annotations=["img1_an.jpg"],
            caption="Axial CT, bone window",
            answer_caption="Lucent nidus with central mineralisation",
        ),
        MircImage(picture="img2.png", caption="Anterior pinhole view of the left hip"),
    ]


def test_what_has_no_field_is_kept_as_unparsed_text_and_reported():
    doc = parse_mirc(document("mstf"))
    blocks = doc.unparsed.split("\n\n")
    assert "Abstract:\nA cortical nidus with intense focal uptake" in blocks[0]
    assert "Teaching Points:\nNight pain relieved by salicylates is the classic history." in blocks
    assert "Notes:\nSeen in the orthopaedic clinic." in blocks
    # Neither ACR, RadLex nor SNOMED CT: kept as text.
    assert "Code (ICD-10) D16.2: Benign neoplasm of long bones of lower limb" in blocks
    assert "RID4326" not in doc.unparsed
    # A hidden copy that says more than its section.
    assert "Discussion (hidden copy):\nRadiofrequency ablation is the usual treatment." in blocks
    assert "Author affiliations:" in doc.unparsed
    kept = next(line for line in doc.report if line.startswith("kept as unparsed text"))
    for name in ("'Teaching Points'", "'Notes'", "ICD-10", "<discussion>", "<abstract>"):
        assert name in kept
    # Copies that repeat their sections are not reported.
    assert "<history>" not in kept and "<findings>" not in kept and "<diagnosis>" not in kept


def test_patient_identifiers_are_dropped_unread_and_named_in_the_report():
    for name in ("mstf", "basic"):
        doc = parse_mirc(document(name))
        assert not [value for value in PHI if value in repr(doc)]
    report = parse_mirc(document("mstf")).report
    assert report[0] == (
        "patient data dropped, never stored: <accession-number>, <pt-name>, <pt-id>, "
        "<pt-mrn>, <phi>"
    )
    assert parse_mirc(document("basic")).report[0] == (
        "patient data dropped, never stored: <pt-name>"
    )


def test_identifiers_inside_emphasis_links_keywords_and_codes_are_dropped_too():
    doc = parse_mirc(
        b"<MIRCdocument><keywords>knee, <pt-name>Roe, Richard</pt-name></keywords>"
        b"<section heading='Findings'><p><b>Left <pt-id>PID-12345678</pt-id></b> knee, "
        b"<a href='https://example.org/x'>see <pt-mrn>MRN-998877</pt-mrn></a></p></section>"
        b"<code coding-system='ACR'>4.4<meaning>Fracture <pt-name>Roe</pt-name></meaning></code>"
        b"<lb:case><lb:topic>Knees <pt-name>Roe</pt-name></lb:topic></lb:case>"
        b"</MIRCdocument>"
    )
    assert doc.findings == "**Left** knee, [see](https://example.org/x)"
    assert doc.keywords == ["knee", "Fracture"]
    assert doc.topic == "Knees"
    assert not [value for value in PHI if value in repr(doc)] and "Roe" not in repr(doc)
    assert doc.report[0] == "patient data dropped, never stored: <pt-name>, <pt-id>, <pt-mrn>"


def test_identifiers_inside_an_unknown_element_are_dropped_too():
    doc = parse_mirc(
        b"<MIRCdocument><quiz><q>Which side?<pt-id>PID-12345678</pt-id></q></quiz>"
        b"<section heading='Diagnosis'><p>Gout <pt-mrn>MRN-998877</pt-mrn></p></section>"
        b"</MIRCdocument>"
    )
    assert doc.unparsed == "quiz:\nWhich side?"
    assert doc.diagnosis == "Gout"
    assert "PID" not in repr(doc) and "MRN-998877" not in repr(doc)
    assert doc.report[0] == "patient data dropped, never stored: <pt-id>, <pt-mrn>"


def test_the_basic_template_keeps_its_notes_and_finds_its_picture_and_dicom():
    doc = parse_mirc(document("basic"))
    assert doc.title == "Pneumothorax after central line placement"
    assert doc.authors == [MircAuthor("Sam Okafor")]
    assert doc.keywords == ["pneumothorax", "central venous catheter"]
    assert doc.images == [MircImage(picture="chest.png", dicom=["chest.dcm"])]  # href → DICOM
    assert doc.visibility == "private"  # <read></read>: nobody but its owners
    assert doc.unparsed.split("\n\n") == [
        "Abstract:\nChest radiograph after a subclavian line.",
        "Notes:\nDyspnoea one hour after a right subclavian line.",
        "Visceral pleural line at the right apex; no lung markings beyond it.",
        "teaching-note:\nAlways look at the apex on a supine film.",
    ]


def test_the_case_authoring_structure_with_its_own_headings_and_encoding():
    doc = parse_mirc(document("casemaker"))  # windows-1252
    assert doc.brief_history == (
        "Incidental liver lesion in a 34-year-old woman. Works in a café – no symptoms."
    )
    assert doc.authors == [MircAuthor("Priya Nair", "MBBS, FRCR")]
    assert doc.findings == (
        "A 4 cm lesion in segment 4, hyperechoic.\n\n"
        "Phase | Enhancement\nArterial | Intense, homogeneous"
    )
    assert doc.differential == ["Hepatic adenoma", "fibrolamellar carcinoma", "haemangioma"]
    assert doc.diagnosis == "Focal nodular hyperplasia"
    assert doc.followup == "Stable at two years."
    assert [i.picture for i in doc.images] == ["us1.jpg", "ct1.gif"]
    assert doc.images[0].caption == "Transverse ultrasound of the liver"
    assert doc.difficulty == 3  # <level>3</level>
    assert (doc.patient_age, doc.patient_sex) == (34, "F")
    assert doc.copyright == "Example General Hospital"  # the affiliation, without <rights>
    assert doc.unparsed == "quiz:\nWhich phase shows the scar best?\n\nDelayed"
    assert doc.report == ["kept as unparsed text: <quiz>"]


def test_hidden_copies_fill_fields_no_section_fills():
    doc = parse_mirc(
        b"<MIRCdocument><history>Cough.</history><diagnosis>Sarcoidosis</diagnosis>"
        b"<differential-diagnosis>Lymphoma; tuberculosis</differential-diagnosis>"
        b"</MIRCdocument>"
    )
    assert (doc.brief_history, doc.diagnosis) == ("Cough.", "Sarcoidosis")
    assert doc.differential == ["Lymphoma", "tuberculosis"]
    assert doc.unparsed == "" and doc.report == []


@pytest.mark.parametrize(
    ("xml", "visibility"),
    [
        (b"", "public"),  # MIRC: no <authorization>, everyone reads
        (b"<authorization><read>*</read></authorization>", "public"),
        (b"<authorization><read>user</read></authorization>", "institution"),
        (b"<authorization><read/></authorization>", "private"),
        (b"<access>restricted</access>", "institution"),
    ],
)  # fmt: skip
def test_visibility_is_read_the_way_mirc_reads_it(xml, visibility):
    assert parse_mirc(b"<MIRCdocument>" + xml + b"</MIRCdocument>").visibility == visibility


def test_ages_over_89_are_one_category():
    xml = b"<MIRCdocument><patient><pt-age><years>97</years></pt-age></patient></MIRCdocument>"
    assert parse_mirc(xml).patient_age == 90


def every_field() -> MircDocument:
    return MircDocument(
        title="Dystrophic  calcification (two spaces)",
        authors=[MircAuthor("Ed Grishaw", "M.D."), MircAuthor("Henry Royal", "M.D., Ph.D.")],
        case_date=date(1996, 10, 23),
        difficulty=4,
        quality=3,
        modality="NM",
        exam="Whole-body bone scintigraphy",
        patient_age=44,
        patient_sex="F",
        brief_history="44-year-old woman.\nLupus.",
        full_history="Long history.\n\n  An indented paragraph  with  spaces.",
        findings="Uptake in *both* thighs <and> arms & hands.\n\n- a list\n- of two",
        diagnosis="Soft-tissue calcinosis",
        discussion="First.\n\n\n\nAfter two blank lines.",
        followup="Treated medically.",
        differential=["Dermatomyositis, juvenile", "Scleroderma"],
        accepted_answers=["calcinosis cutis", "calcinosis universalis"],
        references=[MircReference("Doe J. Uptake. 2001.", "123", "10.1000/x")],
        acr_codes=["4.5", "642.3212"],
        codes=[
            MircCode("SCT", MI, "Myocardial infarction"),
            MircCode("RADLEX", "RID90010", "Paget disease of bone"),
            MircCode("RADLEX", "RID90011"),  # no term: the table has it
        ],
        keywords=["calcinosis", "soft tissue, calcified"],
        anatomic_field="4",
        category="5",
        topic="Bone Scintigraphy",
        copyright="Wash U MO",
        visibility="institution",
        radiopharmaceuticals=[MircDose("Tc-99m MDP", Decimal("21.6"), "mCi", "i.v.", "3 hours")],
        images=[
            MircImage(picture="IMAGE-1.png", dicom=["IMAGE-1-0001.dcm"], caption="Anterior"),
            MircImage(
                picture="IMAGE-2.jpg", answer_caption="Uptake\nin both thighs", is_main=True
            ),
        ],
        unparsed="Notes:\nsomething kept",
    )


def test_a_written_document_reads_back_field_for_field():
    doc = every_field()
    back = parse_mirc(write_mirc(doc))
    assert back.report == []
    for field in dataclasses.fields(doc):
        assert getattr(back, field.name) == getattr(doc, field.name), field.name


def test_an_edit_made_in_mirc_after_export_wins_over_lightbox_extension():
    xml = write_mirc(every_field()).decode()
    edited = xml.replace("<level>advanced</level>", "<level>primary</level>").replace(
        "21.6 mCi (799.2 MBq) Tc-99m MDP i.v., imaged at 3 hours", "20 mCi Tc-99m HDP i.v."
    )
    doc = parse_mirc(edited.encode())
    assert doc.difficulty == 1  # not the 4 of <lb:difficulty>, which no longer agrees
    assert [(d.agent, d.activity, d.unit) for d in doc.radiopharmaceuticals] == [
        ("Tc-99m HDP", Decimal(20), "mCi")
    ]


def test_the_written_document_is_the_mstf_shape_mirc_reads():
    xml = write_mirc(every_field()).decode()
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<MIRCdocument display="mstf"')
    for element in (
        '<section heading="History">', '<image-section heading="Images">',
        '<alternative-image role="icon" src="IMAGE-1_icon.jpg" />',
        '<alternative-image role="original-format" src="IMAGE-1-0001.dcm" />',
        '<code coding-system="ACR">642.3212<meaning>', "<modality>NM</modality>",
        f'<code coding-system="SNOMED-CT">{MI}<meaning>Myocardial infarction</meaning></code>',
        '<code coding-system="RadLex">RID90010<meaning>Paget disease of bone</meaning>',
        '<code coding-system="RadLex">RID90011</code>',
        "<category>Musculoskeletal</category>", "<level>advanced</level>",
        "<read>user</read>", "<pt-sex>female</pt-sex>",
    ):  # fmt: skip
        assert element in xml


HOSTILE = {
    "entity expansion": (
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b"<MIRCdocument><title>&c;</title></MIRCdocument>",
        "entity declarations are not accepted (<!ENTITY a>)",
    ),
    "external entity": (
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<MIRCdocument><title>&x;</title></MIRCdocument>",
        "entity declarations are not accepted (<!ENTITY x>)",
    ),
    "external parameter entity": (
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x">%p;]>'
        b"<MIRCdocument/>",
        "entity declarations are not accepted (<!ENTITY p>)",
    ),
    "external DTD": (
        b'<?xml version="1.0"?><!DOCTYPE m SYSTEM "http://127.0.0.1:9/m.dtd">'
        b"<MIRCdocument><title>&secret;</title></MIRCdocument>",
        "undefined entity &secret; (entities other than XML's own are refused)",
    ),
    "10,000 elements deep": (
        b"<MIRCdocument>" + b"<section>" * 10_000 + b"</section>" * 10_000 + b"</MIRCdocument>",
        "elements nested more than 100 deep",
    ),
    "too many elements": (
        b"<MIRCdocument>" + b"<p/>" * 100_001 + b"</MIRCdocument>",
        "more than 100,000 elements",
    ),
    "too large": (
        b"<MIRCdocument>" + b"x" * (5 * 1024 * 1024) + b"</MIRCdocument>",
        "XML too large: 5,242,909 bytes (limit 5,242,880)",
    ),
    "not XML": (
        bytes(range(256)), "not well-formed XML: not well-formed (invalid token) (line 1)",
    ),
    "an HTML entity": (
        b"<MIRCdocument>&nbsp;</MIRCdocument>", "not well-formed XML: undefined entity (line 1)",
    ),
    "empty": (b"", "not well-formed XML: no element found (line 1)"),
    "another document": (
        b"<html><body/></html>", "not a MIRCdocument: the root element is <html>",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_xml_is_refused_in_one_line(name):
    data, message = HOSTILE[name]
    with pytest.raises(MircParseError) as refused:
        parse_mirc(data)
    assert str(refused.value) == message
    assert "\n" not in str(refused.value)


def test_odd_values_never_reach_a_field_that_cannot_hold_them():
    doc = parse_mirc(
        b"<MIRCdocument><title>" + b"T" * 300 + b"</title>"
        b"<level>9</level><code coding-system='ACR'>bone<meaning>x</meaning></code>"
        b"<references><reference lb:pmid='abc' lb:doi='not a doi'>A ref.</reference></references>"
        b"<lb:case><lb:quality>77</lb:quality><lb:category>x</lb:category>"
        b"<lb:radiopharmaceutical agent='X' activity='1e99' unit='mCi'/></lb:case>"
        b"<section heading='Radiopharmaceuticals'><p>1e99 mCi X</p></section>"
        b"</MIRCdocument>"
    )
    assert len(doc.title) == 200 and "T" * 300 in doc.unparsed
    assert doc.difficulty is None and doc.quality is None and doc.category == ""
    assert doc.acr_codes == [] and "ACR code (not a valid code) bone: x" in doc.unparsed
    assert doc.references == [MircReference("A ref.")]
    assert all(d.activity is None or d.activity < 10_000_000 for d in doc.radiopharmaceuticals)


# -- RadLex and SNOMED CT codes ---------------------------------------------------------------

MI = "22298006"  # SNOMED CT: Myocardial infarction


def _codes_document(*codes: str) -> bytes:
    return f"<MIRCdocument>{''.join(codes)}</MIRCdocument>".encode()


def test_radlex_and_snomed_ct_codes_are_read_by_the_names_mirc_sites_give_them():
    doc = parse_mirc(
        _codes_document(
            "<code coding-system='RadLex'>RID90010<meaning>Paget disease of bone</meaning></code>",
            "<code coding-system='RADLEX' code='rid90011'><meaning>Melorheostosis</meaning>"
            "</code>",
            f"<code coding-system='SNOMED'>{MI}<meaning> Myocardial\n infarction</meaning></code>",
            "<code coding-system='SNOMED-CT' value='233604007'><meaning>Pneumonia</meaning>"
            "</code>",
            "<code coding-system='SCT'><value>73211009</value><meaning>Diabetes mellitus</meaning>"
            "</code>",
            "<code coding-system='snomed_ct'>195967001</code>",
            # No coding system: the code's shape tells.
            "<code>http://radlex.org/RID/RID90012<meaning>Femur</meaning></code>",
            "<code>38341003<meaning>Hypertensive disorder</meaning></code>",
            # Listed twice: kept once, with the first term.
            f"<code coding-system='SNOMED CT'>{MI}<meaning>Heart attack</meaning></code>",
        )
    )
    assert doc.codes == [
        MircCode("RADLEX", "RID90010", "Paget disease of bone"),
        MircCode("RADLEX", "RID90011", "Melorheostosis"),
        MircCode("SCT", MI, "Myocardial infarction"),
        MircCode("SCT", "233604007", "Pneumonia"),
        MircCode("SCT", "73211009", "Diabetes mellitus"),
        MircCode("SCT", "195967001"),
        MircCode("RADLEX", "RID90012", "Femur"),
        MircCode("SCT", "38341003", "Hypertensive disorder"),
    ]
    assert doc.unparsed == "" and doc.report == [] and doc.keywords == []


def test_a_code_that_is_not_valid_is_kept_as_unparsed_text_and_reported():
    description = "10000" + "01" + verhoeff.calc_check_digit("1000001")  # not a concept
    assert verhoeff.is_valid(description)
    doc = parse_mirc(
        _codes_document(
            "<code coding-system='SNOMED-CT'>22298007<meaning>Myocardial infarction</meaning>"
            "</code>",  # a typing error: the check digit is wrong
            f"<code coding-system='SCT'>{description}</code>",
            "<code coding-system='SNOMED'>T-28000<meaning>Lung</meaning></code>",  # SNOMED 3
            "<code coding-system='RadLex'>4326<meaning>osteoid osteoma</meaning></code>",
            # Without a coding system, digits that are no SNOMED CT identifier are no
            # code Lightbox reads: kept as text, as any other system's.
            "<code>22298007<meaning>local code</meaning></code>",
        )
    )
    assert doc.codes == []
    assert doc.unparsed.split("\n\n") == [
        "Code (SNOMED-CT) 22298007: Myocardial infarction",
        f"Code (SCT) {description}",
        "Code (SNOMED) T-28000: Lung",
        "Code (RadLex) 4326: osteoid osteoma",
        "Code (no coding system) 22298007: local code",
    ]
    assert doc.report == [
        "kept as unparsed text: <code coding-system=''> (only ACR, RadLex and SNOMED CT "
        "codes are read)",
        "code kept as unparsed text: '22298007' is not a SNOMED CT concept identifier: its "
        "check digit is wrong (a typing error?)",
        f"code kept as unparsed text: '{description}' is a SNOMED CT identifier, but not of "
        "a concept (a description or relationship identifier?)",
        "code kept as unparsed text: 'T-28000' is not a SNOMED CT identifier: expected 6 to 18 "
        "digits, e.g. 22298006",
        "code kept as unparsed text: '4326' is not a RadLex ID: expected RID and digits, e.g. "
        "RID3874",
    ]


def test_thousands_of_codes_are_capped_and_the_rest_kept_as_text():
    valid = [f"<code coding-system='RadLex'>RID{n}<meaning>term {n}</meaning></code>"
             for n in range(1, 3001)]  # fmt: skip
    invalid = [f"<code coding-system='SCT'>{n}</code>" for n in range(1, 2001)]
    doc = parse_mirc(_codes_document(*valid, *invalid))
    assert doc.codes == [MircCode("RADLEX", f"RID{n}", f"term {n}") for n in range(1, 101)]
    assert len(doc.report) == 7  # five codes named, then one line each for the rest
    assert doc.report[5:] == [
        "and 1,995 more codes not valid, kept as unparsed text",
        "2,900 codes beyond the first 100 kept as unparsed text",
    ]
    beyond = next(b for b in doc.unparsed.split("\n\n") if b.startswith("Codes beyond"))
    assert beyond.splitlines()[:2] == ["Codes beyond the first 100:", "RadLex RID101: term 101"]
    assert beyond.splitlines()[-1] == "RadLex RID3000: term 3000"
    assert "Code (SCT) 2000" in doc.unparsed


def test_an_absurdly_long_meaning_is_cut_and_kept_whole_as_text():
    words = "osteoid osteoma " * 50_000  # 800,000 characters
    doc = parse_mirc(
        _codes_document(
            f"<code coding-system='RadLex'>RID1<meaning>{words}</meaning></code>",
            f"<code coding-system='SCT'>{MI}<meaning>{'x' * 100_000}</meaning></code>",
        )
    )
    cut, unbroken = doc.codes
    assert len(cut.meaning) == 295 and words.startswith(cut.meaning + " ")  # a word's end
    assert unbroken.meaning == "x" * 300
    assert f"RadLex RID1 (its meaning in full):\n{words.strip()}" in doc.unparsed
    assert "x" * 100_000 in doc.unparsed
    assert doc.report == [
        "2 code meaning(s) longer than 300 characters: cut, each kept whole as unparsed text"
    ]


def test_patient_data_inside_a_codes_meaning_is_dropped():
    doc = parse_mirc(
        _codes_document(
            "<code coding-system='RadLex'>RID1<meaning>Fracture <pt-name>Roe, Richard</pt-name>"
            "</meaning></code>"
        )
    )
    assert doc.codes == [MircCode("RADLEX", "RID1", "Fracture")]
    assert "Roe" not in repr(doc)
