"""The demo library that ``make run`` loads into an empty database: data only.

Every word here was written for Lightbox; nothing is copied from another teaching file or
website. The authors are obviously fictional, the references are deliberately generic
("demo reference", no invented PMIDs or DOIs), and the images are DICOM series made from
the public test files that ship inside the ``pydicom`` and ``pydicom-data`` wheels (see
:mod:`lightbox.interchange.demo.dicom`, which says what was built and how).

The findings describe what those images show, and only that. The histories, ages and
follow-ups are written for teaching, and each case's discussion ends by saying where its
images come from. Where the test data could not give a case what it needed (a posterior
whole-body view, a CT series of several slices) the series was built, and the case says
so before the answer as well as after it.

Each image has two captions: the first, read with the unknown, names only the view; the
second, read after the answer, says what the image shows.

:mod:`lightbox.interchange.demo.save` turns these records into cases.
"""

from __future__ import annotations

import datetime as dt
import inspect
from dataclasses import dataclass

__all__ = [
    "AUTHORS",
    "CASES",
    "COPYRIGHT",
    "DemoCase",
    "DemoDose",
    "DemoImage",
    "DemoSeries",
    "DemoTopic",
    "SERIES",
    "TOPICS",
]

COPYRIGHT = "Demo content written for Lightbox — free to reuse"


def text(block: str) -> str:
    """Dedent a triple-quoted block and join each paragraph's wrapped lines into one.

    Markdown would join them anyway; doing it here keeps search snippets and plain-text
    exports free of hard line breaks. List items ("- ", "1. ") keep their own lines.
    """
    paragraphs = inspect.cleandoc(block).split("\n\n")
    out = []
    for para in paragraphs:
        lines = [line.strip() for line in para.splitlines()]
        if any(line.startswith(("- ", "1. ")) for line in lines):
            out.append("\n".join(lines))
        else:
            out.append(" ".join(lines))
    return "\n\n".join(out)


def about(block: str) -> str:
    """The last paragraph of a demo discussion: where the images come from."""
    return (
        "**About these images.** "
        + text(block)
        + " The history, the age where the file gives none, and the follow-up were written "
        "for teaching: nothing is known of the person the images came from."
    )


@dataclass(frozen=True)
class DemoSeries:
    prefix: str
    name: str
    description: str


@dataclass(frozen=True)
class DemoTopic:
    title: str
    anatomic_field: str
    category: str
    discussion: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class DemoDose:
    agent: str
    activity: str
    unit: str
    route: str = "i.v."
    time_to_imaging: str = ""


@dataclass(frozen=True)
class DemoImage:
    """One image of a case: a DICOM series, uploaded and shown like an author's.

    ``series`` names the series in :data:`lightbox.interchange.demo.dicom.BUILDERS`.
    ``caption`` is read before the answer (the view only); ``answer_caption`` after it.
    """

    series: str
    caption: str
    answer_caption: str
    is_main: bool = False


@dataclass(frozen=True)
class DemoCase:
    series: str
    title: str
    case_date: dt.date
    difficulty: int
    quality: int
    modality: str
    exam: str
    # None and "" only for the assembled CT stack, which is not one person.
    patient_age: int | None
    patient_sex: str
    brief_history: str
    full_history: str
    findings: str
    diagnosis: str
    discussion: str
    followup: str
    differential: tuple[str, ...]
    references: tuple[str, ...]
    acr_codes: tuple[str, ...]
    keywords: tuple[str, ...]
    authors: tuple[tuple[str, str], ...]
    images: tuple[DemoImage, ...]
    radiopharmaceuticals: tuple[DemoDose, ...] = ()
    visibility: str = "public"


# -- people and series --------------------------------------------------------------------

# Fictional, and obviously so: no real person is credited with demo text.
AUTHORS = {
    "demo": ("A. Demo", "M.D."),
    "example": ("B. Example", "M.D."),
    "sample": ("C. Sample", "M.D., Ph.D."),
    "tech": ("D. Placeholder", "CNMT"),
}

SERIES = (
    DemoSeries("bs", "Bone scintigraphy", "Planar and SPECT bone scans."),
    DemoSeries("ct", "Computed tomography", "CT of any region."),
    DemoSeries("mr", "Magnetic resonance", "MRI of any region."),
    DemoSeries("cr", "Radiography", "Plain radiographs, computed or digital."),
)

# -- topics -------------------------------------------------------------------------------

