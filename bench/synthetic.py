"""Realistic synthetic teaching cases, in bulk, for the benchmarks.

Each case is assembled from a small clinical catalogue written for Lightbox (diagnosis,
its modality, agent, history, findings, differential and ACR code), with varied wording,
authors, dates and images, so that pages, indexes and text have the shape and size of a
real teaching file. Generation is deterministic for a given seed.

So that the words of the text range from very rare to very common, as in a real file
(which search benchmarks need), most cases are instead drawn from our own labelled set
``bench/data/similar_eval.json`` (223 cases, 48 diagnoses, many authors' styles): its
history, diagnosis, differential and discussion, and its findings sentences, some dropped
and some borrowed from other cases with the same diagnosis. The written cases are drawn
with Zipf-like weights, so a few are very frequent and others rare. Both kinds get, now
and then, an incidental finding (also Zipf-weighted), a measurement, a rare incidental
entity (0.5% of cases: the rarest real words, each in a few cases) and a misspelt word
(about 3% of cases, as in real submissions).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import re
from decimal import Decimal
from functools import cache
from itertools import accumulate
from pathlib import Path

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

EVAL_FILE = Path(__file__).resolve().parent / "data" / "similar_eval.json"
#: Share of cases drawn from the written set (the rest come from CATALOGUE).
EVAL_SHARE = 0.6
ZIPF = 1.1  # weight of the k-th written case (in a seeded order): 1 / k**ZIPF
#: ACR codes for the written set's labels: the set gives a coarse code for some cases of
#: most labels; these are the finer codes the synthetic cases carry (field, category).
LABEL_CODES = {
    "acl-tear": "452.44", "acute-appendicitis": "763.21", "acute-cholecystitis": "762.21",
    "acute-ischemic-stroke": "17.71", "alzheimer-disease": "12.56",
    "aortic-dissection": "93.49", "avascular-necrosis-femoral-head": "4521.78",
    "bile-leak": "762.44", "biliary-atresia": "762.14", "brown-fat": "0.19",
    "cardiac-amyloidosis": "51.56", "complex-regional-pain-syndrome": "4.79",
    "delayed-gastric-emptying": "72.59", "dementia-lewy-bodies": "12.57",
    "fibrous-dysplasia": "4.36", "focal-nodular-hyperplasia": "761.32", "gi-bleed": "7.48",
    "glioblastoma": "13.31", "graves-disease": "27.52", "hepatic-adenoma": "761.31",
    "hepatic-hemangioma": "761.35", "hypertrophic-osteoarthropathy": "4.66",
    "intussusception": "75.71", "lung-cancer": "64.32", "lymphoma": "96.34",
    "meckel-diverticulum": "75.14", "meningioma": "13.36", "multiple-sclerosis": "18.62",
    "myocardial-infarction": "51.74", "neuroendocrine-tumour": "77.33",
    "osteoid-osteoma": "45.31", "osteomyelitis": "47.21", "osteosarcoma": "45.32",
    "paget-disease": "41.59", "parathyroid-adenoma": "28.31", "pheochromocytoma": "86.33",
    "pneumothorax": "67.41", "pulmonary-embolism": "64.72", "pyloric-stenosis": "73.15",
    "renal-cortical-scarring": "81.22", "renal-obstruction": "81.79",
    "sarcoidosis": "6.64", "stress-fracture": "45.41", "subacute-thyroiditis": "27.22",
    "subdural-hematoma": "14.43", "superscan-prostate-metastases": "41.37",
    "toxic-adenoma": "27.31", "toxic-multinodular-goitre": "27.53",
}  # fmt: skip
#: Incidental findings, appended now and then with Zipf-like weights (the first often,
#: the last rarely). Written for this benchmark.
INCIDENTAL = [
    "Incidental note is made of a small hiatus hernia.",
    "Degenerative changes are seen in the lower lumbar spine.",
    "There is a simple cyst in the upper pole of the right kidney.",
    "Mild osteoarthritis of both knees.",
    "The thyroid gland is normal in size.",
    "Scattered calcified granulomas in both lungs.",
    "A small amount of physiological fluid is present in the pelvis.",
    "Atherosclerotic calcification of the abdominal aorta.",
    "The appearances are unchanged from the previous examination.",
    "Bladder activity is normal and the kidneys excrete promptly.",
    "Old healed rib fractures on the left.",
    "Punctate uptake at a recent venepuncture site in the right antecubital fossa.",
    "There is a small accessory spleen.",
    "Cholelithiasis without signs of inflammation.",
    "Mild cardiomegaly.",
    "A few colonic diverticula without diverticulitis.",
    "Bilateral cervical ribs are noted.",
    "Diffuse hepatic steatosis.",
    "There is a duplex collecting system on the left.",
    "Schmorl nodes at several thoracic levels.",
    "A limbus vertebra at the anterosuperior corner of L4.",
    "Urinary contamination over the left groin.",
    "An enostosis in the right femoral neck.",
    "Pleural plaques consistent with prior asbestos exposure.",
    "A Bochdalek hernia containing fat at the left posterior costophrenic angle.",
    "Azygos lobe fissure, a normal variant.",
    "A retroaortic left renal vein.",
    "An os trigonum is present.",
    "Mild bronchiectasis in the middle lobe.",
    "A horseshoe kidney with the isthmus anterior to L4.",
    "Calcified uterine fibroids.",
    "A persistent left superior vena cava draining to the coronary sinus.",
    "Bipartite patella, a normal variant.",
    "A small lipoma in the left trapezius.",
    "A Riedel lobe of the liver.",
    "Situs inversus totalis.",
    "Fabella posterior to the lateral femoral condyle.",
    "Porcelain gallbladder.",
    "Pelvic phleboliths.",
    "A tortuous, ectatic descending thoracic aorta.",
    "A vertebral haemangioma in T11.",
    "Ossification of the posterior longitudinal ligament.",
    "Melorheostosis of the left fibula.",
    "A fibrous cortical defect in the distal tibial metaphysis.",
]
#: Rare incidental entities (variants, incidentalomas, eponyms), each in a handful of
#: cases, so that the rarest real words of the file occur in 1 to 5 cases.
RARE = [
    "an os acromiale", "a Kommerell diverticulum", "a pericardial cyst", "a Tarlov cyst at S2",
    "a Thornwaldt cyst", "an arachnoid granulation in the transverse sinus",
    "a cavum septum pellucidum et vergae", "a mega cisterna magna",
    "a persistent trigeminal artery", "a fenestrated basilar artery", "a bovine aortic arch",
    "an aberrant right subclavian artery", "a retrocaval ureter", "a crossed fused renal ectopia",
    "a pelvic kidney", "a prominent column of Bertin", "a dromedary hump of the left kidney",
    "a Spigelian hernia", "an obturator hernia", "a Morgagni hernia", "epiploic appendagitis",
    "an omental infarct", "a wandering spleen", "a choledochal cyst",
    "a Phrygian cap of the gallbladder", "an annular pancreas", "pancreas divisum",
    "a juxtapapillary duodenal diverticulum", "a lipoma of the ileocaecal valve",
    "a Zenker diverticulum", "a Killian-Jamieson diverticulum", "a thyroglossal duct cyst",
    "a laryngocele", "a second branchial cleft cyst", "a plunging ranula",
    "a sialolith in Wharton duct", "a Stafne bone cavity", "a torus palatinus",
    "a concha bullosa", "a Haller cell", "an Onodi cell", "a silent sinus syndrome",
    "a frontal sinus mucocele", "an antrochoanal polyp", "a pneumatised anterior clinoid",
    "dens invaginatus", "an ossified stylohyoid ligament (Eagle)", "a bifid rib",
    "a Luschka rib", "Srb anomaly of the first ribs", "pectus excavatum", "a sternal foramen",
    "a butterfly vertebra", "a hemivertebra at T9", "a transitional lumbosacral vertebra",
    "spina bifida occulta of S1", "a Bertolotti articulation", "a block vertebra at C5-C6",
    "an os odontoideum", "a ponticulus posticus", "a bone island in the ilium",
    "osteopoikilosis", "a Pacchionian depression", "hyperostosis frontalis interna",
    "a calcified falx", "a dural ectasia", "a fabella", "an os peroneum",
    "an accessory navicular", "a cornuate navicular", "a calcaneonavicular coalition",
    "a talocalcaneal coalition", "a bipartite sesamoid", "a discoid lateral meniscus",
    "a dorsal defect of the patella", "a Stieda process", "an os vesalianum", "an os naviculare",
    "a supracondylar process of the humerus", "an os styloideum", "a lunotriquetral coalition",
    "a Madelung deformity", "an ulnar minus variant", "a Kirner deformity",
    "a Poland syndrome appearance of the chest wall", "a sternalis muscle",
    "an elastofibroma dorsi", "a Bochdalek fat herniation", "a tracheal bronchus",
    "a cardiac bronchus", "an accessory inferior fissure", "a pulmonary sequestration",
    "a bronchial atresia with mucocele", "a pericardial diverticulum", "a lipomatous hypertrophy of the interatrial septum",
    "a Chiari network", "a prominent crista terminalis", "a myocardial bridge",
    "a left ventricular false tendon", "a coronary artery fistula",
    "an anomalous origin of the right coronary artery", "a Valsalva sinus aneurysm",
    "a ductus diverticulum", "a right-sided aortic arch", "a double superior vena cava",
    "an interrupted inferior vena cava with azygos continuation", "a nutcracker configuration",
    "a median arcuate ligament impression", "a Riolan arcade", "a replaced right hepatic artery",
    "a hepatic hamartoma (von Meyenburg complexes)", "a Caroli pattern",
    "a focal fatty sparing near the gallbladder fossa", "a splenic hamartoma",
    "a littoral cell angioma", "an adrenal myelolipoma", "an adrenal cyst",
    "a renal angiomyolipoma", "a Bosniak IIF cyst", "a medullary sponge kidney pattern",
    "a ureterocele", "a urachal remnant", "a Gartner duct cyst", "a Nabothian cyst",
    "an arcuate uterus", "a bicornuate uterus", "an ovarian dermoid with a Rokitansky nodule",
    "a paraovarian cyst", "a tail gut cyst", "a Morel-Lavallee lesion", "a ganglion of the ACL",
    "a parameniscal cyst", "a Baker cyst", "a synovial chondromatosis pattern",
    "a glomus tumour of the fingertip", "an intraosseous lipoma of the calcaneus",
    "a unicameral bone cyst", "a Brodie abscess", "a xanthoma of the Achilles tendon",
]  # fmt: skip
RARE_SHARE = 0.005  # of cases that mention one of them

MEASUREMENTS = [
    "The largest lesion measures {a} x {b} mm.",
    "It measures {a} mm in greatest dimension.",
    "Maximum standardised uptake value {x}.",
    "The lesion-to-background ratio is {x}.",
    "Compared with the study {a} months ago it is {b} percent larger.",
    "Region-of-interest counts are {c} on the left and {d} on the right.",
]
ALPHABET = "abcdefghijklmnopqrstuvwxyz"
SERIES_OF = {"PT": "pet", "CT": "ct", "MR": "mr", "CR": "cr", "DX": "cr", "US": "us"}
BONE_AGENTS = ("MDP", "HDP", "DPD")
_AGE = re.compile(r"\b(\d{1,2})(?=-year-old| ?yo\b| ?yr\b| ?[MF]\b|, | with)")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


@cache
def written() -> tuple[list[dict], dict[str, list[int]], list[float]]:
    """The written cases (each with its findings cut into sentences), the cases of each
    label, and cumulative Zipf-like weights over the cases in a seeded order."""
    cases = json.loads(EVAL_FILE.read_text())
    by_label: dict[str, list[int]] = {}
    for i, c in enumerate(cases):
        c["sentences"] = [s for s in _SENTENCE.split(c["findings"].strip()) if s]
        by_label.setdefault(c["label"], []).append(i)
    order = list(range(len(cases)))
    random.Random(223).shuffle(order)
    weights = [0.0] * len(cases)
    for rank, i in enumerate(order, start=1):
        weights[i] = 1 / rank**ZIPF
    return cases, by_label, list(accumulate(weights))


@cache
def _incidental_weights() -> list[float]:
    return list(accumulate(1 / k**ZIPF for k in range(1, len(INCIDENTAL) + 1)))


def source_words() -> set[str]:
    """Every word (lower case, letters only) of the texts cases are made from: the words
    a search benchmark may pick as real words (misspellings are not among them)."""
    texts = [str(x) for entry in CATALOGUE for x in entry]
    texts += INCIDENTAL + RARE + MEASUREMENTS + OPENINGS + [DISCUSSION]
    for c in written()[0]:
        texts += [str(v) for v in c.values()]
    return {w.lower() for t in texts for w in re.findall(r"[A-Za-z]+", t)}


def _misspell(rng: random.Random, text: str) -> str:
    """``text`` with one longer word misspelt (a letter dropped, doubled, swapped or
    replaced), as in a real submission."""
    words = [m for m in re.finditer(r"[a-z]{6,}", text)]
    if not words:
        return text
    m = rng.choice(words)
    w, i = m.group(), rng.randrange(1, len(m.group()) - 1)
    how = rng.randrange(4)
    if how == 0:
        w = w[:i] + w[i + 1 :]
    elif how == 1:
        w = w[:i] + w[i] + w[i:]
    elif how == 2:
        w = w[: i - 1] + w[i] + w[i - 1] + w[i + 1 :]
    else:
        w = w[:i] + rng.choice(ALPHABET) + w[i + 1 :]
    return text[: m.start()] + w + text[m.end() :]


def _embellish(rng: random.Random, findings: str, modality: str) -> str:
    """Findings with, now and then, a measurement, an incidental finding or a typo."""
    extra = []
    if rng.random() < 0.25:
        extra.append(
            rng.choice(MEASUREMENTS).format(
                a=rng.randint(3, 95),
                b=rng.randint(3, 60),
                x=f"{rng.uniform(1.2, 24):.1f}",
                c=rng.randint(800, 90000),
                d=rng.randint(800, 90000),
            )  # fmt: skip
        )
    if rng.random() < 0.35:
        extra.append(rng.choices(INCIDENTAL, cum_weights=_incidental_weights())[0])
    if rng.random() < RARE_SHARE:
        extra.append(f"Incidental note is made of {rng.choice(RARE)}.")
    text = " ".join([findings, *extra])
    if rng.random() < 0.03:
        text = _misspell(rng, text)
    return text


def _from_catalogue(rng: random.Random) -> dict:
    dx, prefix, modality, code, agent, history, finding, ddx = rng.choice(CATALOGUE)
    age = rng.randint(18, 88)
    if "woman" in history or "girl" in history:
        sex = "F"
    elif re.search(r"\b(man|boy)\b", history):
        sex = "M"
    else:
        sex = rng.choice("FM")
    return {
        "dx": dx, "prefix": prefix, "modality": modality, "code": code,
        "agents": [agent] if agent else [], "age": age, "sex": sex,
        "brief": f"{age}-year-old {history}.",
        "full": f"{rng.choice(OPENINGS)}{age}-year-old {history}.",
        "findings": finding + (" " + rng.choice(OPENINGS) if rng.random() < 0.3 else ""),
        "ddx": rng.sample(ddx, k=rng.randint(2, len(ddx))),
        "discussion": DISCUSSION.format(
            dx=dx.lower(), finding=finding.lower(), ddx0=ddx[0].lower()
        ),
    }  # fmt: skip


def _from_written(rng: random.Random) -> dict:
    cases, by_label, cum = written()
    c = rng.choices(cases, cum_weights=cum)[0]
    sentences = [s for s in c["sentences"] if rng.random() < 0.85] or c["sentences"][:1]
    if rng.random() < 0.4:  # borrow from another case of the same diagnosis
        other = cases[rng.choice(by_label[c["label"]])]
        for s in rng.sample(other["sentences"], k=min(len(other["sentences"]), rng.randint(1, 2))):
            if s not in sentences:
                sentences.insert(rng.randint(0, len(sentences)), s)
    history = c["brief_history"]
    if m := _AGE.search(history):
        age = max(1, min(89, int(m[1]) + rng.randint(-6, 6)))
        history = history[: m.start(1)] + str(age) + history[m.end(1) :]
    elif re.search(r"\b(wk|week|mo|month|neonat|baby|infant)", history):
        age = 0
    else:
        age = rng.randint(18, 88)
    if re.search(r"\b(woman|girl|female|mother)\b|\d ?F\b|\bF\b", history, re.IGNORECASE):
        sex = "F"
    elif re.search(r"\b(man|boy|male|father)\b|\d ?M\b|\bM\b", history, re.IGNORECASE):
        sex = "M"
    else:
        sex = rng.choice("FM")
    agents = [a.strip() for a in c["agent"].split(";") if a.strip()]
    modality = c["modality"]
    if modality == "NM":
        prefix = "bs" if any(a.endswith(BONE_AGENTS) for a in agents) else "nm"
    else:
        prefix = SERIES_OF[modality]
    dx = c["diagnosis"]
    first = c["sentences"][0].rstrip(".").lower()
    return {
        "dx": dx, "prefix": prefix, "modality": modality, "code": LABEL_CODES[c["label"]],
        "agents": agents, "age": age, "sex": sex, "brief": history,
        "full": f"{rng.choice(OPENINGS)}{history}",
        "findings": " ".join(sentences),
        "ddx": list(c["differential"]),
        "discussion": c["discussion"] or DISCUSSION.format(
            dx=dx.lower(), finding=first + ".",
            ddx0=(c["differential"] or ["another diagnosis"])[0].lower(),
        ),
    }  # fmt: skip


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
        for code in [c for _, _, _, c, *_ in CATALOGUE] + list(LABEL_CODES.values())
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
        t = _from_written(rng) if rng.random() < EVAL_SHARE else _from_catalogue(rng)
        dx, prefix, code = t["dx"], t["prefix"], t["code"]
        seq = next_seq[prefix]
        next_seq[prefix] += 1
        date = dt.date(1994, 1, 1) + dt.timedelta(days=rng.randint(0, 11000))
        case = Case(
            series=series[prefix],
            sequence=seq,
            number=format_number(prefix, seq),
            title=dx if rng.random() < 0.7 else "",
            case_date=date,
            difficulty=rng.randint(1, 5),
            quality=rng.randint(1, 5),
            modality=t["modality"],
            exam=f"{series[prefix].name} examination",
            patient_age=t["age"],
            patient_sex=t["sex"],
            brief_history=t["brief"],
            full_history=t["full"],
            findings=_embellish(rng, t["findings"], t["modality"]),
            diagnosis=dx,
            discussion=t["discussion"],
            followup=rng.choice(
                [
                    "",
                    "Confirmed at surgery.",
                    "Resolved on follow-up imaging.",
                    "Biopsy confirmed the diagnosis.",
                ]
            ),  # fmt: skip
            differential=t["ddx"],
            references=[
                {
                    "text": f"Synthetic reference {rng.randint(1, 999)} on {dx}.",
                    "pmid": "",
                    "doi": "",
                }
                for _ in range(rng.randint(1, 3))
            ],  # fmt: skip
            acr_codes=[code],
            keywords=[w for w in re.findall(r"[a-z][a-z'-]*", dx.lower()) if len(w) > 4][:3],
            anatomic_field=code[0],
            category=code.split(".")[1][0],
            topic=topics[code[0]],
            copyright="Synthetic benchmark case",
            status=Status.PUBLISHED,
            visibility=Visibility.PUBLIC if rng.random() < 0.8 else Visibility.INSTITUTION,
            published_at=now - dt.timedelta(minutes=rng.randint(0, 10**6)),
        )
        cases.append(case)
        children.append((t["agents"], rng.randint(1, 3), rng.randint(1, 3)))
    Case.objects.bulk_create(cases)
    authors, doses, images = [], [], []
    for case, (agents, n_auth, n_img) in zip(cases, children, strict=True):
        for order in range(n_auth):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            authors.append(
                CaseAuthor(case=case, order=order, name=name, credentials=rng.choice(CREDENTIALS))
            )
        for agent in agents:
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
