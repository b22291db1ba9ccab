"""The demo library that ``make run`` loads into an empty database: data only.

Every word here was written for Lightbox; nothing is copied from another teaching file or
website. The authors are obviously fictional, the references are deliberately generic
("demo reference", no invented PMIDs or DOIs), and the images are rendered from public DICOM
test files that ship inside the ``pydicom`` and ``pydicom-data`` wheels. Where a test image
cannot show a case's pathology its caption says so. Each image has two captions: the first,
read with the unknown, names only the view; the second, read after the answer, says what
the image shows (or would show).

:mod:`lightbox.interchange.demo` turns these records into cases.
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
    """One picture, rendered from a DICOM test file.

    ``window`` is (centre, width) in modality units; ``crop`` is (left, top, right, bottom)
    as fractions of the rendered frame; ``mirror`` flips left–right (for a file whose
    (0020,0020) Patient Orientation puts the patient's right on the viewer's right);
    ``scale`` enlarges tiny test matrices so they are readable without the viewer's zoom.
    ``caption`` is read before the answer (the view only); ``answer_caption`` after it.
    """

    source: str
    caption: str
    answer_caption: str = ""
    is_main: bool = False
    frame: int = 0
    window: tuple[float, float] | None = None
    invert: bool | None = None
    crop: tuple[float, float, float, float] | None = None
    mirror: bool = False
    scale: float = 1.0


@dataclass(frozen=True)
class DemoCase:
    series: str
    title: str
    case_date: dt.date
    difficulty: int
    quality: int
    modality: str
    exam: str
    patient_age: int
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
    DemoSeries("nm", "Nuclear medicine (general)", "Nuclear medicine other than bone scans."),
    DemoSeries("ct", "Computed tomography", "CT of any region."),
    DemoSeries("mr", "Magnetic resonance", "MRI of any region."),
    DemoSeries("cr", "Radiography", "Plain radiographs, computed or digital."),
)

# -- images -------------------------------------------------------------------------------

# One public whole-body bone scan (NM, 256 × 1024, a single projection) serves every bone
# case. A count window that saturates the bladder keeps the skeleton visible.
NM_WHOLE_BODY = "JPEG2000_UNC.dcm"
NM_WINDOW = (55.0, 110.0)
NM_REUSED = (
    "The same public test scan illustrates every demo bone-scan case, so it does not show "
    "this patient's findings."
)

# -- topics -------------------------------------------------------------------------------

TOPICS = (
    DemoTopic(
        title="Bone Scintigraphy",
        anatomic_field="4",
        category="5",
        discussion=text(
            """
            Technetium-99m diphosphonates (MDP, HDP) are adsorbed onto the hydroxyapatite
            surface of bone. How much tracer a region takes up depends on two things: its
            blood flow, and how actively osteoblasts are laying down new mineral. A bone
            scan is therefore a map of bone *turnover*, not of anatomy. It is very sensitive
            and rather unspecific: fracture, infection, tumour, arthritis and metabolic
            disease can all look "hot", and the pattern and distribution of uptake carry
            most of the diagnostic information.

            A typical adult study uses 740–1110 MBq (20–30 mCi) injected intravenously, with
            whole-body images 2–4 hours later once soft-tissue activity has cleared through
            the kidneys. Good hydration and voiding before imaging lower the bladder dose and
            keep the pelvis readable. A normal scan shows symmetric skeletal uptake, both
            kidneys and the bladder; in children the growth plates are intensely active.
            Three-phase imaging (flow, blood pool, delayed) helps with osteomyelitis and
            complex regional pain syndrome, and SPECT/CT turns an equivocal planar focus into
            a specific diagnosis more often than any other single addition.

            Metabolic bone disease raises uptake throughout the skeleton. The features to
            look for are: increased uptake in the axial skeleton and the long bones,
            accentuated periarticular activity, a prominent calvarium and mandible, beading
            of the costochondral junctions, a "tie-shaped" sternum, and faint or absent
            kidneys. Uptake outside bone — in muscle, calcified soft tissue, tumours or
            organs — is always worth naming, because its cause is often not what the scan
            was requested for.
            """
        ),
        references=(
            "Demo reference — a standard nuclear medicine textbook, chapter on skeletal "
            "scintigraphy (technique, normal appearances and patterns of disease).",
            "Demo reference — a society procedure guideline for bone scintigraphy in adults "
            "(activities, timing, patient preparation).",
            "Demo reference — a review article on extra-osseous uptake of bone-seeking "
            "radiopharmaceuticals.",
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
            or invisible on a bone scan and are better shown by CT, MRI or PET. After
            effective treatment a scan may look worse for the first weeks to three months
            — the *flare* phenomenon — because healing bone is more active than tumour.

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
            "metastases, the superscan and the flare phenomenon.",
            "Demo reference — a review article on \u201cdon't touch\u201d lesions of bone.",
        ),
    ),
    DemoTopic(
        title="Pulmonary Embolism Imaging",
        anatomic_field="6",
        category="7",
        discussion=text(
            """
            Imaging for pulmonary embolism starts at the bedside. A validated clinical score
            (Wells or revised Geneva) sorts patients into low, intermediate and high pretest
            probability; in those who are not high, a normal D-dimer excludes embolism
            without imaging. Everyone else is imaged, and the result must always be read
            against that pretest probability.

            CT pulmonary angiography is the first-line test: fast, widely available, and it
            shows other causes of chest pain and breathlessness. An acute embolus is a
            central or eccentric filling defect making an acute angle with the vessel wall,
            often expanding an occluded artery. Right-ventricular strain — an RV/LV diameter
            ratio above 1.0, a flattened or leftward-bowing septum, contrast reflux into the
            IVC and hepatic veins — helps to stratify risk together with troponin and
            natriuretic peptides. Chronic thromboembolic disease looks different: eccentric
            wall-adherent thrombus with obtuse angles, webs and bands, abrupt tapering,
            mosaic attenuation and enlarged bronchial arteries.

            Ventilation–perfusion scintigraphy remains the test of choice when iodinated
            contrast is unwise (renal failure, prior severe reaction), often in pregnancy
            and young women because of its low breast dose, and it is the screening test
            for chronic thromboembolic pulmonary hypertension, where it is more sensitive
            than CT. Embolism produces wedge-shaped, pleural-based perfusion defects with
            preserved ventilation (mismatch); SPECT and a simple present / absent /
            non-diagnostic report make the study more useful than the older probability
            categories.
            """
        ),
        references=(
            "Demo reference — a current international society guideline on the diagnosis "
            "and management of acute pulmonary embolism.",
            "Demo reference — a review article on CT pulmonary angiography: acute and "
            "chronic emboli, right-heart strain and pitfalls.",
            "Demo reference — a standard nuclear medicine textbook, chapter on "
            "ventilation–perfusion scintigraphy.",
        ),
    ),
)

# -- cases --------------------------------------------------------------------------------

_SUPERSCAN = DemoCase(
    series="bs",
    title="A bone scan that looks almost too good",
    case_date=dt.date(2024, 2, 12),
    difficulty=2,
    quality=4,
    modality="NM",
    exam="Whole-body bone scintigraphy",
    patient_age=71,
    patient_sex="M",
    brief_history="71-year-old man with back pain and a rapidly rising PSA.",
    full_history=text(
        """
        71-year-old man treated with external-beam radiotherapy for Gleason 4+4 prostate
        adenocarcinoma six years ago. For three months he has had low back and pelvic pain,
        fatigue and weight loss. PSA is 480 ng/mL (post-treatment nadir 0.3 ng/mL) and
        alkaline phosphatase is five times the upper limit of normal. Creatinine is normal.
        Restaging bone scintigraphy was requested.
        """
    ),
    findings=text(
        """
        Whole-body images three hours after injection show intense, diffusely increased
        uptake throughout the axial skeleton — skull, spine, ribs, sternum and pelvis — and
        in the proximal humeri and femora, with unusually high contrast between bone and
        soft tissue. The uptake is not perfectly uniform: several irregular, more intense
        areas are seen in the ribs and lumbar spine. The distal limbs are relatively spared.

        The kidneys are barely visible and bladder activity is low, although renal function
        is normal. There is no abnormal soft-tissue uptake.
        """
    ),
    diagnosis="Superscan from diffuse osteoblastic skeletal metastases of prostate cancer",
    discussion=text(
        """
        A *superscan* is a bone scan in which the skeleton takes up so much tracer that
        little is left for the soft tissues and kidneys. The images look deceptively good:
        sharp bones on a clean background. Because nothing stands out as focal, the study is
        easily reported as normal. The clue is what is missing — the kidneys, in a patient
        whose renal function is normal — and the unusually high bone-to-soft-tissue ratio.

        The causes fall into two groups. A *malignant* superscan comes from confluent
        osteoblastic metastases, most often from prostate cancer, less often breast, lung,
        bladder or gastric cancer, lymphoma, or marrow disorders such as myelofibrosis. It
        follows the red marrow — axial skeleton and proximal limbs — and is usually a little
        heterogeneous, with irregular rib uptake. A *metabolic* superscan (renal
        osteodystrophy, hyperparathyroidism, osteomalacia, hyperthyroidism) is more uniform,
        extends to the distal long bones, and shows a prominent calvarium and mandible,
        a tie-shaped sternum and beaded costochondral junctions.

        Comparison with earlier scans, PSA and alkaline phosphatase usually settle the
        question, and CT shows diffuse sclerosis. After hormonal therapy starts, a
        responding skeleton may look worse for weeks to a few months (flare); for that
        reason trial criteria ask for new lesions seen early in treatment to be confirmed on
        a later scan before progression is declared. PSMA PET is now more sensitive for
        staging, but the bone scan remains a cheap, reproducible way to follow bone disease.
        """
    ),
    followup=text(
        """
        Androgen-deprivation therapy was started. A scan at six weeks looked slightly more
        intense (flare) while PSA was already falling. At six months renal activity had
        returned, skeletal uptake had become patchier and PSA was 12 ng/mL.
        """
    ),
    differential=(
        "Diffuse osteoblastic metastases (malignant superscan)",
        "Renal osteodystrophy with secondary hyperparathyroidism",
        "Primary hyperparathyroidism",
        "Myelofibrosis",
        "Osteomalacia",
        "Widespread Paget disease of bone",
    ),
    references=(
        "Demo reference — a standard nuclear medicine textbook, chapter on skeletal "
        "scintigraphy: the superscan.",
        "Demo reference — a review article on malignant and metabolic superscans.",
        "Demo reference — consensus recommendations of a prostate cancer clinical trials "
        "working group on bone-scan progression criteria.",
    ),
    acr_codes=("4.3", "8.3"),
    keywords=("superscan", "prostate cancer", "skeletal metastases", "absent kidneys", "flare"),
    authors=(AUTHORS["demo"], AUTHORS["tech"]),
    radiopharmaceuticals=(DemoDose("Tc-99m MDP", "25", "mCi", "i.v.", "3 hours"),),
    images=(
        DemoImage(
            NM_WHOLE_BODY,
            "Demo image (illustrative): planar whole-body bone scintigram, single "
            "projection, shown black-on-white. " + NM_REUSED,
            is_main=True,
            window=NM_WINDOW,
        ),
    ),
)

_RENAL_OD = DemoCase(
    series="bs",
    title="Uniformly intense skeleton in a patient on haemodialysis",
    case_date=dt.date(2024, 4, 3),
    difficulty=3,
    quality=4,
    modality="NM",
    exam="Whole-body bone scintigraphy",
    patient_age=46,
    patient_sex="F",
    brief_history="46-year-old woman on long-term haemodialysis with diffuse bone pain.",
    full_history=text(
        """
        46-year-old woman with end-stage renal disease from IgA nephropathy, on
        haemodialysis for twelve years, with diffuse bone pain and proximal muscle weakness.
        Parathyroid hormone is 1,450 pg/mL (about twenty times normal), phosphate is high,
        calcium high-normal and alkaline phosphatase raised. She passes almost no urine.
        """
    ),
    findings=text(
        """
        Diffusely and uniformly increased skeletal uptake, extending from the skull to the
        distal long bones, with high bone-to-soft-tissue contrast. The calvarium and
        mandible are prominent, the sternum has a "tie" shape, the costochondral junctions
        are beaded, and uptake is accentuated around the knees, ankles and wrists.

        Faint diffuse uptake in both lungs and in the stomach wall. No renal or bladder
        activity, as expected in an anuric patient. No focal lesion to suggest a fracture or
        brown tumour.
        """
    ),
    diagnosis=(
        "Renal osteodystrophy with severe secondary hyperparathyroidism (metabolic "
        "superscan), with metastatic calcification in the lungs and stomach"
    ),
    discussion=text(
        """
        Chronic kidney disease disturbs mineral metabolism early: phosphate is retained,
        calcitriol falls, calcium tends to fall, and the parathyroid glands respond by
        hypertrophy and hypersecretion. The resulting high-turnover bone disease (osteitis
        fibrosa) is the commonest form of *renal osteodystrophy*, now grouped under chronic
        kidney disease–mineral and bone disorder. High turnover means high tracer uptake
        throughout the skeleton.

        The scan shows the textbook features of metabolic bone disease: generalised uptake
        that is uniform rather than patchy, involvement of the appendicular as well as the
        axial skeleton, a prominent skull and mandible, periarticular accentuation, a
        tie-shaped sternum and beaded costochondral junctions. That uniformity and the
        distal extent separate it from a malignant superscan. Absent kidneys mean little in
        an anuric dialysis patient; here the diagnostic weight rests on the skeletal
        pattern.

        Uptake in the lungs and stomach is *metastatic calcification*: calcium phosphate
        deposited in normal tissue when the calcium–phosphate product is high. The lungs,
        gastric mucosa and kidneys are favoured because they are relatively alkaline, which
        lowers the solubility of calcium phosphate. Low-turnover (adynamic) bone disease,
        the other end of the spectrum, gives a poor-quality scan with low bone uptake; focal
        lesions in these patients include brown tumours and insufficiency fractures.
        """
    ),
    followup=text(
        """
        Parathyroid scintigraphy showed enlarged glands at both lower poles. After a
        subtotal parathyroidectomy PTH fell to 180 pg/mL and her bone pain improved over
        three months.
        """
    ),
    differential=(
        "Renal osteodystrophy with secondary hyperparathyroidism",
        "Primary hyperparathyroidism",
        "Osteomalacia",
        "Diffuse osteoblastic metastases",
        "Hyperthyroidism",
        "Hypervitaminosis D",
    ),
    references=(
        "Demo reference — a standard nuclear medicine textbook, chapter on metabolic bone "
        "disease.",
        "Demo reference — a review article on the imaging of chronic kidney "
        "disease–mineral and bone disorder.",
    ),
    acr_codes=("4.5", "6.5"),
    keywords=(
        "renal osteodystrophy",
        "secondary hyperparathyroidism",
        "metabolic superscan",
        "metastatic calcification",
        "tie sternum",
    ),
    authors=(AUTHORS["example"], AUTHORS["demo"]),
    radiopharmaceuticals=(DemoDose("Tc-99m HDP", "740", "MBq", "i.v.", "3 hours"),),
    images=(
        DemoImage(
            NM_WHOLE_BODY,
            "Demo image (illustrative): planar whole-body bone scintigram, single "
            "projection, shown black-on-white. " + NM_REUSED,
            is_main=True,
            window=NM_WINDOW,
        ),
        DemoImage(
            NM_WHOLE_BODY,
            "Demo image (illustrative): the head and chest of the same test scan, enlarged.",
            answer_caption="Where a prominent calvarium, a tie sternum and beaded ribs would "
            "be looked for.",
            window=NM_WINDOW,
            crop=(0.0, 0.04, 1.0, 0.36),
            scale=2.0,
        ),
    ),
)

_PAGET = DemoCase(
    series="bs",
    title="Intense uptake in a hemipelvis, a vertebra and a bowed tibia",
    case_date=dt.date(2024, 5, 21),
    difficulty=2,
    quality=3,
    modality="NM",
    exam="Whole-body bone scintigraphy",
    patient_age=74,
    patient_sex="M",
    brief_history="74-year-old man with a raised alkaline phosphatase and an aching right leg.",
    full_history=text(
        """
        74-year-old man whose routine bloods showed an alkaline phosphatase of 410 U/L with
        a normal GGT, calcium and PSA. He has a dull ache in the right hip and shin, worse at
        night, and his wife has noticed that the right shin has become curved.
        """
    ),
    findings=text(
        """
        Intense, homogeneous uptake through the whole right hemipelvis, from the sacroiliac
        joint to the acetabulum and pubis, with the bone slightly expanded. The L3 vertebra
        shows intense uptake in the body, both pedicles and the spinous process, giving the
        posterior-view "Mickey Mouse" appearance. The right tibia is involved from its
        proximal articular end down to the junction of the middle and distal thirds, where
        the uptake stops at a sharp front; the shaft is bowed anteriorly.

        The rest of the skeleton is normal. Radiographs (not shown) showed cortical
        thickening, coarse trabeculae and enlargement of the affected bones.
        """
    ),
    diagnosis="Polyostotic Paget disease of bone (right hemipelvis, L3 and right tibia)",
    discussion=text(
        """
        Paget disease is a focal disorder of bone remodelling in older adults: overactive,
        abnormal osteoclasts resorb bone and osteoblasts replace it quickly and
        chaotically, producing bone that is larger, thicker and weaker than normal. It
        passes through lytic, mixed and sclerotic phases, often in the same patient. Many
        people have no symptoms and are found through a raised alkaline phosphatase or an
        incidental radiograph.

        Bone scintigraphy is the most sensitive way to map its extent. The uptake is
        intense and usually fills the whole bone or starts at one articular end and advances
        along the shaft, with expansion and deformity — bowing of a tibia or femur, an
        enlarged hemipelvis, a vertebra hot in its body and posterior elements. A lesion
        confined to the vertebral body or sparing the bone ends should raise other
        possibilities, chiefly metastasis.

        Complications are fractures (transverse "banana" fractures of bowed long bones),
        secondary osteoarthritis, spinal stenosis, deafness from skull involvement and,
        rarely (under 1%), sarcomatous change, suggested by new pain and a destructive or
        photopenic area within pagetic bone. A single infusion of a bisphosphonate usually
        controls bone pain and normalises turnover; the uptake falls with treatment, so the
        scan can be used to follow it.
        """
    ),
    followup=text(
        """
        A single intravenous infusion of zoledronic acid was given. Alkaline phosphatase was
        normal at six months and the night pain had resolved.
        """
    ),
    differential=(
        "Paget disease of bone",
        "Osteoblastic metastases",
        "Fibrous dysplasia",
        "Primary lymphoma of bone",
        "Chronic osteomyelitis",
    ),
    references=(
        "Demo reference — a clinical guideline on the diagnosis and management of Paget "
        "disease of bone.",
        "Demo reference — a standard musculoskeletal radiology textbook, chapter on Paget "
        "disease.",
    ),
    acr_codes=("4.5",),
    keywords=("Paget disease", "Mickey Mouse sign", "bowed tibia", "alkaline phosphatase"),
    authors=(AUTHORS["sample"],),
    radiopharmaceuticals=(DemoDose("Tc-99m MDP", "20", "mCi", "i.v.", "3 hours"),),
    # Signed-in readers only: a newcomer sees what "institution" visibility does.
    visibility="institution",
    images=(
        DemoImage(
            NM_WHOLE_BODY,
            "Demo image (illustrative): planar whole-body bone scintigram, single "
            "projection, shown black-on-white. " + NM_REUSED,
            is_main=True,
            window=NM_WINDOW,
        ),
        DemoImage(
            NM_WHOLE_BODY,
            "Demo image (illustrative): pelvis and lower limbs of the same test scan, enlarged.",
            answer_caption="The hemipelvis, vertebra and tibia described in this case would "
            "be looked for here.",
            window=NM_WINDOW,
            crop=(0.0, 0.35, 1.0, 0.88),
            scale=2.0,
        ),
    ),
)

_RHABDO = DemoCase(
    series="bs",
    title="Soft-tissue uptake in both thighs after a marathon",
    case_date=dt.date(2024, 10, 8),
    difficulty=3,
    quality=4,
    modality="NM",
    exam="Whole-body bone scintigraphy",
    patient_age=29,
    patient_sex="M",
    brief_history="29-year-old man with severe thigh pain three days after a marathon.",
    full_history=text(
        """
        29-year-old man who ran his first marathon with little training. Since then he has
        had severe, symmetric pain and stiffness in both thighs and difficulty climbing
        stairs. He noticed dark urine on the first evening. A bone scan was requested to
        look for femoral stress fractures. Creatine kinase, measured after the scan was
        reported, was 38,000 U/L; creatinine was normal.
        """
    ),
    findings=text(
        """
        Intense, symmetric tracer accumulation in the soft tissues of both thighs, shaped
        like the quadriceps muscles and extending well beyond the femoral cortices. Milder
        uptake in both calves. The femora themselves are normal: there is no focal or
        fusiform cortical uptake to suggest a stress fracture or stress reaction.

        Both kidneys and the bladder are seen normally.
        """
    ),
    diagnosis="Exertional rhabdomyolysis of the thigh and calf muscles",
    discussion=text(
        """
        Damaged muscle cells let calcium in. It accumulates in mitochondria and binds to
        denatured proteins, forming deposits that bone-seeking tracers adsorb onto. The
        uptake appears within a day of injury, is most intense at about one to two days and
        usually fades within a week or so. Its shape is the clue: it follows whole muscles
        or muscle groups rather than bone.

        Uptake outside bone has a long list of causes worth keeping in mind: soft-tissue
        calcification or ossification (heterotopic ossification, myositis ossificans,
        calcinosis of connective tissue disease), muscle injury (exertion, crush, seizures,
        drugs and toxins, ischaemia), tumours (breast, neuroblastoma, sarcoma, mucinous
        metastases), infarcts, recent intramuscular injections, and technical causes such
        as free pertechnetate in the thyroid and stomach.

        The bone scan is not how rhabdomyolysis is diagnosed — creatine kinase is — but
        recognising it on a scan requested for something else spares the patient a wrong
        diagnosis and prompts checks of renal function and potassium. Acute kidney injury
        from myoglobin and compartment syndrome are the complications to act on. Here the
        normal femora also answered the original question.
        """
    ),
    followup=text(
        """
        He was admitted for intravenous fluids. Creatine kinase fell steadily, renal
        function stayed normal, and he was running again six weeks later.
        """
    ),
    differential=(
        "Exertional rhabdomyolysis",
        "Drug- or toxin-induced rhabdomyolysis",
        "Inflammatory myositis",
        "Early heterotopic ossification",
        "Bilateral femoral stress reactions (excluded: the uptake is muscular, not cortical)",
    ),
    references=(
        "Demo reference — a review article on extra-osseous uptake of bone-seeking "
        "radiopharmaceuticals.",
        "Demo reference — a clinical review of exertional rhabdomyolysis.",
    ),
    acr_codes=("4.4",),
    keywords=("rhabdomyolysis", "soft-tissue uptake", "extra-osseous uptake", "marathon"),
    authors=(AUTHORS["demo"], AUTHORS["example"]),
    radiopharmaceuticals=(DemoDose("Tc-99m MDP", "25", "mCi", "i.v.", "3 hours"),),
    images=(
        DemoImage(
            NM_WHOLE_BODY,
            "Demo image (illustrative): planar whole-body bone scintigram, single "
            "projection, shown black-on-white. " + NM_REUSED,
            is_main=True,
            window=NM_WINDOW,
        ),
        DemoImage(
            NM_WHOLE_BODY,
            "Demo image (illustrative): pelvis, thighs and knees of the same test scan, enlarged.",
            answer_caption="Where uptake shaped like the thigh muscles would be looked for.",
            window=NM_WINDOW,
            crop=(0.0, 0.36, 1.0, 0.64),
            scale=2.0,
        ),
    ),
)

_PE = DemoCase(
    series="ct",
    title="Sudden breathlessness ten days after knee replacement",
    case_date=dt.date(2024, 6, 17),
    difficulty=2,
    quality=3,
    modality="CT",
    exam="CT pulmonary angiography",
    patient_age=63,
    patient_sex="F",
    brief_history="63-year-old woman with sudden breathlessness after knee replacement.",
    full_history=text(
        """
        63-year-old woman ten days after a right total knee replacement, with sudden
        breathlessness and right-sided pleuritic chest pain. Heart rate 112/min, blood
        pressure 118/74 mmHg, oxygen saturation 89% on room air. Troponin mildly raised.
        Clinical probability of pulmonary embolism was high, so D-dimer was not measured.
        """
    ),
    findings=text(
        """
        Filling defects in the right and left pulmonary arteries extend into the lobar and
        segmental arteries of both lower lobes and the lingula. Seen end-on they are
        surrounded by a thin rim of contrast; several make acute angles with the vessel
        wall. A right lower lobe segmental artery is completely occluded and expanded, and
        a wedge-shaped, pleural-based consolidation in the posterior basal segment is
        consistent with infarction. Small right pleural effusion.

        The right ventricle is dilated (RV/LV diameter ratio 1.3) with a flattened
        interventricular septum, and contrast refluxes into the IVC and hepatic veins.
        """
    ),
    diagnosis=(
        "Acute bilateral pulmonary embolism with CT signs of right-ventricular strain and "
        "a right lower lobe infarct"
    ),
    discussion=text(
        """
        An acute embolus is an intraluminal filling defect: central ("polo mint" end-on,
        "railway track" in-plane) or eccentric with acute angles to the wall, and an
        occluded artery is often larger than its neighbours. Peripheral wedge-shaped
        consolidation, sometimes with central lucency, is an infarct; it is commoner when
        the bronchial circulation is compromised.

        The report should say not only whether there is embolism but how the right heart
        is coping. A dilated right ventricle (RV/LV ratio above 1.0), a flattened or
        leftward-bowed septum and reflux of contrast into the IVC and hepatic veins mark a
        patient at higher risk. With a raised troponin, as here, these findings place a
        normotensive patient in an intermediate-high risk group, which is watched closely
        for decompensation rather than treated with thrombolysis at once.

        Pitfalls are common: respiratory motion; mixing of unopacified IVC blood during a
        deep breath, which transiently dilutes contrast ("transient interruption"); hilar
        lymph nodes and partial-volume averaging; poor bolus timing; streak artefact from
        dense contrast in the SVC. Chronic thromboembolic disease, pulmonary artery sarcoma
        and tumour emboli are the real lesions to distinguish.
        """
    ),
    followup=text(
        """
        She was anticoagulated with low-molecular-weight heparin and then a direct oral
        anticoagulant, monitored for 48 hours without deterioration, and discharged on day
        five. Echocardiography at three months showed a normal right ventricle.
        """
    ),
    differential=(
        "Acute pulmonary embolism",
        "Chronic thromboembolic disease",
        "Flow (mixing) artefact",
        "Pulmonary artery sarcoma",
        "Tumour embolism",
    ),
    references=(
        "Demo reference — a current international society guideline on acute pulmonary embolism.",
        "Demo reference — a review article on CT pulmonary angiography pitfalls.",
    ),
    acr_codes=("6.7",),
    keywords=("pulmonary embolism", "CTPA", "right ventricular strain", "pulmonary infarct"),
    authors=(AUTHORS["example"],),
    images=(
        DemoImage(
            "CT_small.dcm",
            "Demo image (illustrative): a small axial CT test image through a thoracic "
            "vertebra, soft-tissue window (W400/L40).",
            answer_caption="The vertebra, the descending aorta beside it and the paraspinal "
            "muscles; the pulmonary arteries and the emboli described are outside this crop.",
            is_main=True,
            window=(40.0, 400.0),
            scale=4.0,
        ),
        DemoImage(
            "CT_small.dcm",
            "Demo image (illustrative): the same slice in a bone window (W1800/L400).",
            window=(400.0, 1800.0),
            scale=4.0,
        ),
    ),
)

_MS = DemoCase(
    series="mr",
    title="Leg numbness a year after painful visual loss",
    case_date=dt.date(2024, 7, 9),
    difficulty=3,
    quality=3,
    modality="MR",
    exam="MRI brain and cervical spine without and with gadolinium",
    patient_age=29,
    patient_sex="F",
    brief_history="29-year-old woman with leg numbness; painful loss of vision a year ago.",
    full_history=text(
        """
        29-year-old woman with ten days of numbness rising from both feet to the waist and
        an electric sensation down the spine when she bends her neck. A year ago she had two
        weeks of painful blurred vision in the left eye, which recovered fully without
        investigation.
        """
    ),
    findings=text(
        """
        FLAIR and T2-weighted images show about fifteen ovoid hyperintense white-matter
        lesions. Several are periventricular with their long axes perpendicular to the
        lateral ventricles; two lie at the callososeptal interface on sagittal FLAIR; one is
        juxtacortical in the right frontal lobe; one is in the left middle cerebellar
        peduncle. In the cervical cord a short, dorsolateral lesion at C3 spans less than one
        vertebral segment.

        After gadolinium, two brain lesions and the cord lesion enhance — one brain lesion
        with an incomplete ("open") ring — while the others do not. Most lesions have a
        central vein on susceptibility-weighted images. A few lesions are dark on T1.
        """
    ),
    diagnosis=(
        "Relapsing–remitting multiple sclerosis: dissemination in space and in time on a "
        "single MRI"
    ),
    discussion=text(
        """
        The McDonald criteria let MRI establish dissemination in space and in time. In the
        2017 revision, space is shown by T2 lesions in at least two of four regions —
        periventricular, cortical or juxtacortical, infratentorial and spinal cord — and
        time by enhancing and non-enhancing lesions on the same scan, by a new lesion on
        follow-up, or (as a substitute) by CSF-specific oligoclonal bands. The most recent
        revision also considers the optic nerve and imaging markers such as the central vein
        sign. This patient meets space and time on one examination.

        Typical lesions are ovoid, periventricular and perpendicular to the ventricles
        ("Dawson fingers"), at the undersurface of the corpus callosum, juxtacortical, in
        the brainstem and cerebellar peduncles, and in the cord as short peripheral lesions.
        Open-ring enhancement and the central vein sign favour demyelination over its
        mimics.

        The mimics matter. Small-vessel ischaemic and migraine-related lesions spare the
        callososeptal interface and the cord. Neuromyelitis optica spectrum disorder
        (AQP4 antibodies) causes longitudinally extensive myelitis over three or more
        segments and lesions around the fourth ventricle and area postrema; MOG
        antibody-associated disease causes long anterior optic neuritis and fluffy lesions.
        ADEM is usually monophasic with simultaneous lesions. Sarcoidosis, vasculitis and
        Susac syndrome complete the list.
        """
    ),
    followup=text(
        """
        CSF showed oligoclonal bands not present in serum; AQP4 and MOG antibodies were
        negative. She started disease-modifying therapy; MRI at six months showed no new
        lesions.
        """
    ),
    differential=(
        "Multiple sclerosis",
        "Neuromyelitis optica spectrum disorder",
        "MOG antibody-associated disease",
        "Acute disseminated encephalomyelitis",
        "Small-vessel ischaemic or migraine-related white-matter lesions",
        "Neurosarcoidosis",
    ),
    references=(
        "Demo reference — the current revision of the McDonald diagnostic criteria for "
        "multiple sclerosis.",
        "Demo reference — a consensus review on MRI in the diagnosis of multiple sclerosis "
        "and its mimics.",
    ),
    acr_codes=("1.2", "3.2"),
    keywords=("multiple sclerosis", "McDonald criteria", "Dawson fingers", "central vein sign"),
    authors=(AUTHORS["sample"], AUTHORS["demo"]),
    images=(
        DemoImage(
            "emri_small.dcm",
            "Demo image (illustrative): one frame of a small (64 × 64) T1-weighted brain MR "
            "test file.",
            answer_caption="Cortex, white matter and a lateral ventricle; the lesions "
            "described are not in this dataset.",
            is_main=True,
            scale=4.0,
        ),
        DemoImage(
            "emri_small.dcm",
            "Demo image (illustrative): another frame of the same test series.",
            frame=5,
            scale=4.0,
        ),
    ),
)

_LIVER = DemoCase(
    series="mr",
    title="Rim-enhancing liver lesion after colon cancer surgery",
    case_date=dt.date(2024, 9, 2),
    difficulty=3,
    quality=4,
    modality="MR",
    exam="MRI liver with dynamic gadolinium and diffusion",
    patient_age=58,
    patient_sex="M",
    brief_history="58-year-old man with a rising CEA after colon cancer surgery.",
    full_history=text(
        """
        58-year-old man 18 months after sigmoid colectomy for a stage III adenocarcinoma and
        adjuvant chemotherapy. CEA has risen from 2 to 14 ng/mL. Surveillance CT showed an
        indeterminate low-attenuation liver lesion; MRI was requested to characterise it and
        to look for others before a decision on surgery. No fever; liver tests normal.
        """
    ),
    findings=text(
        """
        A round 4 cm mass in the central right liver near the gallbladder fossa. After
        gadolinium it has an irregular enhancing rim and a non-enhancing, darker centre, and
        the liver around it enhances more than the rest of the parenchyma (a perfusion
        change). On T2-weighted images (not shown) it is moderately bright with a brighter
        centre, and on diffusion-weighted images the rim restricts. There is no capsule, no
        washout of an arterially enhancing nodule, and no progressive fill-in on delayed
        images.

        No other liver lesion. The liver is not cirrhotic. Portal and hepatic veins are
        patent; no enlarged nodes.
        """
    ),
    diagnosis="Solitary colorectal cancer metastasis to the liver",
    discussion=text(
        """
        The liver drains the bowel through the portal vein and is the commonest site of
        colorectal metastasis; up to about half of patients develop liver disease at some
        point. Colorectal metastases are usually hypovascular: rim (perilesional)
        enhancement on arterial and portal phases, a "target" appearance on T2 and
        diffusion, and peripheral washout on delayed images. Mucinous metastases can be very
        bright on T2 and may calcify.

        MRI with diffusion and a hepatobiliary contrast agent is the most sensitive test for
        small metastases and is used before surgery, when finding one more lesion changes the
        plan. Resection offers the best chance of long survival if all disease can be removed
        while leaving enough healthy liver (roughly 20–30%, more after heavy chemotherapy
        or with underlying liver disease); ablation and systemic therapy fill the gaps.

        Rim enhancement is not specific. A pyogenic abscess is usually septated or clustered,
        with a double-target appearance and a septic patient; intrahepatic
        cholangiocarcinoma shows capsular retraction and delayed central enhancement;
        hepatocellular carcinoma usually arises in a cirrhotic liver with arterial
        enhancement, washout and a capsule; a haemangioma fills in from the periphery with
        discontinuous nodules that follow the blood pool.
        """
    ),
    followup=text(
        """
        After multidisciplinary review he had a segmental liver resection. Pathology showed
        metastatic adenocarcinoma consistent with the colorectal primary, with clear margins.
        CEA returned to normal.
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
            "MR-SIEMENS-DICOM-WithOverlays.dcm",
            "Axial fat-suppressed 3D T1-weighted gradient-echo image of the liver after "
            "gadolinium (public DICOM test file).",
            answer_caption="A round lesion in the central right liver with an enhancing rim "
            "and a darker centre; the liver around it enhances more than the rest.",
            is_main=True,
        ),
    ),
)