TOPICS = (
    DemoTopic(
        title="Normal Skeletal Imaging and Technique",
        anatomic_field="4",
        category="1",
        discussion=text(
            """
            Most skeletal studies are normal, and reading them well starts with knowing
            the normal study and the technique that made it. Two techniques meet here.

            **Bone scintigraphy.** Technetium-99m diphosphonates (MDP, HDP) are adsorbed
            onto the hydroxyapatite surface of bone in proportion to blood flow and
            osteoblastic activity, so a bone scan maps bone *turnover*, not anatomy. A
            typical adult study uses 740–1110 MBq (20–30 mCi) intravenously, with
            whole-body anterior and posterior images 2–4 hours later, once the kidneys have
            cleared the soft tissues. The normal adult scan is symmetric: the spine,
            pelvis, sternum, sacroiliac joints and the ends of the long bones are the most
            active, the kidneys and bladder are seen, and in children the growth plates
            are intensely active. Joints that work hard — knees, shoulders, the hands and
            feet — often show degenerative uptake that rises with age. The posterior view
            shows the spine, scapulae, posterior ribs and kidneys best; the anterior view
            the face, sternum, anterior ribs, pelvis and knees. On the anterior view the
            patient's right is on the viewer's left; on the posterior view it is on the
            viewer's right.

            **MRI of joints.** Tendons, ligaments and cortical bone are dark on every
            sequence; fat-containing marrow is bright on T1. Where a tendon curves through
            about 55° to the main magnetic field (the *magic angle*), its signal rises on
            short-TE sequences (T1, proton density, gradient echo) and falls again on long
            TE: the commonest mimic of tendinopathy. A normal tendon is of uniform low
            signal and even thickness along its whole course to its footprint.
            """
        ),
        references=(
            "Demo reference — a standard nuclear medicine textbook, chapter on skeletal "
            "scintigraphy (technique, normal appearances and patterns of disease).",
            "Demo reference — a society procedure guideline for bone scintigraphy in adults "
            "(activities, timing, patient preparation).",
            "Demo reference — a review article on MRI artefacts and pitfalls in "
            "musculoskeletal imaging.",
        ),
    ),
    DemoTopic(
        title="Bone Tumours and Skeletal Metastases",
        anatomic_field="4",
        category="3",
        discussion=text(
            """
            Metastases are by far the commonest malignant lesions of bone in adults. They
            reach the skeleton through the blood and settle where red marrow is: spine,
            pelvis, ribs, skull and the proximal femora and humeri. Prostate and breast
            cancer usually provoke an osteoblastic response, which bone scintigraphy shows
            well; purely lytic deposits (myeloma, renal and thyroid carcinoma) may be cold
            or invisible on a bone scan and are better shown by CT, MRI or PET.

            A solitary lesion on a radiograph is approached differently. The patient's age,
            the lesion's position along the bone (epiphysis, metaphysis, diaphysis) and
            across it (central, eccentric, cortical), the character of its margin (sharp
            and sclerotic, sharp without sclerosis, or permeative), any periosteal reaction
            and any matrix (osteoid, chondroid) narrow the list more than any single sign.
            A geographic lesion with a sclerotic rim in a child is almost always benign.

            Some lesions are so characteristic that biopsy does more harm than good. These
            *"don't touch"* lesions — non-ossifying fibroma, a bone island, a typical
            benign cortical defect, and others — should be recognised and named, so that
            the patient is spared an unnecessary procedure.
            """
        ),
        references=(
            "Demo reference — a standard musculoskeletal radiology textbook, chapter on the "
            "radiographic approach to a solitary bone lesion.",
            "Demo reference — a standard nuclear medicine textbook, chapter on skeletal "
            "metastases.",
            "Demo reference — a review article on \u201cdon't touch\u201d lesions of bone.",
        ),
    ),
    DemoTopic(
        title="Extra-axial Haemorrhage on CT",
        anatomic_field="1",
        category="4",
        discussion=text(
            """
            Blood outside the brain collects in one of three spaces, and its shape says
            which. An *epidural* haematoma, usually arterial and under a skull fracture,
            strips the dura from the bone: it is lens-shaped (biconvex) and stops at the
            sutures, where the dura is bound to the skull. A *subdural* haematoma, from
            torn bridging veins, spreads freely between dura and arachnoid: it is
            crescentic, crosses sutures, and stops at the falx and tentorium. *Subarachnoid*
            blood follows the sulci and cisterns.

            Attenuation follows age. Fresh clotted blood is bright (about 50–70 HU);
            over one to three weeks it fades to the density of brain (*isodense*, the
            easiest to miss: look for effaced sulci, a buckled grey–white junction and
            shift), and after about three weeks it is darker than brain, approaching CSF.
            Mixed attenuation, or a fluid level, means fresh bleeding into an older
            collection. A chronic subdural haematoma grows membranes, which show as thin
            lines along it or septa across it.

            The report should give the side, the maximum thickness, the midline shift
            and the state of the basal cisterns and ventricles, because these, with the
            patient's condition and anticoagulants, decide between observation and
            surgery. Brain windows hide thin collections against the skull: a wider
            (subdural) window, around W150–200 / L50–75, shows them.
            """
        ),
        references=(
            "Demo reference — a standard neuroradiology textbook, chapter on head trauma.",
            "Demo reference — a review article on the CT appearances of subdural "
            "haematoma at different ages.",
        ),
    ),
)

# -- cases --------------------------------------------------------------------------------

_BONE_SCAN = DemoCase(
    series="bs",
    title="Whole-body bone scan: the normal adult pattern, and reading an ANT/POST pair",
    case_date=dt.date(2024, 2, 12),
    difficulty=1,
    quality=3,
    modality="NM",
    exam="Whole-body bone scintigraphy",
    patient_age=61,
    patient_sex="M",
    brief_history="61-year-old man with aching knees and shoulders, assessed for a knee "
    "replacement.",
    full_history=text(
        """
        61-year-old man, previously well, with years of aching knees and shoulders after
        a working life in construction. A bone scan was requested while he was assessed
        for a knee replacement, to look for anything other than wear and tear.
        """
    ),
    findings=text(
        """
        Anterior whole-body image. Tracer uptake is symmetric and even through the skull,
        face, spine, ribs, sternum, pelvis and long bones. The nasal and maxillary region
        is active, as usual on the anterior view. The sternum, clavicles and
        sternoclavicular joints are clearly seen. The bladder holds intense activity, with
        faint midline activity below it in the genitalia. The kidneys are faint, as they
        usually are on the anterior view. Soft-tissue background is low.

        Uptake is increased around both shoulders and, more focally, around both knees —
        most of all at the medial side of the left knee. The pattern is centred on the
        joints, not on the shafts or the growth plates. A small, intense focus lies at the
        left wrist, at the edge of the field of view. There is no focal lesion in the
        spine, ribs or pelvis, and no uptake outside the skeleton other than the urinary
        tract.

        The second image is, for this demo, the anterior image mirrored left–right, so it
        shows the same findings on the other side of the screen (see *About these
        images*).
        """
    ),
    diagnosis="Normal bone scan with degenerative uptake in the knees and shoulders",
    discussion=text(
        """
        Most bone scans are normal, and the normal adult scan is worth knowing well. The
        skeleton is evenly and symmetrically active; the sternum, the sacroiliac joints,
        the face and the ends of the long bones are more active than the shafts; the
        kidneys and bladder are seen because the tracer is cleared in the urine. A child's
        scan differs most: bright, sharp, symmetric bands at every growth plate. Their
        absence here, with joint-centred rather than physeal uptake at the knees and
        shoulders, is one sign of an adult skeleton.

        Uptake around weight-bearing and hard-working joints is common and rises with
        age. Degenerative uptake sits on both sides of a joint, often on one compartment
        (the medial compartment of the knee is typical), and matches the radiographs.
        Uptake in the middle of a long bone, a vertebral body or a rib, or one that does
        not respect a joint, needs another explanation.

        A hot spot in a hand or wrist, away from the axial skeleton, is most often the
        injection site: tracer left in or around the vein. Arthritis and old injuries are
        the other common causes. Asking where the injection was given settles it.

        A whole-body study is read as a pair. On the anterior view (the first image) the
        patient's right is on the viewer's left, as on a chest radiograph; on the
        posterior view it is on the viewer's right, so every lateralised finding swaps
        sides between the two. The viewer lays the pair side by side, inverted
        (black-on-white, as bone scans are read) and with linked grey scale; the
        threshold slider lowers the top of the grey scale to bring out faint bone next to
        the bright bladder.
        """
    )
    + "\n\n"
    + about(
        """
        The anterior image is the whole-body bone scan in the pydicom-data test files
        (`JPEG-LL.dcm`, the lossless original; `JPEG2000_UNC.dcm` and others are lossy
        copies of the same projection). It records a dual-head camera, a Tc-99m whole-body
        protocol, a 256 × 1024 matrix of 2.26 mm pixels and a table speed of about
        10 cm/min over 1.9 m, but not the agent or the activity: MDP and 740 MBq are the
        usual adult choice, entered so that the structured fields can be seen. The test
        data hold no posterior projection. The second image is the anterior image
        mirrored left–right and labelled posterior, only so that the viewer's ANT/POST
        layout can be shown. It is not a posterior acquisition: a real posterior view
        would show the spine, scapulae and kidneys much better and the face and sternum
        worse.
        """
    ),
    followup=text(
        """
        Nothing is known of this patient's course. In practice, a scan like this needs no
        follow-up scan: the joint uptake is matched against radiographs of the painful
        joints, and the wrist focus against the injection record.
        """
    ),
    differential=(
        "Normal bone scan with degenerative joint uptake",
        "Inflammatory arthritis",
        "Injection-site activity (the wrist focus)",
        "Skeletal metastases (no focal axial lesion here)",
        "Paget disease of bone (would fill a whole bone)",
    ),
    references=(
        "Demo reference — a standard nuclear medicine textbook, chapter on skeletal "
        "scintigraphy: normal appearances and variants.",
        "Demo reference — a society procedure guideline for bone scintigraphy in adults.",
        "Demo reference — a review article on pitfalls and artefacts in bone scintigraphy.",
    ),
    acr_codes=("4.1",),
    keywords=(
        "normal bone scan",
        "degenerative joint disease",
        "osteoarthritis",
        "injection site",
        "anterior and posterior views",
    ),
    authors=(AUTHORS["demo"], AUTHORS["tech"]),
    radiopharmaceuticals=(DemoDose("Tc-99m MDP", "740", "MBq", "i.v."),),
    images=(
        DemoImage(
            "nm-bone-ant",
            "Anterior whole-body image",
            answer_caption="Symmetric skeletal uptake; joint-centred uptake at both "
            "shoulders and knees (most at the medial left knee); a small focus at the left "
            "wrist; bladder activity.",
            is_main=True,
        ),
        DemoImage(
            "nm-bone-post",
            "Posterior whole-body image — for this demo, the anterior image mirrored left–right",
            answer_caption="The anterior image mirrored: the same findings, each on the "
            "other side of the screen, as on a posterior view. Not a real posterior "
            "acquisition.",
        ),
    ),
)

