"""One file's odd values never fail the batch it is stored with.

Files are stored 32 to a transaction; a value that does not fit its column (a Series
Number beyond 32 bits, an over-long SOP Class UID from a malformed file) would make
PostgreSQL refuse the whole transaction, failing the upload for every file in it.
"""

import io
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file

from lightbox.imaging.ingest import process_upload
from lightbox.imaging.models import Instance, Upload
from lightbox.imaging.uploads import receive
from lightbox.test import Named, Nobody, make_case

pytestmark = pytest.mark.django_db


def _odd_ct() -> bytes:
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm", download=False))
    ds.SeriesNumber = "99999999999"  # (0020,0011) IS: up to 12 characters
    ds.InstanceNumber = "-99999999999"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2." + "1" * 60  # longer than a UI may be
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=False)
    return out.getvalue()


def test_values_that_do_not_fit_their_columns_fail_nothing():
    mr = Path(get_testdata_file("MR_small.dcm", download=False)).read_bytes()
    case = make_case()
    upload = receive(case, Nobody(), [Named("odd.dcm", _odd_ct()), Named("mr.dcm", mr)])
    upload = process_upload(upload.pk)
    assert upload.state == Upload.State.DONE, upload.error
    assert {f.name: f.state for f in upload.files.all()} == {"odd.dcm": "done", "mr.dcm": "done"}
    odd = upload.files.get(name="odd.dcm").instance
    assert odd.instance_number is None and odd.series.series_number is None
    assert len(odd.sop_class_uid) <= 64
    assert Instance.objects.filter(series__study__case=case).count() == 2
