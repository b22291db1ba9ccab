"""The identifier scan: what it flags, what it leaves alone, and hostile input."""

import gc
import time

import pytest

from lightbox.deid.text import (
    DEFAULT_ALLOWED_URLS,
    Finding,
    Kind,
    scan,
    scan_fields,
    unresolved,
)

# --- What it flags ---------------------------------------------------------------------------

# (text, kind, the text of the finding)
POSITIVES = [
    # names after a title
    ("Mr. Smith presented with a palpable mass.", Kind.NAME, "Mr. Smith"),
    ("Mrs Jane Doe, a retired teacher, had back pain.", Kind.NAME, "Mrs Jane Doe"),
    ("Referred by Dr. Jones for a bone scan.", Kind.NAME, "Dr. Jones"),
    ("Discussed with Dr J. O'Brien on the ward.", Kind.NAME, "Dr J. O'Brien"),
    ("Ms McDonald underwent CT of the chest.", Kind.NAME, "Ms McDonald"),
    ("Images courtesy of Prof. Smith-Jones.", Kind.NAME, "Prof. Smith-Jones"),
    ("Miss Patel returned for follow-up.", Kind.NAME, "Miss Patel"),
    ("MR. SMITH was scanned supine.", Kind.NAME, "MR. SMITH"),
    ("Seen by Dr.Kowalski in clinic.", Kind.NAME, "Dr.Kowalski"),
    # names after a label
    ("Patient name: Doe, Jane", Kind.NAME, "Doe, Jane"),
    ("Name: John Smith", Kind.NAME, "John Smith"),
    ("Patient: Maria Garcia Lopez", Kind.NAME, "Maria Garcia Lopez"),
    ("Pt name: DOE, JOHN", Kind.NAME, "DOE, JOHN"),
    ("Surname: Nakamura", Kind.NAME, "Nakamura"),
    ("Referring physician: Anna Lee", Kind.NAME, "Anna Lee"),
    ("Dictated by: Robert Brown", Kind.NAME, "Robert Brown"),
    ("Dictated\nby Robert Brown", Kind.NAME, "Robert Brown"),
    ("Electronically signed by Jane Roe on the same day.", Kind.NAME, "Jane Roe"),
    ("Next of kin: Peter Doe", Kind.NAME, "Peter Doe"),
    ("Consultant: Dr Smith", Kind.NAME, "Dr Smith"),
    # DICOM person names
    ("The header still read DOE^JANE.", Kind.NAME, "DOE^JANE"),
    ("Patient's Name (0010,0010) Smith^John^A", Kind.NAME, "Smith^John^A"),
    # record numbers
    ("MRN 00123456", Kind.MRN, "00123456"),
    ("MRN: A1234567", Kind.MRN, "A1234567"),
    ("MR# 554433", Kind.MRN, "554433"),
    ("Medical record number 778899", Kind.MRN, "778899"),
    ("Hospital number: H-20391", Kind.MRN, "H-20391"),
    ("Patient ID: AB12345", Kind.MRN, "AB12345"),
    ("patient identifier 98765432", Kind.MRN, "98765432"),
    ("ID: 4471932", Kind.MRN, "4471932"),
    ("NHS number 943 476 5919", Kind.MRN, "943 476 5919"),
    ("Chart # 55120", Kind.MRN, "55120"),
    ("MRN#1234567", Kind.MRN, "1234567"),
    ("ID#: 12345", Kind.MRN, "12345"),
    ("The film jacket was labelled 20394857.", Kind.MRN, "20394857"),
    ("Old films filed under 1234567.", Kind.MRN, "1234567"),
    ("Prior study E7654321 was reviewed.", Kind.MRN, "E7654321"),
    # telephone numbers
    ("Call the on-call resident at (555) 123-4567.", Kind.PHONE, "(555) 123-4567"),
    ("Contact 555-123-4567 with questions.", Kind.PHONE, "555-123-4567"),
    ("Reached the family on 555.123.4567.", Kind.PHONE, "555.123.4567"),
    ("Toll free 1-800-555-1234.", Kind.PHONE, "1-800-555-1234"),
    ("Results phoned to +44 20 7946 0958.", Kind.PHONE, "+44 20 7946 0958"),
    ("Berlin office +49 (0)30 123456.", Kind.PHONE, "+49 (0)30 123456"),
    ("Paris: +33 1 23 45 67 89", Kind.PHONE, "+33 1 23 45 67 89"),
    ("Reporting room 020 7946 0958.", Kind.PHONE, "020 7946 0958"),
    ("tel. 555 1234", Kind.PHONE, "555 1234"),
    ("Pager: 12-345-678", Kind.PHONE, "12-345-678"),
    ("Fax +1 555 010 0199", Kind.PHONE, "+1 555 010 0199"),
    ("Cell: +1 (555) 123-4567", Kind.PHONE, "+1 (555) 123-4567"),
    ("Ward phone (555)123-4567.", Kind.PHONE, "(555)123-4567"),
    # e-mail
    ("Questions to jane.doe@example.com please.", Kind.EMAIL, "jane.doe@example.com"),
    ("Sent from j_smith+rad@mail.hospital.org.", Kind.EMAIL, "j_smith+rad@mail.hospital.org"),
    # full dates
    ("CT on 2024-03-14 showed progression.", Kind.DATE, "2024-03-14"),
    ("Scanned 03/14/2024 at the outside hospital.", Kind.DATE, "03/14/2024"),
    ("MRI of 14.03.2024 was normal.", Kind.DATE, "14.03.2024"),
    ("Admitted 14 March 2024 with fever.", Kind.DATE, "14 March 2024"),
    ("Seen on March 14, 2024 in clinic.", Kind.DATE, "March 14, 2024"),
    ("Seen on Mar 14 2024 in clinic.", Kind.DATE, "Mar 14 2024"),
    ("Surgery on the 3rd of June, 2021.", Kind.DATE, "3rd of June, 2021"),
    ("Study date 14-MAR-24.", Kind.DATE, "14-MAR-24"),
    ("Biopsy 3/4/21 confirmed lymphoma.", Kind.DATE, "3/4/21"),
    ("StudyDate 20240314 in the header.", Kind.DATE, "20240314"),
    ("Sept. 9th, 2019: first PET.", Kind.DATE, "Sept. 9th, 2019"),
    ("Tuesday, March 14, 2024: admitted.", Kind.DATE, "March 14, 2024"),
    ("Bone scan 14th March 2024.", Kind.DATE, "14th March 2024"),
    ("Seen 14 Mar. 2024.", Kind.DATE, "14 Mar. 2024"),
    ("DOB: 01/02/1950", Kind.DATE, "01/02/1950"),
    ("Study date 2024/3/14.", Kind.DATE, "2024/3/14"),
    ("Full-width ０３/１４/２０２４ pasted from a PDF.", Kind.DATE, "０３/１４/２０２４"),
    # ages over 89
    ("A 92-year-old woman with hip pain.", Kind.AGE_OVER_89, "92-year-old"),
    ("A 101 year old man fell.", Kind.AGE_OVER_89, "101 year old"),
    ("Woman aged 95 with dyspnoea.", Kind.AGE_OVER_89, "aged 95"),
    ("95 y/o female, fall.", Kind.AGE_OVER_89, "95 y/o"),
    ("Age 91, smoker.", Kind.AGE_OVER_89, "Age 91"),
    ("93 yo M with cough", Kind.AGE_OVER_89, "93 yo"),
    ("93yo with cough", Kind.AGE_OVER_89, "93yo"),
    ("92 YO male", Kind.AGE_OVER_89, "92 YO"),
    ("a 92-year old man", Kind.AGE_OVER_89, "92-year old"),
    ("90 years of age at diagnosis.", Kind.AGE_OVER_89, "90 years of age"),
    ("Patient's Age 095Y in the header.", Kind.AGE_OVER_89, "Age 095Y"),
    ("(0010,1010) Patient's Age: 092Y", Kind.AGE_OVER_89, "Age: 092Y"),
    ("Header age field 097Y.", Kind.AGE_OVER_89, "097Y"),
    ("at the age of 96 she fell", Kind.AGE_OVER_89, "age of 96"),
    ("A ninety-two-year-old man.", Kind.AGE_OVER_89, "ninety-two-year-old"),
    ("A nonagenarian with a hip fracture.", Kind.AGE_OVER_89, "nonagenarian"),
    # street addresses and postcodes
    ("Lives at 123 Main Street alone.", Kind.ADDRESS, "123 Main Street"),
    ("Found at 42 Elm St. by neighbours.", Kind.ADDRESS, "42 Elm St."),
    ("Clinic at 350 5th Avenue.", Kind.ADDRESS, "350 5th Avenue"),
    ("Home: 1600 Pennsylvania Ave", Kind.ADDRESS, "1600 Pennsylvania Ave"),
    ("Address 7 Oak Tree Rd", Kind.ADDRESS, "7 Oak Tree Rd"),
    ("510 S. Kingshighway Blvd, St. Louis", Kind.ADDRESS, "510 S. Kingshighway Blvd"),
    ("12B Harbour View Drive", Kind.ADDRESS, "12B Harbour View Drive"),
    ("Springfield, IL 62701", Kind.ADDRESS, "IL 62701"),
    ("Boston, MA 02115-5701", Kind.ADDRESS, "MA 02115-5701"),
    ("Zip code: 94110", Kind.ADDRESS, "94110"),
    ("London SW1A 1AA", Kind.ADDRESS, "SW1A 1AA"),
    ("PO Box 1234", Kind.ADDRESS, "PO Box 1234"),
    ("P.O. Box 77", Kind.ADDRESS, "P.O. Box 77"),
    # web addresses
    ("Her blog is at https://janedoe.example.com/story.", Kind.URL, "https://janedoe.example.com/story"),
    ("See www.facebook.com/jane.doe for photos.", Kind.URL, "www.facebook.com/jane.doe"),
    # accession numbers
    ("Accession: A12345", Kind.ACCESSION, "A12345"),
    ("Accession number 2024-00123", Kind.ACCESSION, "2024-00123"),
    ("acc# 123456", Kind.ACCESSION, "123456"),
    ("Acc no 98765", Kind.ACCESSION, "98765"),
    ("Accession #: 12345", Kind.ACCESSION, "12345"),
    ("Acc: 12345", Kind.ACCESSION, "12345"),
    # social security numbers
    ("SSN 123-45-6789 on the requisition.", Kind.SSN, "123-45-6789"),
    ("Social security number: 123456789", Kind.SSN, "123456789"),
    ("Form shows 078-05-1120.", Kind.SSN, "078-05-1120"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "kind", "expected"), POSITIVES)