_SUBDURAL = DemoCase(
    series="ct",
    title="Confusion weeks after a fall: a low-density collection over the left hemisphere",
    case_date=dt.date(2024, 6, 17),
    difficulty=2,
    quality=3,
    modality="CT",
    exam="CT head without contrast",
    patient_age=81,
    patient_sex="M",
    brief_history="81-year-old man on aspirin, increasingly confused for three weeks.",
    full_history=text(
        """
        81-year-old man who takes aspirin after a coronary stent. He tripped and struck
        his head about six weeks ago without losing consciousness. For three weeks his
        family have noticed headaches, slowness and confusion, and for two days he has been
        dragging his right leg. On examination he is drowsy but obeys commands, with a mild
        right hemiparesis.
        """
    ),
    findings=text(
        """
        A crescent-shaped extra-axial collection lies over the left cerebral convexity,
        from the frontal to the parietal region. It is darker than brain and close to CSF
        in attenuation. It is thickest frontally, where it is divided by a thin septum,
        and a fine line of slightly higher attenuation (a membrane) runs along its inner
        border. There is no bright (acute) blood within it on this slice.

        The left hemisphere is compressed and its sulci are effaced. The front of the
        falx is displaced to the right, by roughly 1 cm. In the right hemisphere an
        ill-defined area of low attenuation lies in the white matter; one slice cannot say
        what it is (older small-vessel change or oedema are possible). The scalp over the
        left frontal bone is thickened.

        Only one slice is available, so the ventricles, the basal cisterns and the
        uncus — which decide how urgent the mass effect is — cannot be assessed.
        """
    ),
    diagnosis="Left chronic subdural haematoma with midline shift",
    discussion=text(
        """
        Chronic subdural haematoma is a disease of older people. Brain atrophy stretches
        the bridging veins that cross the subdural space, so a trivial knock — often
        forgotten — can tear them; antiplatelet drugs and anticoagulants make it likelier.
        The blood provokes an inflammatory membrane with fragile new vessels that bleed
        again, so the collection can grow for weeks. Symptoms come late and are vague:
        headache, confusion, drowsiness, a falling gait, a mild hemiparesis.

        On CT a chronic subdural haematoma is a crescent over the convexity, darker than
        brain, that crosses sutures but not the falx. Membranes and septa, as here, are
        typical of older collections and make them harder to drain through a single burr
        hole. Mixed attenuation or a fluid–fluid level means fresh bleeding into the
        old collection (acute-on-chronic). The main mimic is a *subdural hygroma*: CSF
        that has leaked into the subdural space, of exactly CSF attenuation, usually
        without membranes or mass effect. A *subdural empyema* is crescentic too but the
        patient is septic, and it enhances. An *epidural* collection is lens-shaped and
        stops at sutures.

        Treatment depends on the patient more than the picture: a symptomatic
        collection with shift is drained (burr holes or a small craniotomy), antiplatelet
        drugs are stopped or reversed, and embolisation of the middle meningeal artery is
        increasingly used to lower the high rate of recurrence.
        """
    )
    + "\n\n"
    + about(
        """
        One slice of a non-contrast head CT (5 mm, \u201cplain\u201d), the file
        `693_UNCR.dcm` in the pydicom-data test files, as shipped. The rest of the study
        is not available.
        """
    ),
    followup=text(
        """
        Nothing is known of this patient's course. In practice, a drowsy patient with a
        hemiparesis and shift would have his aspirin stopped and the collection drained,
        with a CT afterwards to look for air, fresh blood and re-expansion of the brain.
        """
    ),
    differential=(
        "Chronic subdural haematoma",
        "Subdural hygroma",
        "Subdural empyema",
        "Subacute (isodense) subdural haematoma",
        "Epidural haematoma",
    ),
    references=(
        "Demo reference — a standard neuroradiology textbook, chapter on head trauma.",
        "Demo reference — a review article on the management of chronic subdural "
        "haematoma, including middle meningeal artery embolisation.",
    ),
    acr_codes=("1.4",),
    keywords=(
        "chronic subdural haematoma",
        "midline shift",
        "membrane",
        "head CT",
        "anticoagulation",
    ),
    authors=(AUTHORS["example"], AUTHORS["sample"]),
    images=(
        DemoImage(
            "ct-head-subdural",
            "Axial CT without contrast, one slice",
            answer_caption="A left-sided crescentic collection darker than brain, with a "
            "membrane and a frontal septum; the left hemisphere is compressed and the "
            "front of the falx is pushed to the right.",
            is_main=True,
        ),
    ),
)

