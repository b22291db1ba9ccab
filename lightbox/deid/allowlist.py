"""What Lightbox keeps of a DICOM data set beyond PS3.15 Table E.1-1: an explicit allowlist.

Django-free. :mod:`lightbox.deid.dicom` applies Table E.1-1 first; this
module decides every attribute the table does not list, and the free text the table
would let an option keep. The rule, in order:

1. **Allowlisted** (:data:`GROUPS`): kept when its value has the dictionary's VR. Every
   group says why the viewer, the renderer, grouping or IOD validity needs it; none is
   free text (LO, LT, SH, ST, UT, UC, UR, PN). A kept sequence has its items de-identified
   by the same rules, at any depth.
2. **Coded** (:data:`CODED`): a code is kept only inside the sequences named there and only
   when it is one of the closed set of codes of the context groups named there (pydicom's
   copy of PS3.16); its Code Meaning is rewritten from the standard, never copied.
3. **Defined terms** (:data:`VALUE_RULES`): a text attribute kept only when its value is
   one of the standard's defined terms (or has the standard's form), else replaced by a
   fallback or removed.
4. **Required by an IOD** (:data:`REQUIRED`): free text that an image IOD requires is
   emptied (Type 2) or replaced by a dummy (Type 1), never kept.
5. **Everything else is removed**: other free text, other sequences (with everything in
   them), attributes unknown to the dictionary, and values whose VR is not the
   dictionary's.

Examples
--------
>>> from pydicom.datadict import tag_for_keyword
>>> KEPT[tag_for_keyword("WindowCenter")].name
'VOI LUT: window numbers'
>>> tag_for_keyword("WindowCenterWidthExplanation") in KEPT
False
>>> allowed_code(tag_for_keyword("ViewCodeSequence"), "SCT", "399321004").meaning
'Anterior projection'
>>> allowed_code(tag_for_keyword("ProcedureCodeSequence"), "LN", "24727-0") is None
True
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from pydicom import Dataset
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.sr._snomed_dict import mapping as _snomed_mapping
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code

__all__ = [
    "CODED",
    "CODED_OF",
    "FREE_TEXT_VRS",
    "GROUPS",
    "KEPT",
    "REQUIRED",
    "REQUIRED_OF",
    "VALUE_RULES",
    "VALUE_RULE_OF",
    "CodedContext",
    "Group",
    "Need",
    "Required",
    "ValueRule",
    "allowed_code",
    "dictionary_vrs",
    "view_label",
]

#: Value representations that hold free text. UR is here too: a URL can say anything.
FREE_TEXT_VRS: Final = frozenset({"LO", "LT", "SH", "ST", "UT", "UC", "UR", "PN"})


@dataclass(frozen=True)
class Group:
    """Attributes kept for one reason."""

    name: str
    reason: str
    keywords: tuple[str, ...]


GROUPS: Final[tuple[Group, ...]] = (
    Group(
        "SOP and series identity",
        "what the instance is and where it sorts: Lightbox's grouping and the stack order",
        (
            "SpecificCharacterSet",
            "SOPClassUID",
            "Modality",
            "SeriesNumber",
            "InstanceNumber",
            "AcquisitionNumber",
            "ImageType",
            "ImagesInAcquisition",
            "TemporalPositionIdentifier",
            "NumberOfTemporalPositions",
            "TemporalResolution",
            "StageNumber",
            "NumberOfStages",
            "ViewNumber",
            "NumberOfViewsInStage",
            "SOPInstanceUIDOfConcatenationSource",
            "InConcatenationNumber",
            "InConcatenationTotalNumber",
            "ConcatenationFrameOffsetNumber",
        ),
    ),
    Group(
        "Position and view (coded strings)",
        "orientation markers, laterality and the view (ANT/POST pairs) the viewer shows",
        (
            "PatientPosition",
            "PatientOrientation",
            "AnatomicalOrientationType",
            "Laterality",
            "ImageLaterality",
            "FrameLaterality",
            "ViewPosition",
            "BodyPartExamined",
            "PresentationIntentType",
        ),
    ),
    Group(
        "Image Pixel module",
        "what the decoder needs to turn the pixel data into an image",
        (
            "SamplesPerPixel",
            "PhotometricInterpretation",
            "Rows",
            "Columns",
            "BitsAllocated",
            "BitsStored",
            "HighBit",
            "PixelRepresentation",
            "PlanarConfiguration",
            "PixelAspectRatio",
            "SmallestImagePixelValue",
            "LargestImagePixelValue",
            "PixelPaddingValue",
            "PixelPaddingRangeLimit",
            "UltrasoundColorDataPresent",
            "ColorSpace",
            "PixelData",
            "FloatPixelData",
            "DoubleFloatPixelData",
            "ExtendedOffsetTable",
            "ExtendedOffsetTableLengths",
        ),
    ),
    Group(
        "Palette colour lookup tables",
        "PALETTE COLOR images cannot be shown without them",
        (
            "RedPaletteColorLookupTableDescriptor",
            "GreenPaletteColorLookupTableDescriptor",
            "BluePaletteColorLookupTableDescriptor",
            "AlphaPaletteColorLookupTableDescriptor",
            "RedPaletteColorLookupTableData",
            "GreenPaletteColorLookupTableData",
            "BluePaletteColorLookupTableData",
            "AlphaPaletteColorLookupTableData",
            "SegmentedRedPaletteColorLookupTableData",
            "SegmentedGreenPaletteColorLookupTableData",
            "SegmentedBluePaletteColorLookupTableData",
            "SegmentedAlphaPaletteColorLookupTableData",
        ),
    ),
    Group(
        "Modality LUT: rescale numbers",
        "stored values to modality units (Hounsfield units for CT)",
        (
            "RescaleIntercept",
            "RescaleSlope",
            "ModalityLUTSequence",
            "LUTDescriptor",
            "LUTData",
        ),
    ),
    Group(
        "VOI LUT: window numbers",
        "the stored window the viewer and thumbnails open with; no explanation text",
        (
            "WindowCenter",
            "WindowWidth",
            "VOILUTFunction",
            "VOILUTSequence",
            "PresentationLUTShape",
            "PixelIntensityRelationship",
            "PixelIntensityRelationshipSign",
        ),
    ),
    Group(
        "Multi-frame and cine",
        "frame count, frame order and timing for stack scroll and cine",
        (
            "NumberOfFrames",
            "FrameIncrementPointer",
            "FrameTime",
            "FrameTimeVector",
            "CineRate",
            "RecommendedDisplayFrameRate",
            "FrameDelay",
            "ActualFrameDuration",
            "StartTrim",
            "StopTrim",
            "PreferredPlaybackSequencing",
        ),
    ),
    Group(
        "Geometry and frame of reference",
        "pixel size, slice position and orientation for measuring and ordering stacks",
        (
            "PixelSpacing",
            "ImagerPixelSpacing",
            "NominalScannedPixelSpacing",
            "PixelSpacingCalibrationType",
            "EstimatedRadiographicMagnificationFactor",
            "ImagePositionPatient",
            "ImageOrientationPatient",
            "SliceThickness",
            "SpacingBetweenSlices",
            "SliceLocation",
            "DistanceSourceToDetector",
            "DistanceSourceToPatient",
            "GantryDetectorTilt",
            "TableHeight",
            "TableTraverse",
            "DataCollectionDiameter",
            "ReconstructionDiameter",
        ),
    ),
    Group(
        "Enhanced multi-frame functional groups",
        "per-frame geometry, window and rescale of enhanced images, and their Type 1 flags",
        (
            "SharedFunctionalGroupsSequence",
            "PerFrameFunctionalGroupsSequence",
            "PixelMeasuresSequence",
            "PlanePositionSequence",
            "PlaneOrientationSequence",
            "FrameVOILUTSequence",
            "PixelValueTransformationSequence",
            "FrameContentSequence",
            "FrameAcquisitionNumber",
            "FrameAcquisitionDuration",
            "DimensionIndexValues",
            "InStackPositionNumber",
            "TemporalPositionIndex",
            "DimensionOrganizationSequence",
            "DimensionIndexSequence",
            "DimensionIndexPointer",
            "FunctionalGroupPointer",
            "DimensionOrganizationType",
            "MRImageFrameTypeSequence",
            "CTImageFrameTypeSequence",
            "FrameType",
            "PixelPresentation",
            "VolumetricProperties",
            "VolumeBasedCalculationTechnique",
            "ComplexImageComponent",
            "AcquisitionContrast",
            "ContentQualification",
            "FrameAnatomySequence",
            "IrradiationEventIdentificationSequence",
        ),
    ),
    Group(
        "Ultrasound regions",
        "calibration of ultrasound regions, for measuring",
        (
            "SequenceOfUltrasoundRegions",
            "RegionSpatialFormat",
            "RegionDataType",
            "RegionFlags",
            "RegionLocationMinX0",
            "RegionLocationMinY0",
            "RegionLocationMaxX1",
            "RegionLocationMaxY1",
            "ReferencePixelX0",
            "ReferencePixelY0",
            "PhysicalUnitsXDirection",
            "PhysicalUnitsYDirection",
            "ReferencePixelPhysicalValueX",
            "ReferencePixelPhysicalValueY",
            "PhysicalDeltaX",
            "PhysicalDeltaY",
            "TransducerFrequency",
            "PulseRepetitionFrequency",
        ),
    ),
    Group(
        "NM acquisition numbers",
        "frame vectors, detectors and energy windows of NM images, whole-body pairs included",
        (
            "EnergyWindowVector",
            "NumberOfEnergyWindows",
            "DetectorVector",
            "NumberOfDetectors",
            "PhaseVector",
            "NumberOfPhases",
            "RotationVector",
            "NumberOfRotations",
            "RRIntervalVector",
            "NumberOfRRIntervals",
            "TimeSlotVector",
            "NumberOfTimeSlots",
            "SliceVector",
            "NumberOfSlices",
            "AngularViewVector",
            "TimeSliceVector",
            "NumberOfTimeSlices",
            "CountsAccumulated",
            "AcquisitionTerminationCondition",
            "CountRate",
            "ScanVelocity",
            "WholeBodyTechnique",
            "ScanLength",
            "CorrectedImage",
            "DetectorInformationSequence",
            "CollimatorType",
            "FieldOfViewShape",
            "FieldOfViewDimensions",
            "FocalDistance",
            "XFocusCenter",
            "YFocusCenter",
            "ZoomFactor",
            "ZoomCenter",
            "RadialPosition",
            "StartAngle",
            "AngularStep",
            "RotationDirection",
            "ScanArc",
            "CenterOfRotationOffset",
            "TypeOfDetectorMotion",
            "RotationInformationSequence",
            "NumberOfFramesInRotation",
            "EnergyWindowInformationSequence",
            "EnergyWindowRangeSequence",
            "EnergyWindowLowerLimit",
            "EnergyWindowUpperLimit",
        ),
    ),
    Group(
        "NM/PET dose and decay numbers",
        "activity, half-life and timing that SUV and decay correction need; no drug text",
        (
            "RadiopharmaceuticalInformationSequence",
            "RadionuclideTotalDose",
            "RadionuclideHalfLife",
            "RadionuclidePositronFraction",
            "RadiopharmaceuticalVolume",
            "RadiopharmaceuticalSpecificActivity",
            "Units",
            "SUVType",
            "CountsSource",
            "SeriesType",
            "DecayCorrection",
            "RandomsCorrectionMethod",
            "FrameReferenceTime",
            "DecayFactor",
            "DoseCalibrationFactor",
            "ScatterFractionFactor",
            "DeadTimeFactor",
            "ImageIndex",
            "AcquisitionStartCondition",
        ),
    ),
    Group(
        "CT acquisition numbers",
        "Type 1/2 of the CT Image module (KVP, acquisition number) and dose numbers",
        (
            "KVP",
            "XRayTubeCurrent",
            "ExposureTime",
            "Exposure",
            "ExposureInuAs",
            "GeneratorPower",
            "FocalSpots",
            "RevolutionTime",
            "SingleCollimationWidth",
            "TotalCollimationWidth",
            "TableSpeed",
            "TableFeedPerRotation",
            "SpiralPitchFactor",
            "CTDIvol",
            "DataCollectionCenterPatient",
            "ReconstructionTargetCenterPatient",
            "ExposureModulationType",
        ),
    ),
    Group(
        "MR acquisition numbers",
        "Type 1/2 of the MR Image and Enhanced MR modules: sequence, timing, field",
        (
            "ScanningSequence",
            "SequenceVariant",
            "ScanOptions",
            "MRAcquisitionType",
            "RepetitionTime",
            "EchoTime",
            "InversionTime",
            "TriggerTime",
            "EchoTrainLength",
            "NumberOfAverages",
            "ImagingFrequency",
            "EchoNumbers",
            "MagneticFieldStrength",
            "NumberOfPhaseEncodingSteps",
            "PercentSampling",
            "PercentPhaseFieldOfView",
            "PixelBandwidth",
            "AcquisitionMatrix",
            "InPlanePhaseEncodingDirection",
            "FlipAngle",
            "VariableFlipAngleFlag",
            "SAR",
            "dBdt",
            "AngioFlag",
            "EchoPulseSequence",
            "MultiPlanarExcitation",
            "PhaseContrast",
            "TimeOfFlightContrast",
            "Spoiling",
            "SteadyStatePulseSequence",
            "EchoPlanarPulseSequence",
            "MagnetizationTransfer",
            "T2Preparation",
            "BloodSignalNulling",
            "SaturationRecovery",
            "SpectrallySelectedSuppression",
            "SpectrallySelectedExcitation",
            "SpatialPresaturation",
            "Tagging",
            "OversamplingPhase",
            "GeometryOfKSpaceTraversal",
            "SegmentedKSpaceTraversal",
            "RectilinearPhaseEncodeReordering",
            "CardiacSynchronizationTechnique",
            "ResonantNucleus",
            "KSpaceFiltering",
            "ParallelAcquisition",
            "ParallelAcquisitionTechnique",
            "PartialFourier",
            "EffectiveEchoTime",
            "AcquisitionDuration",
            "CoverageOfKSpace",
            "NumberOfKSpaceTrajectories",
        ),
    ),
    Group(
        "Projection radiography",
        "Type 1/2 of the DX, CR and mammography modules: detector and positioner",
        (
            "DetectorType",
            "PositionerType",
            "PositionerPrimaryAngle",
            "PositionerSecondaryAngle",
            "BodyPartThickness",
            "CompressionForce",
            "ExposureIndex",
            "TargetExposureIndex",
            "DeviationIndex",
        ),
    ),
    Group(
        "RT Dose grid",
        "what turns an RT Dose's pixels into dose and its frames into planes",
        (
            "DoseUnits",
            "DoseType",
            "DoseSummationType",
            "DoseGridScaling",
            "GridFrameOffsetVector",
        ),
    ),
    Group(
        "Capture and compression flags",
        "secondary-capture type, lossy compression and burned-in text flags (pixel review)",
        (
            "ConversionType",
            "BurnedInAnnotation",
            "RecognizableVisualFeatures",
            "LossyImageCompression",
            "LossyImageCompressionRatio",
            "LossyImageCompressionMethod",
        ),
    ),
    Group(
        "References between instances",
        "which instance and frame a reference points at (UIDs remapped like the instances)",
        (
            "ReferencedSOPClassUID",
            "ReferencedFrameNumber",
            "ReferencedSegmentNumber",
            "SpatialLocationsPreserved",
            "ReferencedRTPlanSequence",
            "ReferencedFractionGroupSequence",
            "ReferencedFractionGroupNumber",
            "ReferencedBeamSequence",
            "ReferencedBeamNumber",
        ),
    ),
)


def _tag(keyword: str) -> int:
    tag = tag_for_keyword(keyword)
    if tag is None:  # pragma: no cover - a typo in the tables above
        raise RuntimeError(f"{keyword} is not in pydicom's dictionary")
    return int(tag)


#: Every allowlisted attribute, by tag, with its group.
KEPT: Final[Mapping[int, Group]] = {_tag(k): group for group in GROUPS for k in group.keywords}


@functools.cache
def dictionary_vrs(tag: int) -> frozenset[str]:
    """The VRs the dictionary allows for ``tag`` (``"US or SS"`` gives both), or none."""
    try:
        return frozenset(str(dictionary_VR(tag)).split(" or "))
    except KeyError:
        return frozenset()


# -- coded values -------------------------------------------------------------------------


@dataclass(frozen=True)
class CodedContext:
    """A code sequence whose codes are kept when they belong to the context groups."""

    keyword: str
    cids: tuple[int, ...]
    reason: str


CODED: Final[tuple[CodedContext, ...]] = (
    CodedContext(
        "ViewCodeSequence",
        (26, 4010, 4014),
        "the projection (CID 26 NM, 4010 DX, 4014 mammography): the viewer's ANT/POST pairs",
    ),
    CodedContext(
        "ViewModifierCodeSequence",
        (4011, 4015),
        "the view modifier (CID 4011 DX, 4015 mammography), Type 2 inside the view",
    ),
    CodedContext(
        "AnatomicRegionSequence",
        (4, 4009, 4013, 4030, 4031, 7482, 7483),
        "the anatomy (CID 4 and the anatomy-imaged groups): Type 1 in Frame Anatomy and DX "
        "Anatomy Imaged, as Body Part Examined says it; never a meaning from the file",
    ),
    CodedContext(
        "PurposeOfReferenceCodeSequence",
        (7201, 7202, 7205),
        "why one image references another (CID 7201, 7202, 7205)",
    ),
)


def _concepts(cids: Iterable[int]) -> dict[tuple[str, str], Code]:
    found: dict[tuple[str, str], Code] = {}
    for cid in cids:
        for code in getattr(codes, f"CID{cid}").concepts.values():
            found[(str(code.scheme_designator), str(code.value))] = code
    return found


#: The coded contexts, by the tag of their sequence.
CODED_OF: Final[Mapping[int, CodedContext]] = {_tag(c.keyword): c for c in CODED}
_CODES: Final[Mapping[int, Mapping[tuple[str, str], Code]]] = {
    _tag(context.keyword): _concepts(context.cids) for context in CODED
}
# Old files code SNOMED as SRT (SNOMED RT ids); PS3.16 maps each to its SNOMED CT id. (A
# private module of the pinned pydicom: the same table its Code equality uses.)
_SRT_TO_SCT: Final[Mapping[str, str]] = _snomed_mapping["SRT"]


def allowed_code(sequence: int, scheme: str, value: str) -> Code | None:
    """The standard's code for ``(scheme, value)`` when the sequence ``sequence`` may keep
    it, else ``None``. An SRT code is looked up by its SNOMED CT equivalent; the code
    returned is always the standard's, with the standard's meaning.
    """
    allowed = _CODES.get(sequence)
    if not allowed:
        return None
    scheme, value = scheme.strip(), value.strip()
    if scheme in ("SRT", "SNM3") and value in _SRT_TO_SCT:
        scheme, value = "SCT", _SRT_TO_SCT[value]
    return allowed.get((scheme, value))


# A short label for the views Lightbox pairs or shows; other views get the standard's
# meaning. (0018,5101) View Position defined terms are short too (AP, PA, LL, …).
_VIEW_LABELS: Final[Mapping[Code, str]] = {
    codes.CID26.AnteriorProjection: "ANT",
    codes.CID26.PosteriorProjection: "POST",
    codes.CID26.LeftLateralEmissiveProjection: "LLAT",
    codes.CID26.RightLateralEmissiveProjection: "RLAT",
    codes.CID26.LeftAnteriorObliqueEmissiveProjection: "LAO",
    codes.CID26.RightAnteriorObliqueEmissiveProjection: "RAO",
    codes.CID26.LeftPosteriorObliqueEmissiveProjection: "LPO",
    codes.CID26.RightPosteriorObliqueEmissiveProjection: "RPO",
    codes.CID26.Lateral: "LAT",
}
_VIEW_CODE_SEQUENCE: Final = _tag("ViewCodeSequence")


def view_label(ds: Dataset) -> str:
    """The view of an image from coded values only: (0018,5101) View Position, else the
    first allowed code of a (0054,0220) View Code Sequence, at the top level (DX, MG) or in
    (0054,0022) Detector Information Sequence (NM). ``""`` when there is none.

    Examples
    --------
    >>> from pydicom import Dataset
    >>> ds, detector, view = Dataset(), Dataset(), Dataset()
    >>> view.CodeValue, view.CodingSchemeDesignator = "399001007", "SCT"
    >>> detector.ViewCodeSequence = [view]
    >>> ds.DetectorInformationSequence = [detector]
    >>> view_label(ds)
    'POST'
    """
    position = str(ds.get("ViewPosition", "") or "").strip()
    if position:
        return position
    holders = [ds, *(ds.get("DetectorInformationSequence") or [])]
    for holder in holders:
        for item in holder.get("ViewCodeSequence") or []:
            code = allowed_code(
                _VIEW_CODE_SEQUENCE,
                str(item.get("CodingSchemeDesignator", "") or ""),
                str(item.get("CodeValue", "") or ""),
            )
            if code is not None:
                return _VIEW_LABELS.get(code) or str(code.meaning).upper()
    return ""


# -- text kept only as a defined term -------------------------------------------------------


@dataclass(frozen=True)
class ValueRule:
    """A text attribute kept only when its whole value matches ``pattern``; otherwise
    replaced with ``fallback`` (or removed when there is none)."""

    keyword: str
    pattern: re.Pattern[str]
    fallback: str | None
    reason: str


# PS3.3 C.11.1.1.2 Rescale Type defined terms; US is "unspecified".
_RESCALE_TYPES: Final = re.compile(r"OD|HU|US|MGML|Z_EFF|ED|EDW|HU_MOD|PCT")

VALUE_RULES: Final[tuple[ValueRule, ...]] = (
    ValueRule(
        "RescaleType",
        _RESCALE_TYPES,
        "US",
        "the unit of the rescaled values (Type 1C with Rescale Intercept); defined terms",
    ),
    ValueRule(
        "ModalityLUTType",
        _RESCALE_TYPES,
        "US",
        "the unit of a Modality LUT's output (Type 1); defined terms",
    ),
    ValueRule(
        "StackID",
        re.compile(r"\d{1,16}"),
        "1",
        "which stack a frame belongs to (Type 1C with In-Stack Position Number); digits",
    ),
    ValueRule(
        "TimezoneOffsetFromUTC",
        re.compile(r"[+-](0\d|1[0-4])[0-5]\d"),
        None,
        "kept with the shifted dates only when it is a UTC offset (±hhmm)",
    ),
)
VALUE_RULE_OF: Final[Mapping[int, ValueRule]] = {_tag(r.keyword): r for r in VALUE_RULES}


# -- free text an IOD requires ----------------------------------------------------------------


class Need(enum.IntEnum):
    """The DICOM attribute type: what removing the attribute would break."""

    TYPE1 = 1  # must have a value: a dummy
    TYPE2 = 2  # must be present, may be empty: emptied
    TYPE3 = 3  # optional: removed


@dataclass(frozen=True)
class Required:
    """Free text an image IOD requires: its type in ordinary images and in enhanced
    multi-frame images (an enhanced SOP class, or (5200,9229) Shared Functional Groups)."""

    keyword: str
    plain: Need
    enhanced: Need
    reason: str


REQUIRED: Final[tuple[Required, ...]] = (
    Required("Manufacturer", Need.TYPE2, Need.TYPE1, "(Enhanced) General Equipment"),
    Required("ManufacturerModelName", Need.TYPE3, Need.TYPE1, "Enhanced General Equipment"),
    Required("DeviceSerialNumber", Need.TYPE3, Need.TYPE1, "Enhanced General Equipment"),
    Required("SoftwareVersions", Need.TYPE3, Need.TYPE1, "Enhanced General Equipment"),
    Required("PositionReferenceIndicator", Need.TYPE2, Need.TYPE2, "Frame of Reference"),
    Required("PulseSequenceName", Need.TYPE3, Need.TYPE1, "MR Pulse Sequence"),
    Required("ReceiveCoilName", Need.TYPE3, Need.TYPE1, "MR Receive Coil"),
    Required("TransmitCoilName", Need.TYPE3, Need.TYPE1, "MR Transmit Coil"),
    Required("RadionuclideCodeSequence", Need.TYPE2, Need.TYPE2, "NM/PET Isotope"),
    Required("AcquisitionContextSequence", Need.TYPE2, Need.TYPE2, "Acquisition Context"),
    Required("ContentLabel", Need.TYPE1, Need.TYPE1, "Content Identification"),
    Required("ContentDescription", Need.TYPE2, Need.TYPE2, "Content Identification"),
)
REQUIRED_OF: Final[Mapping[int, Required]] = {_tag(r.keyword): r for r in REQUIRED}