def test_it_flags_identifiers(text, kind, expected):
    found = [(f.kind, f.text) for f in scan(text)]
    assert (kind, expected) in found, found


@pytest.mark.parametrize(("text", "kind", "expected"), POSITIVES)
def test_offsets_point_at_the_matched_text(text, kind, expected):
    for f in scan(text, "history"):
        assert text[f.start : f.end] == f.text
        assert f.field == "history"


# --- What it leaves alone ---------------------------------------------------------------------

NEGATIVES = [
    "A 3.2 cm lytic lesion in the right iliac wing.",
    "The mass measures 4.5 x 3.2 x 2.8 cm (previously 3.9 x 2.7 x 2.5 cm).",
    "Disc protrusion at L4-L5 and L5-S1 with foraminal narrowing.",
    "Fractures of T12 and L1; C5-C6 fusion.",
    "High signal on T2 and STIR, low on T1, with restricted diffusion (ADC 0.7 x 10^-3 mm2/s).",
    "Axial T1 FSE (TR/TE 600/12 ms) and coronal T2 FS at 1.5 T.",
    "Imaging at 3 T with a 32-channel head coil.",
    "Tc-99m MDP 20 mCi (740 MBq) IV; images at 3 hours.",
    "F-18 FDG 10 mCi, uptake time 60 min; blood glucose 98 mg/dL.",
    "SUV 12.4 in the primary and SUVmax 4.1 in a 1.2 cm node.",
    "I-131 therapy with 150 mCi in 2019.",
    "Ga-68 DOTATATE PET/CT; Lu-177 given 4 cycles of 200 mCi.",
    "Follow-up in 3 months, then yearly for 5 years.",
    "She was first imaged in 2019 and again in March 2024.",
    "Symptoms since the 1990s; treated 2015-2017.",
    "The lesion grew 2 mm in 6 months.",
    "Administered 10-20 mCi depending on weight.",
    "Heart rate 60-70 beats per minute; BP 120/80.",
    "Scan started at 10:30 and finished at 11:15.",
    "ACR code 4.5; also 41.3 and 642.3212.",
    "This is case bs068 in the bone scan series.",
    "See section 2.3.1 and table 4.",
    "Figure 3: coronal reformat, window 400/40.",
    "Hounsfield units -950 to -1000 in the emphysematous lung.",
    "CTDIvol 12.3 mGy, DLP 456 mGy.cm, 120 kVp, 200 mAs.",
    "Matrix 512 x 512, slice thickness 0.625 mm, pitch 0.984.",
    "Total counts 2000000 acquired over 20 minutes.",
    "Acquired 1500000 counts per view.",
    "Radiology 2019;290(2):123-130.",
    "AJR Am J Roentgenol. 2018 Sep;211(3):583-590. doi:10.2214/AJR.18.19723",
    "Smith J, Jones K. Bone scintigraphy. J Nucl Med 2005;46:1234-1240. PMID: 15937308",
    "Lancet. 2019;393(10173):1-10. doi: 10.1016/S0140-6736(19)30041-8",
    "https://doi.org/10.1148/radiol.2019181234",
    "https://pubmed.ncbi.nlm.nih.gov/30457482/",
    "More cases at https://radiopaedia.org/cases/12345678.",
    "PMID 30457482; PMCID PMC6543210.",
    "Registered as NCT01234567.",
    "SOP Instance UID 1.2.840.10008.5.1.4.1.1.2.1234567.",
    "Grade 2 of 4; Bosniak IIF; BI-RADS 4A; TI-RADS 3.",
    "A 45-year-old man with a 2-year history of knee pain.",
    "An 89-year-old woman; a 3-year follow-up showed no change.",
    "The 89 yo patient was scanned at 90 days after surgery.",
    "Bone age 120 months at a chronological age of 10 years.",
    "Gestational age 39 weeks; 20% of patients had 90% stenosis.",
    "The patient underwent MR angiography.",
    "PA and lateral chest radiographs; AP view of the pelvis.",
    "Two lesions in the left lobe, 3 cm and 1 cm.",
    "The pH was 7.35 and lactate 2.1.",
    "Injected 5 mL at 2 mL/s; delay 70 s.",
    "Ratio 1/2/3 of the segments; grade 1/2.",
    "Versions 4.2.1 and 10.1.2 of the software.",
    "Reported by Smith et al. in 2003.",
    "The air crescent sign in 2 Chest CT examinations.",
    "Axillary LN measured 12 mm; 3 Chest CT scans over 2 years.",
    "Eponym name: Caffey disease.",
    "Trade name: Omnipaque 350.",
    "Patient: Female, 45.",
    "ID 4 mm, OD 6 mm stent.",
    "Dose 3.7 MBq/kg; 185-370 MBq total.",
    "Case 12 of 2020, series 3, image 45.",
    "In 2 of 12 patients (17%), p = 0.03.",
    "MR 3T; CT 64-slice; DR unit.",
    "Dr. and Mrs. were mentioned without names.",
    "T1 3D GRE and T2 FLAIR were acquired.",
    "The 10-20 system for EEG electrode placement.",
    "ISBN 978-0-12-345678-9.",
    "Tumour volume 1234567 mm3; CD4 count 1200000 cells/uL.",
    "Figure 2 The Wrong Way Round.",
    "Ages 90 and above were excluded from the cohort.",
    "Attending: Radiology.",
    "Referring: Oncology.",
    "Case ID: bs068; Study ID: 2019-0412; PubMed ID: 30457482.",
    "LIGHTBOX^bs068 is the pseudonym in the DICOM header.",
    "PSA 12.4 ng/mL in 2021; creatinine 1.2 mg/dL; eGFR 65 mL/min/1.73 m2.",
    "WBC 12,300/mm3; platelets 250,000/uL; cohort of 1,234,567 patients.",
    "Mean age 72 years (range 45-89); aged 65 to 85 years.",
    "Stage IV (T4 N2 M1b) disease; Gleason 4+3=7.",
    "J Comput Assist Tomogr 1999 Jan-Feb;23(1):99-106.",
    "Clin Nucl Med. 2014 Oct;39(10):e421-3.",
    "Semin Nucl Med, Vol 40, No 4 (July), 2010: pp 242-256.",
    "Eur Radiol (2019) 29:1234-1245; N Engl J Med 2003;348:2500-2507.",
    "May-Thurner syndrome; St. Jude Medical pacemaker; images from St Mary's Hospital.",
    "Bone mineral density T-score -2.8, Z-score -1.9.",
    "At 10:30:45 the scan ended; uptake ratio 1.5:1; grade 3/4 toxicity.",
    "Heart rate 120/min, BP 140/90 mmHg.",
    "Date of birth: unknown. Name: unknown.",
    "Siemens Biograph mCT 64-4R; GE Discovery 710; Philips Ingenia 3.0T.",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_it_leaves_radiology_prose_alone(text):
    assert scan(text) == []


def test_there_are_enough_negative_examples():
    assert len(NEGATIVES) >= 40


def test_a_whole_case_of_ordinary_prose_has_no_findings():
    text = " ".join(NEGATIVES)
    assert scan(text) == []


# --- Allowed web addresses ---------------------------------------------------------------------


def test_default_allow_list_covers_citations():
    assert set(DEFAULT_ALLOWED_URLS) >= {"pubmed.ncbi.nlm.nih.gov", "doi.org", "radiopaedia.org"}
    assert scan("http://dx.doi.org/10.1148/radiol.2019181234 and www.radiopaedia.org/x") == []


def test_allow_list_matches_whole_host_names():
    (found,) = scan("https://doi.org.evil.example/x")
    assert found.kind is Kind.URL


def test_caller_can_replace_the_allow_list():
    text = "See https://atlas.example.org/case/1 and https://doi.org/10.1/x"
    found = scan(text, allowed_url_prefixes=["https://atlas.example.org/"])
    assert [f.text for f in found] == ["https://doi.org/10.1/x"]


def test_a_single_prefix_string_is_one_prefix():
    assert scan("https://atlas.example.org/a", allowed_url_prefixes="atlas.example.org") == []


def test_numbers_inside_an_allowed_url_are_not_findings():
    assert scan("https://radiopaedia.org/cases/x?id=12345678") == []


# --- Merging and ordering ----------------------------------------------------------------------


def test_findings_are_sorted_by_start():
    text = "Seen 2024-03-14 by Dr. Jones, MRN 1234567, tel 555-123-4567."
    found = scan(text)
    assert [f.kind for f in found] == [Kind.DATE, Kind.NAME, Kind.MRN, Kind.PHONE]
    assert [f.start for f in found] == sorted(f.start for f in found)


def test_overlapping_matches_merge_into_the_more_specific_kind():
    # A labelled record number and the bare 7-digit run inside it are one finding.
    (found,) = scan("MRN 1234567")
    assert (found.kind, found.text) == (Kind.MRN, "1234567")
    # An 8-digit run that is also a valid date is a date.
    (found,) = scan("on 20240314")
    assert found.kind is Kind.DATE
    # An e-mail inside a web address is reported once, as the more specific kind.
    (found,) = scan("https://example.com/contact?to=jane@example.com")
    assert found.kind is Kind.EMAIL
    assert found.text == "https://example.com/contact?to=jane@example.com"


def test_merged_findings_cover_every_overlapping_match():
    (found,) = scan("Home: 12 Oak Dr Smith")
    assert found.text == "12 Oak Dr Smith"


# --- Fingerprints ------------------------------------------------------------------------------


def _only(text, field="history"):
    (found,) = scan(text, field)
    return found


def test_fingerprint_is_16_hex_digits():
    fp = _only("Mr. Smith").fingerprint
    assert len(fp) == 16
    int(fp, 16)


def test_fingerprint_survives_edits_elsewhere():
    before = _only("Mr. Smith was seen.")
    after = _only("On review, Mr. Smith was seen again in clinic.")
    assert before.start != after.start
    assert before.fingerprint == after.fingerprint


def test_fingerprint_ignores_case_and_white_space():
    assert _only("Mr. Smith").fingerprint == _only("MR.  SMITH").fingerprint
    assert _only("Mr.\nSmith").fingerprint == _only("Mr. Smith").fingerprint


def test_fingerprint_ignores_compatibility_forms():
    assert (
        _only("call ５５５-１２３-４５６７").fingerprint == _only("call 555-123-4567").fingerprint
    )


def test_fingerprint_changes_when_the_match_changes():
    assert _only("Mr. Smith").fingerprint != _only("Mr. Smyth").fingerprint
    assert _only("MRN 1234567").fingerprint != _only("MRN 1234568").fingerprint


def test_fingerprint_depends_on_the_field_and_kind():
    assert _only("Mr. Smith", "history").fingerprint != _only("Mr. Smith", "caption").fingerprint
    a = Finding(Kind.MRN, "f", 0, 7, "1234567")
    b = Finding(Kind.PHONE, "f", 0, 7, "1234567")
    assert a.fingerprint != b.fingerprint


def test_the_same_text_twice_in_a_field_has_one_fingerprint():
    first, second = scan("Mr. Smith, then Mr.  Smith again.")
    assert first.fingerprint == second.fingerprint
    assert unresolved([first, second], [first.fingerprint]) == []


def test_fingerprint_of_odd_text_does_not_raise():
    assert len(Finding(Kind.NAME, "\ud800", 0, 1, "\ud800\x00").fingerprint) == 16


def test_fingerprint_is_stable_across_runs():
    # Stored acknowledgements must keep matching: pin one value.
    assert Finding(Kind.NAME, "history", 0, 9, "Mr. Smith").fingerprint == "94b4067eda1ac9bf"


# --- Context -----------------------------------------------------------------------------------


def test_context_cuts_with_ellipses():
    text = "History: seen by Dr. Jones in the emergency department yesterday."
    (found,) = scan(text)
    assert found.context(text, width=10) == "…: seen by Dr. Jones in the em…"


def test_context_without_cuts_has_no_ellipses():
    text = "Dr. Jones"
    (found,) = scan(text)
    assert found.context(text) == "Dr. Jones"


def test_context_shows_line_breaks_as_spaces():
    text = "Line one\nMr. Smith\r\nnext\tline"
    (found,) = scan(text)
    assert found.context(text, width=40) == "Line one Mr. Smith  next line"


def test_context_survives_stale_offsets():
    found = Finding(Kind.NAME, "", 50, 60, "Mr. Smith")
    assert found.context("short text", width=5) == "… text"


# --- Acknowledging -----------------------------------------------------------------------------


def test_unresolved_drops_acknowledged_findings():
    found = scan("Mr. Smith, MRN 1234567, 555-123-4567")
    assert len(found) == 3
    left = unresolved(found, {found[1].fingerprint})
    assert left == [found[0], found[2]]


def test_unresolved_with_nothing_acknowledged_keeps_everything():
    found = scan("Mr. Smith, 555-123-4567")
    assert unresolved(found, []) == found


def test_an_acknowledgement_survives_unrelated_edits():
    first = scan("Mr. Smith fell.", "history")
    acknowledged = [f.fingerprint for f in first]
    edited = scan("Mr. Smith fell down the stairs. Seen by Dr. Jones.", "history")
    assert [f.text for f in unresolved(edited, acknowledged)] == ["Dr. Jones"]


def test_an_edited_match_needs_acknowledging_again():
    acknowledged = [f.fingerprint for f in scan("MRN 1234567", "history")]
    assert [f.text for f in unresolved(scan("MRN 1234576", "history"), acknowledged)] == [
        "1234576"
    ]


def test_a_single_fingerprint_string_is_one_fingerprint():
    found = scan("Mr. Smith")
    assert unresolved(found, found[0].fingerprint) == []


# --- scan_fields -------------------------------------------------------------------------------


def test_scan_fields_keeps_the_mapping_order_and_names_fields():
    fields = {
        "findings": "Uptake at L4. Mr. Smith.",
        "history": "92-year-old, MRN 1234567.",
        "diagnosis": "Paget disease",
    }
    found = scan_fields(fields)
    assert [(f.field, f.kind) for f in found] == [
        ("findings", Kind.NAME),
        ("history", Kind.AGE_OVER_89),
        ("history", Kind.MRN),
    ]
    for f in found:
        assert fields[f.field][f.start : f.end] == f.text


def test_scan_fields_passes_the_allow_list_to_every_field():
    prefixes = iter(["atlas.example.org"])  # an iterator is read once, used for both fields
    fields = {"a": "https://atlas.example.org/1", "b": "https://atlas.example.org/2"}
    assert scan_fields(fields, allowed_url_prefixes=prefixes) == []


# --- Kinds -------------------------------------------------------------------------------------


def test_every_kind_has_a_label():
    assert Kind.NAME.label == "possible name"
    assert all(kind.label for kind in Kind)
    assert {k.name for k in Kind} == {
        "NAME", "MRN", "PHONE", "EMAIL", "DATE", "AGE_OVER_89", "ADDRESS", "URL", "ACCESSION",
        "SSN",
    }  # fmt: skip


def test_findings_are_frozen():
    found = Finding(Kind.NAME, "", 0, 1, "x")
    with pytest.raises(AttributeError):
        found.text = "y"


# --- Unicode -----------------------------------------------------------------------------------
# Matching is on NFKC text with invisible characters dropped; offsets are into the original.


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("Seen ０３/１４/２０２４.", Kind.DATE, "０３/１４/２０２４"),
        ("Call 555\u200b-123-4567 now", Kind.PHONE, "555\u200b-123-4567"),
        ("\u200fMRN\u200f 1234567", Kind.MRN, "1234567"),
        ("Mr.\u00a0Smith", Kind.NAME, "Mr.\u00a0Smith"),
        ("Mr.\x00Smith", Kind.NAME, "Mr.\x00Smith"),
        ("\ufeffDOE^JANE", Kind.NAME, "DOE^JANE"),
        ("ﬁrst: Mr. Smith", Kind.NAME, "Mr. Smith"),
        ("½ dose ﬁ\u200b\u200b on 2024-03-14", Kind.DATE, "2024-03-14"),
        ("jane\u00addoe@example.com", Kind.EMAIL, "jane\u00addoe@example.com"),
        ("Ｍｒ． Ｓｍｉｔｈ", Kind.NAME, "Ｍｒ． Ｓｍｉｔｈ"),
    ],
)
def test_it_matches_normalised_text_but_reports_original_offsets(text, kind, expected):
    found = scan(text)
    assert [(f.kind, f.text) for f in found] == [(kind, expected)]
    assert text[found[0].start : found[0].end] == expected


