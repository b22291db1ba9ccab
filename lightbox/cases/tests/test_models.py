from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from lightbox.cases import acr
from lightbox.cases.models import Case, Radiopharmaceutical, format_number, split_number
from lightbox.test import add_dose, make_case, make_series

pytestmark = pytest.mark.django_db


def test_case_numbers_are_assigned_per_series():
    a = make_case()
    b = make_case()
    c = make_case(series=make_series("ct", "Computed tomography"))
    assert (a.number, b.number, c.number) == ("bs001", "bs002", "ct001")


def test_a_number_never_repeats_within_a_series():
    case = make_case()
    with pytest.raises(IntegrityError):
        Case.objects.create(series=case.series, sequence=case.sequence)


def test_numbers_past_999_keep_growing():
    assert format_number("bs", 1234) == "bs1234"
    assert split_number("BS068") == ("bs", 68)


@pytest.mark.parametrize("bad", ["b068", "bones068", "bs", "068", "bs-068", ""])
def test_it_rejects_malformed_numbers(bad):
    with pytest.raises(ValueError, match="not a case number"):
        split_number(bad)


def test_the_primary_acr_code_decides_field_and_category():
    case = make_case(acr_codes=["642.3212", "4.5"], anatomic_field="1", category="1")
    assert (case.anatomic_field, case.category) == ("6", "3")
    assert case.field_name == "Lung, mediastinum and pleura"
    assert case.category_name == "Neoplasm, neoplastic-like condition"


def test_without_a_code_the_chosen_field_stays():
    case = make_case(acr_codes=[], anatomic_field="8", category="4")
    assert (case.anatomic_field, case.category) == ("8", "4")


@pytest.mark.parametrize("codes", [["4x5"], ["abc"], ["4.5.6"], [""], "4.5", [45]])
def test_it_validates_acr_code_shape(codes):
    case = make_case()
    case.acr_codes = codes
    with pytest.raises(ValidationError):
        case.full_clean()


def test_acr_table_covers_every_digit():
    assert list(acr.fields()) == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"]
    assert list(acr.categories()) == [str(d) for d in range(1, 10)]
    assert acr.field_for_name("Skeletal System") == "4"
    assert acr.category_for_name("metabolic, endocrine and toxic") == "5"


def test_rating_prints_as_the_legacy_pages_did():
    assert make_case(difficulty=3, quality=4).rating == "#D3, #Q4"
    assert make_case(difficulty=None, quality=2).rating == "#Q2"
    assert make_case(difficulty=None, quality=None).rating == ""


@pytest.mark.parametrize("field", ["difficulty", "quality"])
@pytest.mark.parametrize("value", [0, 6])
def test_ratings_stay_between_one_and_five(field, value):
    with pytest.raises(IntegrityError):
        make_case(**{field: value})


def test_ages_over_89_are_aggregated():
    case = make_case(patient_age=97)
    case.refresh_from_db()
    assert case.patient_age == 90
    assert case.patient_age_display == "90 or older"


def test_activity_converts_between_mci_and_mbq():
    case = make_case()
    mci = add_dose(case, activity="21.6", unit="mCi")
    assert mci.activity_mbq == Decimal("799.2")
    assert mci.activity_display == "21.6 mCi (799.2 MBq)"
    mbq = add_dose(case, agent="F-18 FDG", activity="370", unit="MBq")
    assert mbq.activity_mci == Decimal("10.00")
    assert mbq.activity_display == "370 MBq (10.00 mCi)"


def test_an_activity_needs_a_unit():
    dose = Radiopharmaceutical(case=make_case(), agent="Tc-99m MDP", activity=Decimal(20))
    with pytest.raises(ValidationError):
        dose.full_clean()


@pytest.mark.parametrize(
    "refs",
    [[{"text": ""}], [{"text": "x", "pmid": "abc"}], [{"text": "x", "doi": "nope"}],
     [{"text": "x", "url": "http://evil"}], "text"],
)  # fmt: skip
def test_references_are_validated(refs):
    case = make_case()
    case.references = refs
    with pytest.raises(ValidationError):
        case.full_clean()


def test_publishing_stamps_the_publication_time():
    case = make_case(status="draft")
    assert case.published_at is None
    case.status = "published"
    case.save()
    assert case.published_at is not None


def test_a_case_with_an_image_needing_pixel_review_cannot_be_published():
    from lightbox.imaging.models import Image

    case = make_case(status="draft")
    Image.objects.create(case=case, pixel_review="needed")
    case.status = "published"
    with pytest.raises(ValidationError, match="burned-in identifiers"):
        case.full_clean()
    Image.objects.filter(case=case).update(pixel_review="confirmed")
    case.full_clean()