_PERFUSION = DemoCase(
    series="ct",
    title="Sudden left-sided weakness: a cerebral blood flow map",
    case_date=dt.date(2024, 9, 2),
    difficulty=3,
    quality=3,
    modality="CT",
    exam="CT perfusion of the brain",
    patient_age=52,
    patient_sex="M",
    brief_history=(
        "52-year-old man with weakness of the left arm and face that began two hours ago."
    ),
    full_history=text(
        """
        52-year-old man with hypertension, found by his wife unable to lift his left arm,
        with a left facial droop and slurred speech, two hours after he was last seen
        well. NIHSS 12. Non-contrast CT showed no haemorrhage. CT perfusion and CT
        angiography were done before a decision on thrombectomy.
        """
    ),
    findings=text(
        """
        Two axial slices, 10 mm apart, of a cerebral blood flow (CBF) map: the lower at
        the level of the basal ganglia and thalami, the upper through the bodies of the
        lateral ventricles. Bright is high flow; black holes and lines are large vessels
        and CSF, which the software leaves out of the map.

        On both slices a large area of reduced flow occupies the lateral part of the
        right hemisphere — the insula, the frontal operculum and the lateral frontal,
        temporal and parietal cortex — the territory of the right middle cerebral artery.
        The right deep grey matter looks relatively spared on these slices. Flow in the
        left hemisphere and in the posterior (occipital) cortex of both sides is
        symmetric and preserved.
        """
    ),
    diagnosis="Acute right MCA territory ischaemic stroke",
    discussion=text(
        """
        CT perfusion follows a bolus of contrast through the brain and turns each pixel's
        time–density curve into maps: cerebral blood *flow* (CBF), cerebral blood
        *volume* (CBV), mean transit time (MTT) and time to maximum of the residue
        function (Tmax). In acute ischaemia, tissue that is already infarcted (the
        *core*) has very low flow and volume; tissue at risk but still salvageable (the
        *penumbra*) has prolonged transit times with relatively kept volume. Software
        usually calls CBF below about 30% of the other side core, and Tmax over 6 s
        hypoperfused; the difference is the mismatch that selects patients for
        thrombectomy late after onset.

        One CBF map cannot separate core from penumbra on its own: the CBV and Tmax
        maps, and CT angiography to find the occluded artery (here one would expect the
        right M1 or a proximal M2 branch), complete the study. What the CBF map does
        show well is the territory: a wedge of low flow in the lateral hemisphere, sparing
        the anterior and posterior cerebral territories, is the right middle cerebral
        artery.

        Pitfalls: read the side from the image's orientation, not from habit; chronic
        infarcts also have low flow but are already dark on non-contrast CT; seizures can
        lower or raise flow; a severe carotid stenosis, a poor bolus or patient motion can
        produce broad, non-territorial abnormalities.
        """
    )
    + "\n\n"
    + about(
        """
        The two frames of `eCT_Supplemental.dcm` in the pydicom test files, an Enhanced
        CT perfusion map whose own header calls it an MCA stroke example. It was stored
        with the patient's right on the viewer's right; for this demo the columns (and
        the orientation attributes with them) were flipped to the usual radiological
        view, right on the viewer's left. Its colour palette is not shown: the map is
        read in grey.
        """
    ),
    followup=text(
        """
        Nothing is known of this patient's course. In practice, with a proximal right
        MCA occlusion on CT angiography, a small core and a large mismatch, he would be
        given thrombolysis if eligible and taken for mechanical thrombectomy.
        """
    ),
    differential=(
        "Acute right MCA territory ischaemic stroke",
        "Chronic right MCA territory infarct",
        "Post-ictal change after a seizure",
        "Hypoperfusion from a severe right carotid stenosis",
        "Technical artefact (bolus timing, motion)",
    ),
    references=(
        "Demo reference — a current stroke society guideline on the early management of "
        "acute ischaemic stroke.",
        "Demo reference — a review article on CT perfusion in acute stroke: maps, "
        "thresholds and pitfalls.",
    ),
    acr_codes=("1.7",),
    keywords=(
        "CT perfusion",
        "cerebral blood flow",
        "middle cerebral artery",
        "acute ischaemic stroke",
        "penumbra",
    ),
    authors=(AUTHORS["sample"],),
    images=(
        DemoImage(
            "ct-perfusion",
            "CT perfusion, blood flow map: two axial slices",
            answer_caption="Reduced flow in the lateral right hemisphere (insula, frontal "
            "operculum, lateral temporal and parietal cortex) on both slices: the right "
            "MCA territory.",
            is_main=True,
        ),
    ),
)