def test_non_bmp_and_combining_characters_keep_offsets_right():
    text = "😀 e\u0301 😀 Mr. Smith 😀 ﬁ 555-123-4567"
    for f in scan(text):
        assert text[f.start : f.end] == f.text
    assert [f.text for f in scan(text)] == ["Mr. Smith", "555-123-4567"]


def test_lone_surrogates_and_private_use_do_not_break_scanning():
    assert scan("\ud800\ue000 nothing here") == []


# --- Hostile input -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, b"Mr. Smith", 42, ["Mr. Smith"]])
def test_non_str_text_is_refused(value):
    with pytest.raises(TypeError):
        scan(value)


def test_non_str_field_is_refused():
    with pytest.raises(TypeError):
        scan("Mr. Smith", field=None)


def test_non_str_fields_in_a_mapping_are_refused():
    with pytest.raises(TypeError):
        scan_fields({"history": None})


def test_non_str_url_prefixes_are_refused():
    with pytest.raises(TypeError):
        scan("https://x.example", allowed_url_prefixes=[b"x.example"])


def test_empty_text_has_no_findings():
    assert scan("") == []


N = 1_000_000
HOSTILE = {
    "digits": "1" * N,
    "zeros": "0" * N,
    "at signs": "a@" * (N // 2),
    "open parens": "(" * N,
    "digits and points": "1." * (N // 2),
    "digits and dashes": "1-" * (N // 2),
    "digits and slashes": "1/" * (N // 2),
    "digits and spaces": "1 " * (N // 2),
    "digit groups": "123-" * (N // 4),
    "spaces": " " * N,
    "letters": "a" * N,
    "capitals": "A" * N,
    "words": "Aa " * (N // 3),
    "carets": "A^" * (N // 2),
    "plus ones": "+1 " * (N // 3),
    "schemes": "http://" * (N // 7),
    "www": "www." * (N // 4),
    "titles": "Mr. " * (N // 4),
    "titles and names": "Mr. Aa " * (N // 7),
    "street starts": "1 Aa " * (N // 5),
    "date starts": "14 March " * (N // 9),
    "month starts": "Mar 1 " * (N // 6),
    "age labels": "age " * (N // 4),
    "record labels": "MRN " * (N // 4),
    "name labels": "Name: Aa, " * (N // 10),
    "ID labels": "ID: " * (N // 4),
    "phone labels": "tel 1 " * (N // 6),
    "DOI starts": "10.1234/" * (N // 8),
    "PMID lists": "PMID 1, " * (N // 8),
    "long UID": "1." * (N // 2),
    "domain runs": ("x@" + "a" * 62 + ".") * (N // 65),
    "full-width digits": "１" * N,
    "zero-width spaces": "1\u200b" * (N // 2),
    "NUL bytes": "\x00" * N,
    "ligatures": "ﬁ\u200b½x" * (N // 4),
    "mixed identifiers": "Dr. Smith 555-123-4567 a@b.co 2024-03-14 " * (N // 40),
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_megabyte_is_scanned_quickly(text):
    # CPU time, not wall time: parallel test workers share the machine. Typically 0.1 to
    # 0.8 s; catastrophic backtracking would take minutes. The collector stays out of it:
    # late in a long test run, its passes over everything earlier tests left cost seconds.
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        found = scan(text)
        elapsed = time.process_time() - start
    finally:
        gc.enable()
    assert elapsed < 10.0, f"{elapsed:.2f} s"
    for f in found[:100]:
        assert text[f.start : f.end] == f.text
