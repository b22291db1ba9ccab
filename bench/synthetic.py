"""Realistic synthetic teaching cases, in bulk, for the benchmarks.

Each case is assembled from a small clinical catalogue written for Lightbox (diagnosis,
its modality, agent, history, findings, differential and ACR code), with varied wording,
authors, dates and images, so that pages, indexes and text have the shape and size of a
real teaching file. Generation is deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw
from tqdm import tqdm

from lightbox.cases.models import (
    Case,
    CaseAuthor,
    Radiopharmaceutical,
    Series,
    Status,
    Topic,
    Visibility,
    format_number,
)
from lightbox.imaging.models import Image

SERIES = {
    "bs": "Bone scintigraphy",
    "nm": "Nuclear medicine",
    "pet": "PET",
    "ct": "Computed tomography",
    "mr": "Magnetic resonance",
    "cr": "Radiography",
    "us": "Ultrasound",
}

# diagnosis, series, modality, ACR code, agent (or ""), history, findings, differential
CATALOGUE = [
    ("Diffuse skeletal metastases (superscan)", "bs", "NM", "41.37", "Tc-99m MDP",
     "man with prostate cancer and rising PSA",
     "Intense, uniform skeletal uptake with faint or absent renal activity and high bone-to-soft-tissue contrast.",  # noqa: E501
     ["Renal osteodystrophy", "Hyperparathyroidism", "Myelofibrosis", "Paget disease"]),
    ("Paget disease of bone", "bs", "NM", "41.59", "Tc-99m MDP",
     "man with an elevated alkaline phosphatase found on routine testing",
     "Marked uptake through the whole of the left hemipelvis and proximal femur, with bony expansion and preserved contour.",  # noqa: E501
     ["Metastatic disease", "Fibrous dysplasia", "Lymphoma"]),
    ("Heterotopic ossification", "bs", "NM", "45.49", "Tc-99m MDP",
     "man with pain and stiffness around the hip months after a spinal cord injury",
     "Soft-tissue uptake lateral to both hips on blood-pool and delayed images, increasing on the delayed phase.",  # noqa: E501
     ["Myositis ossificans", "Soft-tissue sarcoma", "Cellulitis", "Calcific tendinitis"]),
    ("Stress fracture of the tibia", "bs", "NM", "45.41", "Tc-99m MDP",
     "runner with shin pain that worsens with exercise",
     "Fusiform, intense cortical uptake in the posterior mid tibial shaft on all three phases.",  # noqa: E501
     ["Shin splints", "Osteoid osteoma", "Osteomyelitis"]),
    ("Osteomyelitis of the calcaneus", "bs", "NM", "47.21", "Tc-99m MDP",
     "diabetic woman with a non-healing heel ulcer",
     "Focal hyperperfusion, blood-pool activity and delayed uptake in the posterior calcaneus.",  # noqa: E501
     ["Cellulitis", "Charcot neuroarthropathy", "Fracture"]),
    ("Graves disease", "nm", "NM", "27.52", "I-123 sodium iodide",
     "woman with palpitations, weight loss and a suppressed TSH",
     "Diffusely enlarged thyroid with homogeneous increased uptake; 24-hour uptake 68 percent.",  # noqa: E501
     ["Toxic multinodular goitre", "Subacute thyroiditis", "Hashimoto thyroiditis"]),
    ("Pulmonary embolism", "nm", "NM", "64.72", "Tc-99m MAA",
     "woman with sudden pleuritic chest pain after a long flight",
     "Multiple segmental perfusion defects with normal ventilation: mismatched defects, high probability.",  # noqa: E501
     ["Pneumonia", "Vasculitis", "Tumour compressing a pulmonary artery"]),
    ("Acute cholecystitis", "nm", "NM", "762.21", "Tc-99m mebrofenin",
     "man with right upper quadrant pain and fever",
     "Prompt hepatic uptake and bowel activity with persistent non-visualisation of the gallbladder at 4 hours.",  # noqa: E501
     ["Chronic cholecystitis", "Hepatitis", "Prolonged fasting"]),
    ("Parathyroid adenoma", "nm", "NM", "28.31", "Tc-99m sestamibi",
     "woman with hypercalcaemia and kidney stones",
     "Focal retention of tracer below the left lower pole of the thyroid on delayed images.",  # noqa: E501
     ["Thyroid nodule", "Parathyroid hyperplasia", "Lymph node"]),
    ("Meckel diverticulum", "nm", "NM", "75.14", "Tc-99m pertechnetate",
     "boy with painless rectal bleeding",
     "A focus of uptake in the right lower quadrant appearing with gastric activity and persisting.",  # noqa: E501
     ["Intussusception", "Duplication cyst", "Urinary activity"]),
    ("Non-small cell lung cancer", "pet", "PT", "64.32", "F-18 FDG",
     "smoker with a spiculated right upper lobe nodule",
     "Intensely FDG-avid right upper lobe mass with avid ipsilateral hilar and mediastinal nodes.",  # noqa: E501
     ["Tuberculosis", "Sarcoidosis", "Organising pneumonia"]),
    ("Hodgkin lymphoma", "pet", "PT", "96.34", "F-18 FDG",
     "young woman with night sweats and neck swelling",
     "FDG-avid nodes above and below the diaphragm with focal splenic lesions.",  # noqa: E501
     ["Non-Hodgkin lymphoma", "Sarcoidosis", "Metastatic disease"]),
    ("Acute appendicitis", "ct", "CT", "763.21", "",
     "man with periumbilical pain migrating to the right lower quadrant",
     "Dilated, thick-walled appendix with periappendiceal fat stranding and an appendicolith.",  # noqa: E501
     ["Mesenteric adenitis", "Terminal ileitis", "Right-sided diverticulitis"]),
    ("Aortic dissection", "ct", "CT", "93.49", "",
     "hypertensive man with tearing chest pain radiating to the back",
     "Intimal flap in the ascending and descending aorta separating a true and a false lumen.",  # noqa: E501
     ["Intramural haematoma", "Penetrating ulcer", "Motion artefact"]),
    ("Subarachnoid haemorrhage", "ct", "CT", "13.43", "",
     "woman with the worst headache of her life",
     "Hyperdense blood in the basal cisterns and Sylvian fissures with early hydrocephalus.",  # noqa: E501
     ["Pseudo-subarachnoid haemorrhage", "Meningitis", "Contrast staining"]),
    ("Glioblastoma", "mr", "MR", "13.31", "",
     "man with new seizures and personality change",
     "Ring-enhancing right frontal mass with a thick irregular wall, central necrosis and surrounding oedema.",  # noqa: E501
     ["Metastasis", "Abscess", "Lymphoma", "Tumefactive demyelination"]),
    ("Multiple sclerosis", "mr", "MR", "18.62", "",
     "young woman with optic neuritis",
     "Ovoid periventricular white-matter lesions perpendicular to the ventricles, one enhancing.",  # noqa: E501
     ["ADEM", "Small-vessel ischaemia", "Neuromyelitis optica"]),
    ("Anterior cruciate ligament tear", "mr", "MR", "452.44", "",
     "footballer who felt a pop in the knee",
     "Discontinuous ACL fibres with bone bruises of the lateral femoral condyle and posterior tibial plateau.",  # noqa: E501
     ["Partial tear", "Mucoid degeneration", "Ganglion cyst"]),
    ("Tension pneumothorax", "cr", "CR", "67.41", "",
     "man on a ventilator who suddenly desaturates",
     "Large left pneumothorax with mediastinal shift to the right and flattening of the hemidiaphragm.",  # noqa: E501
     ["Bulla", "Skin fold", "Pneumomediastinum"]),
    ("Scaphoid fracture", "cr", "CR", "4531.41", "",
     "young man who fell on an outstretched hand",
     "Lucent line across the waist of the scaphoid with loss of the scaphoid fat stripe.",  # noqa: E501
     ["Normal variant", "Bipartite scaphoid", "Nutrient canal"]),
    ("Ectopic pregnancy", "us", "US", "853.14", "",
     "woman with pelvic pain, vaginal bleeding and a positive pregnancy test",
     "Empty uterus with an adnexal ring separate from the ovary and echogenic free fluid.",  # noqa: E501
     ["Corpus luteum cyst", "Early intrauterine pregnancy", "Ruptured haemorrhagic cyst"]),
]  # fmt: skip

FIRST = ["Anna", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas",
         "Kofi", "Lena", "Marco", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tara"]  # fmt: skip
LAST = ["Abbott", "Brandt", "Castillo", "Dubois", "Evans", "Fischer", "Garcia", "Hughes",
        "Ito", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Patel"]  # fmt: skip
CREDENTIALS = ["M.D.", "M.D.", "M.D., Ph.D.", "D.O.", "FRCR", "M.B.B.S."]
OPENINGS = ["", "Known history of hypertension. ", "No prior imaging. ",
            "Referred from the emergency department. ", "Follow-up of an outside study. "]  # fmt: skip
DISCUSSION = (
    "This case shows the classic appearance of {dx}. The key observation is that {finding} "
    "Recognising the pattern early changes management, and the differential is narrowed by "
    "the clinical setting and by correlation with prior imaging.\n\n"
    "Pitfalls include mistaking it for {ddx0}, which usually differs in distribution and "
    "time course. When in doubt, correlative imaging and follow-up settle the question."
)
IMAGE_COLOURS = [40, 80, 120, 160, 200, 240]


def _demo_images() -> list[tuple[str, str, int, int]]:
    """A few stored pictures that the synthetic cases share (file, thumbnail, w, h)."""
    stored = []
    for i, grey in enumerate(IMAGE_COLOURS):
        img = PILImage.new("L", (512, 1024), 10)
        ImageDraw.Draw(img).ellipse((100, 100, 412, 900), fill=grey)
        full, thumb = io.BytesIO(), io.BytesIO()
        img.save(full, "PNG")
        small = img.copy()
        small.thumbnail((320, 320))
        small.save(thumb, "JPEG")
        name = default_storage.save(f"bench/synthetic-{i}.png", ContentFile(full.getvalue()))
        tname = default_storage.save(
            f"bench/synthetic-{i}-thumb.jpg", ContentFile(thumb.getvalue())
        )
        stored.append((name, tname, 512, 1024))
    return stored


def generate(count: int, *, seed: int = 1996, batch: int = 2000) -> None:
    """Add ``count`` published cases (with authors, doses and images) to the database."""
    rng = random.Random(seed)
    series = {
        p: Series.objects.get_or_create(prefix=p, defaults={"name": n})[0]
        for p, n in SERIES.items()
    }
    topics = {
        code[0]: Topic.objects.get_or_create(
            slug=f"bench-field-{code[0]}",
            defaults={"title": f"Synthetic topic {code[0]}", "anatomic_field": code[0]},
        )[0]
        for _, _, _, code, *_ in CATALOGUE
    }
    next_seq = {p: s.next_sequence() for p, s in series.items()}
    pictures = _demo_images()
    now = timezone.now()
    with tqdm(total=count, desc="Synthetic cases", unit="case") as bar:
        done = 0
        while done < count:
            n = min(batch, count - done)
            with transaction.atomic():
                _batch(rng, n, series, topics, next_seq, pictures, now)
            done += n
            bar.update(n)


def _batch(rng, n, series, topics, next_seq, pictures, now) -> None:  # type: ignore[no-untyped-def]
    cases, children = [], []
    for _ in range(n):
        dx, prefix, modality, code, agent, history, finding, ddx = rng.choice(CATALOGUE)
        seq = next_seq[prefix]
        next_seq[prefix] += 1
        age = rng.randint(18, 88)
        sex = "F" if "woman" in history or "girl" in history else rng.choice("FM")
        ddx_items = rng.sample(ddx, k=rng.randint(2, len(ddx)))
        date = dt.date(1994, 1, 1) + dt.timedelta(days=rng.randint(0, 11000))
        case = Case(
            series=series[prefix],
            sequence=seq,
            number=format_number(prefix, seq),
            title=dx if rng.random() < 0.7 else "",
            case_date=date,
            difficulty=rng.randint(1, 5),
            quality=rng.randint(1, 5),
            modality=modality,
            exam=f"{series[prefix].name} examination",
            patient_age=age,
            patient_sex=sex,
            brief_history=f"{age}-year-old {history}.",
            full_history=f"{rng.choice(OPENINGS)}{age}-year-old {history}.",
            findings=finding + (" " + rng.choice(OPENINGS) if rng.random() < 0.3 else ""),
            diagnosis=dx,
            discussion=DISCUSSION.format(
                dx=dx.lower(), finding=finding.lower(), ddx0=ddx[0].lower()
            ),
            followup=rng.choice(
                [
                    "",
                    "Confirmed at surgery.",
                    "Resolved on follow-up imaging.",
                    "Biopsy confirmed the diagnosis.",
                ]
            ),  # fmt: skip
            differential=ddx_items,
            references=[
                {
                    "text": f"Synthetic reference {rng.randint(1, 999)} on {dx}.",
                    "pmid": "",
                    "doi": "",
                }
                for _ in range(rng.randint(1, 3))
            ],  # fmt: skip
            acr_codes=[code],
            keywords=[w for w in dx.lower().split() if len(w) > 4][:3],
            anatomic_field=code[0],
            category=code.split(".")[1][0],
            topic=topics[code[0]],
            copyright="Synthetic benchmark case",
            status=Status.PUBLISHED,
            visibility=Visibility.PUBLIC if rng.random() < 0.8 else Visibility.INSTITUTION,
            published_at=now - dt.timedelta(minutes=rng.randint(0, 10**6)),
        )
        cases.append(case)
        children.append((agent, rng.randint(1, 3), rng.randint(1, 3)))
    Case.objects.bulk_create(cases)
    authors, doses, images = [], [], []
    for case, (agent, n_auth, n_img) in zip(cases, children, strict=True):
        for order in range(n_auth):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            authors.append(
                CaseAuthor(case=case, order=order, name=name, credentials=rng.choice(CREDENTIALS))
            )
        if agent:
            unit = rng.choice(["mCi", "MBq"])
            value = (
                Decimal(rng.randint(5, 30)) if unit == "mCi" else Decimal(rng.randint(185, 1110))
            )
            doses.append(
                Radiopharmaceutical(
                    case=case, agent=agent, activity=value, unit=unit, route="i.v."
                )
            )
        for order in range(n_img):
            name, tname, w, h = rng.choice(pictures)
            images.append(Image(case=case, order=order, is_main=order == 0, file=name, thumbnail=tname,
                                width=w, height=h, caption=f"Image {order + 1} of the study"))  # fmt: skip
    CaseAuthor.objects.bulk_create(authors)
    Radiopharmaceutical.objects.bulk_create(doses)
    Image.objects.bulk_create(images)