_HEAD_CT = DemoCase(
    series="ct",
    title="Dizziness in an older woman: the skull-base slice of a head CT",
    case_date=dt.date(2024, 10, 8),
    difficulty=2,
    quality=4,
    modality="CT",
    exam="CT head",
    patient_age=76,
    patient_sex="F",
    brief_history="76-year-old woman with two days of dizziness and unsteadiness.",
    full_history=text(
        """
        76-year-old woman with two days of dizziness and unsteady walking, no headache,
        no weakness and no speech disturbance. A CT was done in the emergency department
        to exclude haemorrhage.
        """
    ),
    findings=text(
        """
        One axial slice, angled along the skull base (the gantry was tilted about 22°),
        through the frontal sinuses and orbital roofs, the middle cranial fossae, the
        sella and sphenoid sinus, the petrous temporal bones and the posterior fossa.

        The frontal lobes (gyri recti), both temporal lobes, the pons, the fourth
        ventricle and both cerebellar hemispheres have normal attenuation and
        grey–white differentiation. There is no haemorrhage, mass, low-attenuation area
        or extra-axial collection. The fourth ventricle is in the midline and not
        compressed. The temporal sulci are slightly prominent, in keeping with age.

        The frontal and sphenoid sinuses and the mastoid air cells are clear; the right
        mastoid is more extensively pneumatised than the left, a common asymmetry. Faint
        dark streaks cross the posterior fossa between the dense petrous bones: beam
        hardening, not disease.
        """
    ),
    diagnosis="Normal head CT for age",
    discussion=text(
        """
        The skull base is the hardest part of a head CT. Dense bone surrounds small
        structures, partial volume blurs the temporal lobes against the middle cranial
        fossa floor, and X-rays passing through both petrous bones lose their low-energy
        photons (*beam hardening*), leaving dark bands across the pons and cerebellum
        that can mimic infarcts or, where they are bright, haemorrhage. Tilting the
        gantry along the skull base, thin slices and iterative reconstruction reduce them;
        following a band beyond the brain, or seeing it vanish on the next slice, exposes
        it.

        A normal CT does not exclude a posterior circulation stroke: CT misses most
        small brainstem and cerebellar infarcts in the first hours. In a dizzy patient the
        bedside examination (gait, nystagmus, head impulse test) and, when a central
        cause is suspected, MRI with diffusion-weighted imaging are what answer the
        question.

        Reading a normal study well means naming each structure on the slice and
        checking it: sinuses and mastoids, orbits, temporal lobes, the pons, the fourth
        ventricle (its shape and position report mass effect in the posterior fossa),
        the cerebellum and the basal cisterns.
        """
    )
    + "\n\n"
    + about(
        """
        One slice of a head CT, the file `J2K_pixelrep_mismatch.dcm` in the pydicom-data
        test files, whose header gives the age. Its JPEG 2000 codestream and its
        (0028,0103) Pixel Representation disagree, which confuses some decoders, so it
        was decompressed for the demo; the pixels are unchanged.
        """
    ),
    followup=text(
        """
        Nothing is known of this patient's course. In practice, an unremarkable CT with
        worrying bedside signs (a normal head impulse test, direction-changing nystagmus
        or a skew deviation) leads to MRI with diffusion-weighted imaging.
        """
    ),
    differential=(
        "Normal head CT for age",
        "Early posterior circulation infarct, not yet visible on CT",
        "Beam-hardening artefact mistaken for infarct or haemorrhage",
        "Age-related atrophy",
    ),
    references=(
        "Demo reference — a standard neuroradiology textbook, chapter on normal CT "
        "anatomy of the skull base and posterior fossa.",
        "Demo reference — a review article on CT artefacts and how to recognise them.",
    ),
    acr_codes=("1.1",),
    keywords=("normal head CT", "skull base", "posterior fossa", "beam hardening", "dizziness"),
    authors=(AUTHORS["example"],),
    # Signed-in readers only: a newcomer sees what "institution" visibility does.
    visibility="institution",
    images=(
        DemoImage(
            "ct-head",
            "Axial CT through the skull base, one slice",
            answer_caption="Normal frontal lobes, temporal lobes, pons, fourth ventricle "
            "and cerebellum; clear sinuses and mastoids; faint beam-hardening streaks "
            "across the posterior fossa.",
            is_main=True,
        ),
    ),
)

_CT_STACK = DemoCase(
    series="ct",
    title="Scrolling a CT stack: from the mid-thorax to the kidneys",
    case_date=dt.date(2024, 11, 19),
    difficulty=1,
    quality=3,
    modality="CT",
    exam="CT, three axial slices (an assembled teaching stack)",
    patient_age=None,
    patient_sex="",
    brief_history=(
        "Not one patient: three axial CT slices of three people, ordered head to foot, "
        "put together to practise scrolling and windowing. Name what you see."
    ),
    full_history=text(
        """
        A teaching stack. The public DICOM test files hold no CT series of several
        readable slices, so three single slices of three different people were put into
        one series, in head-to-foot order, to show how a stack is scrolled (mouse wheel,
        or the arrow keys) and how window presets change what is visible. The gaps
        between the slices are not real, and the fields of view differ.
        """
    ),
    findings=text(
        """
        1. Mid-thorax, after intravenous contrast, small field of view (about 8.5 cm): a
        thoracic vertebra with its body, pedicles, laminae and spinous process around the
        spinal canal; a rib articulating with it on the right; the descending aorta in
        front of it on the left; the paraspinal muscles behind; lung at the edges.

        2. Thoracolumbar junction, without contrast, small field of view (about 15 cm): a
        lower thoracic or upper lumbar vertebra, with the posterior costophrenic recesses
        of both lungs as dark crescents beside it and the lowest ribs lateral to them;
        the upper abdominal soft tissues and fat in front.

        3. Upper abdomen, early (arterial-phase) contrast: the liver, the spleen, both
        kidneys with their cortex enhancing more than the medulla (corticomedullary
        phase), the renal pelvis on the right, the brightly enhancing pancreas, the aorta
        with the superior mesenteric artery in front of it, the inferior vena cava,
        bowel with air, and a lumbar vertebra.

        Nothing abnormal is seen on any of the three slices.
        """
    ),
    diagnosis="Normal CT anatomy",
    discussion=text(
        """
        A CT study is read by scrolling, never slice by slice in isolation: structures
        are recognised by following them from one slice to the next (a vessel stays
        round and continuous, a node does not; bowel can be traced, a mass cannot). On a
        real series, slices are contiguous or overlapping, so the whole volume is seen;
        here, three slices from three people only show the mechanics.

        Window settings decide what can be seen. A soft-tissue window (W400 / L40–50)
        shows organs, vessels and fat; a lung window (W1500 / L−600) shows the lungs
        and airways; a bone window (W2000 / L300) shows cortex and trabeculae. Try
        each preset on every slice: the lungs at the edges of slices 1 and 2 appear
        only in the lung window, and the trabecular pattern of each vertebra only in the
        bone window.

        The phase of contrast matters too. Slice 3 is early: the renal cortex enhances
        before the medulla, and the pancreas is at its brightest (the pancreatic phase).
        On a portal venous phase, a minute later, the kidneys enhance evenly and the
        liver is brighter.
        """
    )
    + "\n\n"
    + about(
        """
        Slice 1 is `CT_small.dcm` (pydicom), slice 2 `bad_sequence.dcm` and slice 3
        `explicit_VR-UN.dcm` (pydicom-data), given one series and one pseudonymous
        patient for the demo. Slice 3 was stored upside down (its orientation attributes
        said so) and has been turned upright. Slices 2 and 3 were decompressed. No slice
        was otherwise altered, and no patient has all three.
        """
    ),
    followup=text(
        """
        None: these slices are from three different people, and nothing is known of
        any of them.
        """
    ),
    differential=(
        "Normal anatomy",
        "A diaphragmatic crus mistaken for a retrocrural node",
        "Unopacified bowel mistaken for a mass",
        "Corticomedullary enhancement mistaken for renal disease",
    ),
    references=(
        "Demo reference — a cross-sectional anatomy atlas (CT, thorax and abdomen).",
        "Demo reference — a review article on CT window settings and contrast phases.",
    ),
    acr_codes=("0.1",),
    keywords=("normal anatomy", "CT windows", "stack scrolling", "contrast phases"),
    authors=(AUTHORS["demo"],),
    images=(
        DemoImage(
            "ct-stack",
            "Axial CT, three slices of three people (an assembled teaching stack)",
            answer_caption="1: thoracic vertebra, rib and descending aorta; 2: "
            "thoracolumbar junction with the posterior costophrenic recesses; 3: liver, "
            "spleen, pancreas and kidneys in the corticomedullary phase.",
            is_main=True,
        ),
    ),
)

