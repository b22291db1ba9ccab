"""Benchmark bulk sentence embedding of teaching cases (lightbox/search/text/embeddings.py).

Makes N synthetic case texts of 80-120 words, each a brief history, the findings and the
diagnosis as the similar-cases index embeds them, and embeds them in chunks the way a bulk
re-index would. Prints the time to load the model (once per process), embeddings per
second, and the mean word pieces per text. Budget (2 cores, max_tokens 128): >= 30 cases/s.

Usage: .venv/bin/python bench/embed.py [--cases 300] [--max-tokens 128] [--batch-size 32]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

from tokenizers import Tokenizer
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lightbox.search.text import embeddings  # noqa: E402

BUDGET = 30.0  # cases per second

# (diagnosis, histories, findings): written for this benchmark, varied in wording.
CATALOGUE: list[tuple[str, list[str], list[str]]] = [
    (
        "Acute pulmonary embolism with right heart strain.",
        [
            "A 64-year-old woman presents with sudden pleuritic chest pain and dyspnoea.",
            "Postoperative day five after a total knee replacement, now tachycardic.",
            "Breathless on exertion for two days; raised D-dimer and hypoxia.",
        ],
        [
            "There are filling defects in the right and left main pulmonary arteries.",
            "A saddle embolus straddles the bifurcation of the pulmonary trunk.",
            "The right ventricle is dilated with an RV/LV ratio of 1.4.",
            "Contrast refluxes into the inferior vena cava and hepatic veins.",
            "A wedge-shaped peripheral opacity in the right lower lobe suggests infarction.",
            "Small bilateral pleural effusions are present.",
        ],
    ),
    (
        "Diffuse skeletal metastases (superscan) from prostate carcinoma.",
        [
            "A 72-year-old man with prostate cancer, PSA 240 ng/mL, and back pain.",
            "Known Gleason 9 prostate adenocarcinoma on androgen deprivation therapy.",
            "Staging bone scan for newly diagnosed high-risk prostate cancer.",
        ],
        [
            "Tc-99m MDP shows diffusely increased uptake throughout the axial skeleton.",
            "The kidneys and bladder are faint or absent owing to avid skeletal uptake.",
            "Uptake is heterogeneous in the spine, pelvis, ribs and proximal femora.",
            "The soft-tissue background is unusually low.",
            "The calvarium shows patchy increased activity.",
            "Sclerotic lesions are seen on the correlative CT of the lumbar spine.",
        ],
    ),
    (
        "Acute calculous cholecystitis.",
        [
            "A 45-year-old woman with right upper quadrant pain, fever and vomiting.",
            "Murphy sign positive; white cell count 16 and mildly raised bilirubin.",
            "Recurrent biliary colic for months, now constant pain for a day.",
        ],
        [
            "The gallbladder is distended with a wall thickness of 6 mm.",
            "An impacted calculus sits in the gallbladder neck.",
            "There is pericholecystic fluid and a positive sonographic Murphy sign.",
            "On HIDA scintigraphy the gallbladder does not fill by four hours.",
            "The common bile duct measures 5 mm without choledocholithiasis.",
            "Hyperaemia of the gallbladder wall is seen on colour Doppler.",
        ],
    ),
    (
        "Transverse fracture of the distal radius with dorsal angulation (Colles).",
        [
            "An 80-year-old woman fell on an outstretched hand.",
            "Wrist pain and a dinner-fork deformity after a fall on ice.",
            "Osteoporosis on treatment; tripped on the stairs.",
        ],
        [
            "A transverse fracture of the distal radial metaphysis is seen.",
            "The distal fragment is dorsally angulated by 25 degrees and impacted.",
            "There is an associated fracture of the ulnar styloid.",
            "Radial height is reduced and the radial inclination is lost.",
            "The carpal bones are intact and aligned.",
            "Diffuse osteopenia is noted.",
        ],
    ),
    (
        "Paget disease of bone, polyostotic.",
        [
            "Raised alkaline phosphatase found incidentally in a 70-year-old man.",
            "Increasing hat size and deafness over several years.",
            "Bowing of the left tibia and aching pain in the leg.",
        ],
        [
            "Intense uptake involves the whole of the left hemipelvis.",
            "The right tibia shows uptake from the proximal end with a flame-shaped front.",
            "The skull shows cotton-wool sclerosis and thickening of the diploe.",
            "The cortex is thickened and the trabeculae are coarsened on radiographs.",
            "The vertebral body of L3 is enlarged with a picture-frame appearance.",
            "No cortical destruction or soft-tissue mass to suggest sarcoma.",
        ],
    ),
    (
        "Graves disease.",
        [
            "A 34-year-old woman with palpitations, weight loss and heat intolerance.",
            "Suppressed TSH, raised free T4 and positive TSH receptor antibodies.",
            "Tremor and exophthalmos for three months.",
        ],
        [
            "Tc-99m pertechnetate shows diffusely increased thyroid uptake of 12 percent.",
            "The gland is symmetrically enlarged with a prominent pyramidal lobe.",
            "Salivary gland activity is low relative to the thyroid.",
            "There are no focal cold or hot nodules.",
            "Ultrasound shows a hypervascular gland, the thyroid inferno.",
        ],
    ),
    (
        "Ischaemic stroke in the left middle cerebral artery territory.",
        [
            "Sudden right-sided weakness and expressive dysphasia, onset 3 hours ago.",
            "Atrial fibrillation not anticoagulated; found collapsed at home.",
            "A 68-year-old man with facial droop and slurred speech.",
        ],
        [
            "There is loss of grey-white differentiation in the left insular cortex.",
            "A hyperdense left middle cerebral artery sign is present.",
            "Diffusion restriction involves the left frontal and parietal lobes.",
            "CT angiography shows occlusion of the M1 segment.",
            "There is no intracranial haemorrhage.",
            "The ASPECTS score is 7.",
        ],
    ),
    (
        "Community-acquired pneumonia of the right lower lobe.",
        [
            "Productive cough, fever and rigors for four days.",
            "A 55-year-old smoker with crackles at the right base.",
            "Raised CRP of 180 and neutrophilia.",
        ],
        [
            "Consolidation with air bronchograms occupies the right lower lobe.",
            "The right hemidiaphragm is obscured.",
            "There is a small right parapneumonic effusion.",
            "The heart size is normal.",
            "No cavitation or mass is seen.",
        ],
    ),
]
FILLERS = [
    "Comparison is made with the prior examination.",
    "The remaining structures are unremarkable.",
    "Clinical correlation and follow-up are advised.",
    "Images were reviewed at the multidisciplinary meeting.",
    "The study is of diagnostic quality.",
    "No other significant abnormality is identified.",
]


def words(parts: list[str]) -> int:
    return sum(len(part.split()) for part in parts)


def case_text(rng: random.Random) -> str:
    """History + findings + diagnosis, 80-120 words."""
    diagnosis, histories, findings = rng.choice(CATALOGUE)
    target = rng.randint(80, 120)
    history = ["History:", *rng.sample(histories, rng.randint(1, 2)), "Findings:"]
    ending = ["Diagnosis:", diagnosis]
    chosen: list[str] = []
    pool = rng.sample(findings, len(findings)) + rng.sample(FILLERS, len(FILLERS))
    for sentence in pool + rng.choices(findings, k=20):  # then repeats, if still short
        total = words(history) + words(chosen) + words(ending)
        if total >= 80 and total + words([sentence]) > target:
            break
        chosen.append(sentence)
    return " ".join([*history, *chosen, *ending])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--chunk", type=int, default=100, help="texts per embed() call")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    texts = [case_text(rng) for _ in range(args.cases)]
    lengths = [len(t.split()) for t in texts]
    tokenizer = Tokenizer.from_file(str(embeddings.model_files()[1]))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    pieces = [len(e.ids) for e in tokenizer.encode_batch(texts)]
    print(
        f"{len(texts)} case texts, {min(lengths)}-{max(lengths)} words "
        f"(mean {sum(lengths) / len(lengths):.0f}), "
        f"{sum(pieces) / len(pieces):.0f} word pieces on average before truncation; "
        f"CPUs usable: {len(os.sched_getaffinity(0))}; load average {os.getloadavg()[0]:.2f}"
    )

    start = time.perf_counter()
    embeddings.embed(["warm up"])
    print(f"Model load (once per process): {time.perf_counter() - start:.2f} s")

    start, cpu_start = time.perf_counter(), time.process_time()
    with tqdm(total=len(texts), desc="Embedding", unit="case") as bar:
        for i in range(0, len(texts), args.chunk):
            chunk = texts[i : i + args.chunk]
            embeddings.embed(chunk, max_tokens=args.max_tokens, batch_size=args.batch_size)
            bar.update(len(chunk))
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    rate = len(texts) / elapsed

    print(
        f"Embedding: {rate:.1f} cases/s ({len(texts)} cases in {elapsed:.2f} s, "
        f"max_tokens {args.max_tokens}, batch_size {args.batch_size}, chunk {args.chunk})"
    )
    cpus = len(os.sched_getaffinity(0))
    print(f"CPU time: {1000 * cpu / len(texts):.1f} ms per case; {cpu / elapsed:.2f} cores busy")
    if cpu / elapsed < 0.8 * cpus:
        print(f"  (fewer than the {cpus} usable CPUs: other processes were competing for them)")
    print(f"Budget: >= {BUDGET:.0f} cases/s: {'PASS' if rate >= BUDGET else 'FAIL'}")


if __name__ == "__main__":
    main()
