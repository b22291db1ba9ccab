"""De-identified files stay valid DICOM: dciodvfy (Debian's dicom3tools) finds no error in
a de-identified file that it did not already find in the original."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pydicom import Dataset, dcmread
from pydicom.data import get_testdata_file

from lightbox.deid.dicom import DeidPolicy, deidentify, write_deidentified

POLICY = DeidPolicy(bytes(range(32)), "LIGHTBOX^bs068", "bs068")
NM_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.20"


@pytest.fixture(scope="module")
def dciodvfy() -> str:
    found = shutil.which("dciodvfy")
    if found is None:
        message = "dciodvfy is missing: apt-get install -y dicom3tools"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def errors(dciodvfy: str, path: Path) -> set[str]:
    """dciodvfy's Error lines, with UIDs and numbers masked: a remapped UID is no error."""
    done = subprocess.run([dciodvfy, str(path)], capture_output=True, timeout=120, check=False)
    lines = (done.stdout + done.stderr).decode("latin-1").splitlines()
    return {
        re.sub(r"\d+(\.\d+)+", "<n>", " ".join(line.split()))
        for line in lines
        if line.startswith("Error")
    }


def load(name: str) -> Dataset:
    path = get_testdata_file(name, download=False)
    assert path is not None, f"{name} is missing: install pydicom and pydicom-data"
    return dcmread(path)


def code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def nm_whole_body() -> Dataset:
    """pydicom-data's NM whole-body bone scan (a secondary capture) made an NM Image, with
    the NM Isotope and Detector modules a gamma camera writes, free text included."""
    ds = load("JPEG2000_UNC.dcm")
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = NM_IMAGE_STORAGE
    del ds.ConversionType
    window = Dataset()
    window.EnergyWindowLowerLimit, window.EnergyWindowUpperLimit = 126, 154
    energy = Dataset()
    energy.EnergyWindowRangeSequence = [window]
    energy.EnergyWindowName = "TC99M GLIOMA"
    ds.EnergyWindowInformationSequence = [energy]
    dose = Dataset()
    dose.RadionuclideCodeSequence = [code("C-163A8", "SRT", "^99m^Technetium")]
    dose.RadionuclideTotalDose = 740
    dose.Radiopharmaceutical = "Tc-99m MDP for metastases"
    ds.RadiopharmaceuticalInformationSequence = [dose]
    detector = Dataset()
    detector.CollimatorType = "PARA"
    detector.CollimatorGridName = "LEHR"
    detector.FocalDistance = 0
    detector.ImagePositionPatient = [0, 0, 0]
    detector.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    detector.ViewCodeSequence = [code("399321004", "SCT", "Anterior: metastases")]
    ds.DetectorInformationSequence = [detector]
    ds.PatientOrientation = ["L", "F"]
    ds.add_new(0x00540400, "SH", "WB GLIOMA")  # (0054,0400) Image ID
    return ds


CASES = {
    "CT_small.dcm": lambda: load("CT_small.dcm"),
    "MR_small.dcm": lambda: load("MR_small.dcm"),
    "US1_UNCR.dcm": lambda: load("US1_UNCR.dcm"),
    "JPEG2000_UNC.dcm (NM, secondary capture)": lambda: load("JPEG2000_UNC.dcm"),
    "JPEG2000_UNC.dcm as an NM Image": nm_whole_body,
    "emri_small.dcm (enhanced MR)": lambda: load("emri_small.dcm"),
}


@pytest.mark.parametrize("name", CASES)
def test_it_adds_no_dciodvfy_error_to_a_de_identified_file(name, dciodvfy, tmp_path):
    original = CASES[name]()
    before, after = tmp_path / "original.dcm", tmp_path / "deidentified.dcm"
    original.save_as(before, enforce_file_format=True)
    write_deidentified(deidentify(original, POLICY).dataset, after)
    assert dcmread(after).PatientIdentityRemoved == "YES"  # it is the de-identified one
    new = errors(dciodvfy, after) - errors(dciodvfy, before)
    assert not new, f"{name}: errors the original did not have:\n" + "\n".join(sorted(new))


def test_the_nm_image_keeps_its_nm_modules_without_their_text(tmp_path):
    out = deidentify(nm_whole_body(), POLICY).dataset
    window = out.EnergyWindowInformationSequence[0]
    assert "EnergyWindowName" not in window
    assert window.EnergyWindowRangeSequence[0].EnergyWindowUpperLimit == 154
    dose = out.RadiopharmaceuticalInformationSequence[0]
    assert dose.RadionuclideTotalDose == 740 and "Radiopharmaceutical" not in dose
    assert list(dose.RadionuclideCodeSequence) == []  # Type 2: emptied
    detector = out.DetectorInformationSequence[0]
    assert detector.CollimatorType == "PARA" and "CollimatorGridName" not in detector
    assert detector.ViewCodeSequence[0].CodeMeaning == "Anterior projection"
    assert "ImageID" not in out and out.PatientOrientation == ["L", "F"]