_SHOULDER = DemoCase(
    series="mr",
    title="Shoulder pain with overhead work: is the cuff torn?",
    case_date=dt.date(2025, 1, 14),
    difficulty=3,
    quality=4,
    modality="MR",
    exam="MRI shoulder without contrast",
    patient_age=45,
    patient_sex="M",
    brief_history="45-year-old man with shoulder pain on overhead work; rule out a cuff tear.",
    full_history=text(
        """
        45-year-old electrician with three months of right shoulder pain when working
        overhead, no injury, full strength on examination and a painful arc. MRI was
        requested to exclude a rotator cuff tear before a course of physiotherapy.
        """
    ),
    findings=text(
        """
        Coronal oblique T1-weighted spin-echo image along the supraspinatus. The
        supraspinatus muscle lies under the acromioclavicular joint, and its tendon runs
        over the top of the humeral head to the greater tuberosity as a continuous dark
        band of even thickness, with no gap, no retraction and no fluid-like defect. The
        fat plane between the tendon and the acromion is preserved. The muscle has normal
        bulk and no fatty infiltration.

        The marrow of the humeral head, acromion and clavicle is bright (fatty) and
        normal; the thin dark line across the humeral head is the healed growth plate
        (physeal scar). The acromion is flat on its undersurface, and the
        acromioclavicular joint is not enlarged. The deltoid and subcutaneous fat are
        normal.
        """
    ),
    diagnosis="Intact rotator cuff: normal MRI",
    discussion=text(
        """
        A normal study is worth reading as carefully as an abnormal one: it is how a
        reader learns what the normal tendon, footprint and muscle look like. The
        supraspinatus tendon should be uniformly dark and of even thickness all the way
        to its footprint on the greater tuberosity; the muscle belly should be as large as
        the fossa that holds it, without streaks of fat.

        Three traps make a normal cuff look torn. The *magic-angle effect*: where the
        tendon curves at about 55° to the magnetic field its signal rises on short-TE
        images (T1, proton density) and falls again on T2 — a tear stays bright on T2.
        *Partial volume* with the muscle–tendon junction or the interval between
        supraspinatus and infraspinatus. And the normal *critical zone* near the
        insertion, where the tendon is thinner. A tear is fluid-bright on T2, interrupts
        the fibres and, when full-thickness, lets fluid into the subacromial–subdeltoid
        bursa.

        Calling an artefact a tear leads to unnecessary surgery; missing a tear lets the
        muscle atrophy and the tendon retract until it can no longer be repaired.
        """
    )
    + "\n\n"
    + about(
        """
        One coronal oblique T1-weighted image of a right shoulder, the file
        `MR2_J2KR.dcm` in the pydicom-data test files (JPEG 2000 lossless), as shipped.
        The T2-weighted images that would complete the study are not available.
        """
    ),
    followup=text(
        """
        Nothing is known of this patient's course. In practice, with an intact cuff and
        subacromial pain, a course of physiotherapy comes before any further imaging.
        """
    ),
    differential=(
        "Normal rotator cuff",
        "Supraspinatus tendinopathy",
        "Partial-thickness articular-side tear",
        "Magic-angle effect mistaken for a tear",
        "Calcific tendinitis",
    ),
    references=(
        "Demo reference — a standard musculoskeletal MRI textbook, chapter on the shoulder.",
        "Demo reference — a review article on MRI artefacts and pitfalls in musculoskeletal "
        "imaging.",
    ),
    acr_codes=("4.1",),
    keywords=("rotator cuff", "supraspinatus", "normal anatomy", "magic angle", "shoulder MRI"),
    authors=(AUTHORS["sample"],),
    images=(
        DemoImage(
            "mr-shoulder",
            "Coronal oblique T1-weighted image of the right shoulder",
            answer_caption="The supraspinatus tendon runs intact over the humeral head to "
            "the greater tuberosity; normal marrow, a physeal scar, a flat acromion.",
            is_main=True,
        ),
    ),
)

_LIVER = DemoCase(
    series="mr",
    title="Rim-enhancing liver lesion after colon cancer surgery",
    case_date=dt.date(2024, 9, 23),
    difficulty=3,
    quality=4,
    modality="MR",
    exam="MRI upper abdomen with dynamic gadolinium",
    patient_age=58,
    patient_sex="M",
    brief_history="58-year-old man with a rising CEA after colon cancer surgery.",
    full_history=text(
        """
        58-year-old man 18 months after sigmoid colectomy for a stage III adenocarcinoma
        and adjuvant chemotherapy. CEA has risen from 2 to 14 ng/mL. Surveillance CT
        showed an indeterminate low-attenuation liver lesion; MRI was requested to
        characterise it before a decision on surgery. No fever; liver tests normal.
        """
    ),
    findings=text(
        """
        Axial fat-suppressed 3D T1-weighted gradient-echo image during the dynamic
        series after gadolinium. A round mass about 4 cm across lies in the anterior
        liver. It has an irregular, enhancing rim and a darker, non-enhancing centre, and
        the liver around it enhances more than the rest of the parenchyma (a perfusion
        change). The rest of the liver on this slice is smooth-edged and uniform.

        Both kidneys show corticomedullary enhancement and the aorta is bright; the other
        organs on this slice are unremarkable.
        """
    ),
    diagnosis="Colorectal cancer metastasis to the liver",
    discussion=text(
        """
        The liver drains the bowel through the portal vein and is the commonest site of
        colorectal metastasis; up to about half of patients develop liver disease at some
        point. Colorectal metastases are usually hypovascular: rim enhancement on arterial
        and portal phases, a "target" appearance on T2 and diffusion, and peripheral
        washout on delayed images. The liver around a metastasis often enhances more in
        the arterial phase, as here, because the tumour alters the local portal and
        arterial supply.

        MRI with diffusion and a hepatobiliary contrast agent is the most sensitive test
        for small metastases and is used before surgery, when finding one more lesion
        changes the plan. Resection offers the best chance of long survival if all
        disease can be removed while leaving enough healthy liver; ablation and systemic
        therapy fill the gaps.

        Rim enhancement is not specific. A pyogenic abscess is usually septated or
        clustered, with a double-target appearance and a septic patient; intrahepatic
        cholangiocarcinoma shows capsular retraction and delayed central enhancement;
        hepatocellular carcinoma usually arises in a cirrhotic liver with arterial
        enhancement, washout and a capsule; a haemangioma fills in from the periphery
        with discontinuous nodules that follow the blood pool.
        """
    )
    + "\n\n"
    + about(
        """
        One image of a dynamic liver MRI, the file `MR-SIEMENS-DICOM-WithOverlays.dcm` in
        the pydicom-data test files, as shipped; its header gives the age and sex and
        calls the lesion a marked lesion. The overlay that circled it does not survive
        de-identification, which is as well for an unknown. Only this image is available:
        the other phases and sequences described in the discussion are not.
        """
    ),
    followup=text(
        """
        Nothing is known of this patient's course. In practice, a solitary metastasis
        with a normal remaining liver would be discussed at a multidisciplinary meeting
        for resection or ablation, after PET-CT to exclude disease elsewhere.
        """
    ),
    differential=(
        "Colorectal cancer metastasis",
        "Pyogenic liver abscess",
        "Intrahepatic cholangiocarcinoma",
        "Hepatocellular carcinoma",
        "Atypical (sclerosing) haemangioma",
    ),
    references=(
        "Demo reference — a standard abdominal imaging textbook, chapter on focal liver lesions.",
        "Demo reference — a review article on imaging colorectal liver metastases before "
        "resection.",
    ),
    acr_codes=("7.3",),
    keywords=("liver metastasis", "colorectal cancer", "rim enhancement", "CEA"),
    authors=(AUTHORS["example"], AUTHORS["sample"]),
    images=(
        DemoImage(
            "mr-liver",
            "Axial fat-suppressed T1-weighted image of the upper abdomen after gadolinium",
            answer_caption="A round lesion in the anterior liver with an enhancing rim "
            "and a darker centre; the liver around it enhances more than the rest.",
            is_main=True,
        ),
    ),
)