_SHOULDER = DemoCase(
    series="mr",
    title="Shoulder pain with overhead work: tear or pitfall?",
    case_date=dt.date(2025, 1, 14),
    difficulty=4,
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
        On coronal oblique T1-weighted images the humeral head and glenoid marrow are
        normal, the acromion is flat, and the supraspinatus tendon runs in continuity to its
        footprint on the greater tuberosity. Near its insertion the tendon shows a small
        zone of intermediate signal on the short-TE (T1 and proton-density) images; on the
        long-TE fat-suppressed T2-weighted images (not shown) the same segment is uniformly
        dark, with normal thickness and no fluid-bright defect.

        No muscle atrophy or fatty infiltration, no subacromial–subdeltoid bursal fluid,
        normal acromioclavicular joint.
        """
    ),
    diagnosis=(
        "No rotator cuff tear: intermediate tendon signal from the magic-angle effect "
        "(normal shoulder MRI)"
    ),
    discussion=text(
        """
        Tendons are dark on MRI because their tightly ordered collagen makes T2 very short.
        When the fibres lie at about 55° to the main magnetic field — the "magic angle" —
        that dipolar shortening disappears and the tendon brightens on short-TE sequences
        (T1, proton density, gradient echo). The curving supraspinatus tendon near its
        insertion passes through that angle in most shoulders.

        The rule that separates artefact from disease is simple: the magic-angle effect
        fades on long-TE (T2-weighted) images, whereas tendinopathy keeps some signal and
        usually thickens the tendon, and a tear is fluid-bright on T2 and interrupts the
        fibres. Repositioning the arm changes the angle and the artefact with it.

        Calling an artefact a tear leads to unnecessary surgery; missing a tear leads to
        muscle atrophy and a cuff that can no longer be repaired. Normal cases like this
        one are worth studying for that reason: the reader learns what a normal tendon,
        footprint and muscle belly look like before judging an abnormal one.
        """
    ),
    followup=text(
        """
        He completed twelve weeks of physiotherapy for subacromial pain and returned to full
        work without further imaging.
        """
    ),
    differential=(
        "Magic-angle effect in a normal tendon",
        "Supraspinatus tendinopathy",
        "Partial-thickness articular-side tear",
        "Calcific tendinitis",
    ),
    references=(
        "Demo reference — a standard musculoskeletal MRI textbook, chapter on the shoulder.",
        "Demo reference — a review article on MRI artefacts and pitfalls in musculoskeletal "
        "imaging.",
    ),
    acr_codes=("4.1",),
    keywords=("magic angle", "rotator cuff", "supraspinatus", "normal anatomy", "pitfall"),
    authors=(AUTHORS["sample"],),
    images=(
        DemoImage(
            "MR2_UNCI.dcm",
            "Coronal oblique T1-weighted spin-echo image of the shoulder (public DICOM test "
            "file).",
            answer_caption="Humeral head, glenoid, acromion, deltoid, and the supraspinatus "
            "running over the humeral head to the greater tuberosity.",
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
        52-year-old woman with two months of dry cough, breathlessness on exertion and 6 kg
        weight loss. Two years ago she had a hysterectomy for a uterine leiomyosarcoma. No
        fever; she has never smoked.
        """
    ),
    findings=text(
        """
        Numerous well-defined round opacities of varying size, the largest about 4 cm, are
        scattered through both lungs, more in the middle and lower zones. None is cavitated
        or calcified. Heart size is normal, the mediastinum is not widened and there is no
        pleural effusion or bone lesion.
        """
    ),
    diagnosis=(
        "Haematogenous pulmonary metastases (\u201ccannonball\u201d pattern) from uterine "
        "leiomyosarcoma"
    ),
    discussion=text(
        """
        Tumour cells reaching the lungs through the blood lodge in the small peripheral
        arteries, so haematogenous metastases are round, well defined, of varying size
        (they arrive at different times) and commonest at the bases, where blood flow is
        greatest. Large, smooth "cannonball" metastases are classically from renal cell
        carcinoma, sarcomas (leiomyosarcoma, osteosarcoma, synovial sarcoma),
        choriocarcinoma and germ-cell tumours, and colorectal carcinoma. Cavitation suggests
        squamous cell carcinoma or sarcoma, or follows chemotherapy; calcification suggests
        osteosarcoma or chondrosarcoma, mucinous adenocarcinoma, or treated disease.

        The lung is the commonest site of distant spread of uterine leiomyosarcoma. In a
        woman with a previous hysterectomy for a *benign* leiomyoma, the same picture may be
        benign metastasizing leiomyoma, a slow-growing condition of smooth-muscle nodules.

        Other causes of multiple nodules have their own clues: septic emboli are peripheral,
        cavitate and change from day to day in a febrile patient; granulomatosis with
        polyangiitis cavitates; arteriovenous malformations have feeding and draining
        vessels; infections such as fungi and mycobacteria come with a clinical story. CT
        counts and measures the nodules and, in sarcoma with limited disease, helps to
        choose patients for metastasectomy.
        """
    ),
    followup=text(
        """
        CT showed more than twenty nodules in both lungs and no other site of disease. CT-
        guided biopsy confirmed metastatic leiomyosarcoma, and systemic chemotherapy was
        started.
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
            "RG1_UNCI.dcm",
            "PA chest radiograph (public DICOM test file).",
            answer_caption="Many well-defined round opacities of different sizes in both "
            "lungs; the heart is not enlarged.",
            is_main=True,
        ),
    ),
)

_NOF = DemoCase(
    series="cr",
    title="Bubbly lesion in the distal tibia of a teenager",
    case_date=dt.date(2024, 11, 19),
    difficulty=2,
    quality=5,
    modality="CR",
    exam="Radiographs of the right tibia and ankle",
    patient_age=15,
    patient_sex="F",
    brief_history="15-year-old girl with an ankle sprain; incidental finding on the radiograph.",
    full_history=text(
        """
        15-year-old girl who twisted her right ankle playing netball. She has had no
        previous pain in the leg, no night pain and no swelling. Radiographs were taken to
        exclude an ankle fracture.
        """
    ),
    findings=text(
        """
        A well-defined, lobulated lucent lesion in the distal tibial metadiaphysis, a few
        centimetres above the ankle joint, lying eccentrically towards the fibular side. Its
        long axis parallels the shaft; it has thin sclerotic scalloped margins and a
        multiloculated ("bubbly") appearance. The overlying cortex is thinned but intact;
        there is no periosteal reaction, matrix mineralisation or soft-tissue mass.

        No ankle fracture. The physes are at or near closure.
        """
    ),
    diagnosis="Non-ossifying fibroma of the distal tibia",
    discussion=text(
        """
        Non-ossifying fibroma and fibrous cortical defect are the same fibrous lesion at
        different sizes: a small one confined to the cortex is a fibrous cortical defect, a
        larger one extending into the medulla is a non-ossifying fibroma. They are very
        common in children and adolescents, found most often around the knee and in the
        distal tibia, and nearly always discovered by chance.

        The radiograph is diagnostic: an eccentric, metaphyseal or metadiaphyseal lucent
        lesion, elongated along the bone, with a sclerotic, scalloped, often multiloculated
        margin and no aggressive features. As the bone grows the lesion is left behind
        towards the diaphysis, and with skeletal maturity it fills in with sclerosis and
        fades. It is a classic *"don't touch"* lesion: biopsy is not needed.

        Large lesions — especially those occupying more than half the width of the bone —
        can cause pathological fracture and may need follow-up or curettage. Healing lesions
        may be mildly active on bone scintigraphy and variable on MRI because of fibrous
        tissue and haemosiderin, which can cause confusion if the radiograph is not looked
        at first. Multiple lesions with café-au-lait spots suggest Jaffe–Campanacci
        syndrome or neurofibromatosis type 1.
        """
    ),
    followup=text(
        """
        The sprain was treated conservatively. No further imaging of the tibia was
        advised.
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
            "RG3_UNCI.dcm",
            "AP radiograph of the right distal tibia, fibula and ankle (public DICOM test file).",
            answer_caption="A lobulated lucent lesion with sclerotic margins in the distal tibia.",
            is_main=True,
            # (0020,0020) Patient Orientation is R\F: shown as stored, the patient's right
            # would be on the viewer's right and the "R" marker reads backwards.
            mirror=True,
        ),
        DemoImage(
            "RG3_UNCI.dcm",
            "Detail of the distal tibia, same radiograph.",
            answer_caption="A multiloculated lesion elongated along the shaft, with thin "
            "scalloped sclerotic margins, an intact cortex and no periosteal reaction.",
            mirror=True,
            crop=(0.3, 0.45, 0.7, 1.0),
        ),
    ),
)

CASES: tuple[DemoCase, ...] = (
    _SUPERSCAN,
    _RENAL_OD,
    _PAGET,
    _RHABDO,
    _PE,
    _MS,
    _LIVER,
    _SHOULDER,
    _CANNONBALL,
    _NOF,
)