_BRAIN_3D = DemoCase(
    series="mr",
    title="Ten slices of a 3D T1-weighted volume",
    case_date=dt.date(2024, 7, 9),
    difficulty=1,
    quality=2,
    modality="MR",
    exam="MRI, 3D T1-weighted gradient echo at 3 T (a small crop)",
    patient_age=34,
    patient_sex="F",
    brief_history=(
        "34-year-old woman with headaches; a 3D T1-weighted volume, shown as a small crop."
    ),
    full_history=text(
        """
        34-year-old woman with occasional tension-type headaches and a normal
        neurological examination. MRI was done to reassure. Only a small crop of one
        sequence is shown: it is here to practise scrolling through a multi-frame image.
        """
    ),
    findings=text(
        """
        Ten contiguous slices, 1.2 mm apart, of a 3D T1-weighted gradient-echo volume
        acquired at 3 T, cropped to a small square (64 × 64 pixels) at the edge of a
        lateral ventricle. White matter is brighter than grey matter, and CSF is dark, as
        on any T1-weighted image. Gyri with bright white-matter cores and a grey cortical
        ribbon fill one side of the crop; the dark lateral ventricle, lined by bright
        white matter, curves along the other. Scrolling through the slices, the sulci
        and the ventricle change shape smoothly, as they do through a real volume.

        The grey–white junction is sharp everywhere, and no focal abnormality is seen in
        this small part of the brain.
        """
    ),
    diagnosis="Normal brain MRI",
    discussion=text(
        """
        A 3D T1-weighted gradient-echo sequence (MPRAGE, TFE, BRAVO by manufacturer)
        acquires the whole head as one volume of thin, contiguous slices, typically
        about 1 mm in every direction. Its strength is anatomy: grey and white matter
        are well separated, so cortical thickness, the grey–white junction and small
        malformations of cortical development can be judged, and the volume can be
        reformatted in any plane. After gadolinium it is the standard for finding small
        enhancing lesions.

        On T1 weighting, fat and white matter (rich in myelin) are bright, grey matter is
        darker and CSF is darkest. A blurred grey–white junction suggests focal cortical
        dysplasia; chronic demyelinating lesions can appear dark ("black holes").

        Many vendors now store such a volume as one *multi-frame* (enhanced) DICOM file
        instead of hundreds of single-slice files; the viewer scrolls through its frames
        exactly as through a stack of files.
        """
    )
    + "\n\n"
    + about(
        """
        The file `emri_small.dcm` in the pydicom test files, an Enhanced MR image of
        ten frames, as shipped: a 64 × 64 crop of a 3D T1-weighted volume, already
        de-identified by its publisher. The crop is too small to tell the plane with
        certainty.
        """
    ),
    followup=text(
        """
        Nothing is known of this patient's course. In practice, a normal MRI in a
        patient with tension-type headache ends the imaging.
        """
    ),
    differential=(
        "Normal brain",
        "Focal cortical dysplasia (a blurred grey–white junction)",
        "Chronic demyelinating lesions (dark on T1)",
        "Motion artefact mistaken for abnormal signal",
    ),
    references=(
        "Demo reference — a standard neuroradiology textbook, chapter on MRI technique "
        "and normal brain anatomy.",
        "Demo reference — a review article on 3D T1-weighted imaging in clinical neuroradiology.",
    ),
    acr_codes=("1.1",),
    keywords=("normal brain", "3D T1", "multi-frame", "grey-white differentiation"),
    authors=(AUTHORS["sample"], AUTHORS["demo"]),
    images=(
        DemoImage(
            "mr-brain-3d",
            "3D T1-weighted gradient-echo images, ten contiguous slices (small crop)",
            answer_caption="Bright white matter, a grey cortical ribbon and a dark lateral "
            "ventricle, changing smoothly through ten normal slices.",
            is_main=True,
        ),
    ),
)

_CANNONBALL = DemoCase(
    series="cr",
    title="Multiple round lung masses",
    case_date=dt.date(2024, 3, 27),
    difficulty=1,
    quality=5,
    modality="CR",
    exam="Chest radiograph, PA",
    patient_age=52,
    patient_sex="F",
    brief_history="52-year-old woman with cough and weight loss.",
    full_history=text(
        """
        52-year-old woman with two months of dry cough, breathlessness on exertion and
        6 kg weight loss. Two years ago she had a hysterectomy for a uterine
        leiomyosarcoma. No fever; she has never smoked.
        """
    ),
    findings=text(
        """
        Numerous well-defined round opacities of varying size, the largest about 4 cm,
        are scattered through both lungs, more in the middle and lower zones. None is
        visibly cavitated. The heart is not enlarged, the mediastinum is not widened and
        there is no large pleural effusion. The bones shown are unremarkable.
        """
    ),
    diagnosis="Pulmonary metastases (\u201ccannonball\u201d pattern)",
    discussion=text(
        """
        Tumour cells reaching the lungs through the blood lodge in the small peripheral
        arteries, so haematogenous metastases are round, well defined, of varying size
        (they arrive at different times) and commonest at the bases, where blood flow is
        greatest. Large, smooth "cannonball" metastases are classically from renal cell
        carcinoma, sarcomas (leiomyosarcoma, osteosarcoma, synovial sarcoma),
        choriocarcinoma and germ-cell tumours, and colorectal carcinoma. Cavitation
        suggests squamous cell carcinoma or sarcoma, or follows chemotherapy;
        calcification suggests osteosarcoma or chondrosarcoma, mucinous adenocarcinoma,
        or treated disease.

        In a woman with a previous hysterectomy for a *benign* leiomyoma, the same
        picture may be benign metastasizing leiomyoma, a slow-growing condition of
        smooth-muscle nodules.

        Other causes of multiple nodules have their own clues: septic emboli are
        peripheral, cavitate and change from day to day in a febrile patient;
        granulomatosis with polyangiitis cavitates; arteriovenous malformations have
        feeding and draining vessels; infections such as fungi and mycobacteria come with
        a clinical story. CT counts and measures the nodules and, in sarcoma with
        limited disease, helps to choose patients for metastasectomy.
        """
    )
    + "\n\n"
    + about(
        """
        A PA chest radiograph, the file `RG1_J2KR.dcm` in the pydicom-data test files
        (JPEG 2000 lossless), as shipped but for its pixel spacing, which was 0 (unknown)
        and has been removed. The primary tumour is not known: the history gives one for
        the case to be read as a whole.
        """
    ),
    followup=text(
        """
        Nothing is known of this patient's course. In practice, CT of the chest, abdomen
        and pelvis would count the nodules and look for other disease, and a CT-guided
        biopsy of one nodule would confirm the diagnosis before treatment.
        """
    ),
    differential=(
        "Haematogenous metastases",
        "Benign metastasizing leiomyoma",
        "Septic emboli",
        "Granulomatosis with polyangiitis",
        "Multiple pulmonary arteriovenous malformations",
        "Fungal or mycobacterial infection",
    ),
    references=(
        "Demo reference — a standard chest radiology textbook, chapter on multiple "
        "pulmonary nodules.",
        "Demo reference — a review article on patterns of pulmonary metastatic disease.",
    ),
    acr_codes=("6.3",),
    keywords=("cannonball metastases", "pulmonary nodules", "leiomyosarcoma", "chest x-ray"),
    authors=(AUTHORS["demo"],),
    images=(
        DemoImage(
            "cr-chest",
            "PA chest radiograph",
            answer_caption="Many well-defined round opacities of different sizes in both "
            "lungs; the heart is not enlarged.",
            is_main=True,
        ),
    ),
)

_NOF = DemoCase(
    series="cr",
    title="Bubbly lesion in the distal tibia of a teenager",
    case_date=dt.date(2024, 5, 21),
    difficulty=2,
    quality=5,
    modality="CR",
    exam="Radiograph of the right tibia and ankle, AP",
    patient_age=15,
    patient_sex="F",
    brief_history="15-year-old girl with an ankle sprain; incidental finding on the radiograph.",
    full_history=text(
        """
        15-year-old girl who twisted her right ankle playing netball. She has had no
        previous pain in the leg, no night pain and no swelling. A radiograph was taken
        to exclude an ankle fracture.
        """
    ),
    findings=text(
        """
        A well-defined, lobulated lucent lesion in the distal tibial metadiaphysis, a few
        centimetres above the ankle joint, lying eccentrically towards the fibular side.
        Its long axis parallels the shaft; it has thin sclerotic scalloped margins and a
        multiloculated ("bubbly") appearance. The overlying cortex is thinned but intact;
        there is no periosteal reaction, matrix mineralisation or soft-tissue mass.

        No ankle fracture is seen. The distal tibial physis is at or near closure.
        """
    ),
    diagnosis="Non-ossifying fibroma",
    discussion=text(
        """
        Non-ossifying fibroma and fibrous cortical defect are the same fibrous lesion at
        different sizes: a small one confined to the cortex is a fibrous cortical defect,
        a larger one extending into the medulla is a non-ossifying fibroma. They are very
        common in children and adolescents, found most often around the knee and in the
        distal tibia, and nearly always discovered by chance.

        The radiograph is diagnostic: an eccentric, metaphyseal or metadiaphyseal lucent
        lesion, elongated along the bone, with a sclerotic, scalloped, often
        multiloculated margin and no aggressive features. As the bone grows the lesion is
        left behind towards the diaphysis, and with skeletal maturity it fills in with
        sclerosis and fades. It is a classic *"don't touch"* lesion: biopsy is not
        needed.

        Large lesions — especially those occupying more than half the width of the bone
        — can cause pathological fracture and may need follow-up or curettage. Healing
        lesions may be mildly active on bone scintigraphy and variable on MRI, which can
        confuse if the radiograph is not looked at first. Multiple lesions with
        café-au-lait spots suggest Jaffe–Campanacci syndrome or neurofibromatosis type 1.
        """
    )
    + "\n\n"
    + about(
        """
        An AP radiograph, the file `RG3_J2KR.dcm` in the pydicom-data test files, whose
        header gives the sex and names the lesion (that description is removed by
        de-identification, as it would give the answer away). It was stored mirrored —
        its (0020,0020) Patient Orientation put the patient's right on the viewer's
        right, and the side marker read backwards — and has been turned to the usual
        orientation.
        """
    ),
    followup=text(
        """
        Nothing is known of this patient's course. In practice, the sprain is treated
        conservatively, and a typical non-ossifying fibroma of this size needs no further
        imaging.
        """
    ),
    differential=(
        "Non-ossifying fibroma",
        "Fibrous dysplasia",
        "Chondromyxoid fibroma",
        "Aneurysmal bone cyst",
        "Simple bone cyst",
        "Osteofibrous dysplasia",
    ),
    references=(
        "Demo reference — a standard musculoskeletal radiology textbook, chapter on "
        "fibrous lesions of bone.",
        "Demo reference — a review article on \u201cdon't touch\u201d lesions of bone.",
    ),
    acr_codes=("4.3",),
    keywords=("non-ossifying fibroma", "fibrous cortical defect", "don't touch lesion", "tibia"),
    authors=(AUTHORS["example"],),
    images=(
        DemoImage(
            "cr-tibia",
            "AP radiograph of the right lower leg and ankle",
            answer_caption="A lobulated, multiloculated lucent lesion with thin sclerotic "
            "margins, eccentric in the distal tibial metadiaphysis; intact cortex, no "
            "periosteal reaction.",
            is_main=True,
        ),
    ),
)

CASES: tuple[DemoCase, ...] = (
    _BONE_SCAN,
    _SUBDURAL,
    _PERFUSION,
    _HEAD_CT,
    _CT_STACK,
    _SHOULDER,
    _LIVER,
    _BRAIN_3D,
    _CANNONBALL,
    _NOF,
)
