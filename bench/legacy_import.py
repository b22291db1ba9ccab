"""Benchmark `manage.py import_legacy` on a generated collection of legacy teaching pages.

Writes N realistic legacy pages (default 1,000) to a temporary folder: the 1996 plain-text
layout of bs068 (the answer printed in an unknown and a known half), an upper-case plain-text
layout without colons, the MIRC-era HTML with ``<h3>`` headings and the bold-label HTML with
``<br>`` lines; UTF-8, Windows-1252 and Latin-1; numbered, bulleted and comma lists; and a
picture or three beside half of the pages, as the real collections have. The clinical text
comes from ``bench/synthetic.py``'s catalogue and written cases. Then it runs the real
command into a fresh temporary data directory (SQLite, or BENCH_DATABASE_URL) with no task
worker running, and prints pages per second and where the time went (exclusive time of
parsing, saving, search indexing with its call count, images, revisions and embeddings).

Budget (2 cores): the import itself (everything but the sentence embeddings, whose own
budget is bench/embed.py's) >= 50 pages/s on 1,000 pages.

Usage: .venv/bin/python bench/legacy_import.py [--pages 1000] [--no-embeddings] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import html
import io
import os
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BUDGET = 50.0  # pages per second, embeddings excluded

# Non-ASCII text the old pages carried, each encodable in Windows-1252 (Latin-1 pages get
# the ones without curly quotes or dashes, which Latin-1 lacks).
ACCENTED_AUTHORS = [
    ("José", "Núñez"), ("Zoë", "Brontë"), ("Søren", "Kjær"), ("Renée", "Lefèvre"),
    ("Jürgen", "Müller"), ("Inés", "Peña"), ("François", "Béranger"), ("Björn", "Åström"),
]  # fmt: skip
ACCENTED_PHRASES = [
    "Ménétrier disease was considered and excluded.",
    "The appearance recalls the café-au-lait pattern described by von Recklinghausen.",
    "A Sjögren syndrome work-up was negative.",
    "Correlation with the 20° oblique view helped.",
    "The patient’s symptoms resolved – as expected – within “a few weeks”.",
]
REFERENCES = [
    "{a}, et al. Scintigraphic patterns of {dx}. J Nucl Med {v}:{p}-{q}, {y}.",
    "{a} and {b}. {dx}: a pictorial review. Radiographics {v}({n}): {p}-{q}, {y}.",
    "{a}. Imaging of {dx}. AJR Am J Roentgenol {v}:{p}-{q}, {y}. PMID: {pmid}",
    "{a}, {b}. Pitfalls in the diagnosis of {dx}. Semin Nucl Med {v}:{p}, {y}. "
    "doi:10.1053/j.semnuclmed.{y}.{p}",
]
PROSE_HEADING_LINES = [
    "Findings: the scan in this patient demonstrated exactly this pattern.",
    "Diagnosis: rests on the combination of the history and the images.",
    "Dx: is usually made without biopsy in this setting.",
    "Impression: the referring team's, not ours, was of {ddx}.",
]
TOPIC_NAMES = {
    "1": ("Skull and Contents", "Neuroimaging"),
    "2": ("Face, mastoids and neck", "Head and Neck Imaging"),
    "3": ("Spine and Contents", "Spine Imaging"),
    "4": ("Skeletal System", "Bone Scintigraphy"),
    "5": ("Heart and great vessels", "Cardiac Imaging"),
    "6": ("Lung, mediastinum and pleura", "Chest Imaging"),
    "7": ("Gastrointestinal system", "Gastrointestinal Imaging"),
    "8": ("Genitourinary system", "Genitourinary Imaging"),
    "9": ("Vascular and lymphatic systems", "Vascular Imaging"),
    "0": ("General", "Whole-body Imaging"),
}
CATEGORY_NAMES = {
    "1": ["Normal, technique, anomaly", "Normal, technique, congenital anomaly"],
    "2": ["Inflammation, infection", "Inflammation,infection"],
    "3": ["Neoplasm, neoplasm-like condition", "Neoplasm, neoplastic-like condition"],
    "4": ["Effect of trauma", "Trauma"],
    "5": ["Metabolic, endocrine, toxic", "Metabolic,endocrine,toxic"],
    "6": ["Other generalized systemic disorder"],
    "7": ["Miscellaneous"],
}
DOSES = {
    "Tc-99m": ["{m} mCi {agent} i.v.", "{b} MBq {agent} intravenously"],
    "F-18": ["{b} MBq {agent} i.v., imaged at 60 min", "{m} mCi {agent} IV"],
    "I-123": ["{u} uCi {agent} orally, imaged at 24 hours", "{b} MBq {agent} p.o."],
    "": ["{m} mCi {agent} i.v."],
}


@dataclass
class Page:
    """The parts of one generated page, before a layout writes them out."""

    number: str
    authors: list[str]
    date: str
    rating: str
    diagnosis: str
    brief: str
    full: str
    images: list[str]
    doses: list[str]
    findings: list[str]
    discussion: list[str]
    references: list[str]
    followup: str
    differential: list[str]
    code: str
    keywords: list[str]
    topic: str
    copyright: str = "Copyright by the Teaching File"
    pictures: int = 0


def _dose(rng: random.Random, agent: str) -> str:
    templates = next((v for k, v in DOSES.items() if k and agent.startswith(k)), DOSES[""])
    return rng.choice(templates).format(
        agent=agent,
        m=rng.choice(["20", "21.6", "25", "10.2", "5"]),
        b=rng.choice(["740", "370", "555", "185"]),
        u=rng.choice(["200", "300", "400"]),
    )


def _page(rng: random.Random, number: str, latin1: bool) -> Page:
    import synthetic

    made = synthetic._from_written(rng) if rng.random() < 0.6 else synthetic._from_catalogue(rng)
    names = []
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.3:
            first, last = rng.choice(ACCENTED_AUTHORS)
        else:
            first, last = rng.choice(synthetic.FIRST), rng.choice(synthetic.LAST)
        names.append(f"{first} {last}, {rng.choice(synthetic.CREDENTIALS)}")
    year = rng.randint(1994, 2003)
    date = rng.choice(
        [
            f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/{year % 100:02d}",
            f"{rng.choice(['Jan', 'March', 'Sept', 'Nov'])} {rng.randint(1, 28)}, {year}",
        ]
    )
    dx = made["dx"]
    discussion = [p for p in made["discussion"].split("\n\n") if p]
    phrases = [p for p in ACCENTED_PHRASES if not latin1 or p.isascii() or "’" not in p]
    if rng.random() < 0.3:
        discussion.append(rng.choice(phrases))
    if rng.random() < 0.15:
        # A known heading word at the start of a line inside the prose, as real pages have.
        line = rng.choice(PROSE_HEADING_LINES).format(ddx=made["ddx"][0].lower())
        discussion[-1] += "\n" + line
    authors = [synthetic.LAST[i] for i in rng.sample(range(len(synthetic.LAST)), 2)]
    references = [
        template.format(
            a=authors[0],
            b=authors[1],
            dx=dx.lower(),
            v=rng.randint(10, 60),
            n=rng.randint(1, 6),
            p=rng.randint(100, 900),
            q=rng.randint(901, 999),
            y=rng.randint(1980, 2002),
            pmid=rng.randint(1_000_000, 12_000_000),
        )  # fmt: skip
        for template in rng.sample(REFERENCES, k=rng.randint(1, 3))
    ]
    differential = list(made["ddx"])
    if rng.random() < 0.2:
        differential.append("metastatic carcinoma (breast, kidney, lung, thyroid)")
    code = made["code"]
    field_digit, category_digit = code[0], code.split(".")[1][:1] or "7"
    field_name, topic_title = TOPIC_NAMES[field_digit]
    category = rng.choice(CATEGORY_NAMES.get(category_digit, ["Miscellaneous"]))
    views = ["Anterior and posterior whole body images", "Axial images", "Spot views",
             "Coronal reformats", "Delayed images at 4 hours"]  # fmt: skip
    return Page(
        number=number,
        authors=names,
        date=date,
        rating=f"#D{rng.randint(1, 5)}, #Q{rng.randint(1, 5)}" if rng.random() < 0.8 else "",
        diagnosis=dx + ".",
        brief=made["brief"],
        full=made["full"],
        images=rng.sample(views, k=rng.randint(1, 3)),
        doses=[_dose(rng, a) for a in made["agents"]],
        findings=[made["findings"]],
        discussion=discussion,
        references=references,
        followup=rng.choice(["", "Confirmed at surgery.", "Biopsy confirmed the diagnosis."]),
        differential=differential,
        code=code,
        keywords=[w for w in dx.lower().replace(",", " ").split() if len(w) > 5][:2],
        topic=(
            f"References and General Discussion of {topic_title} "
            f"(Anatomic field:{field_name}, Category:{category})"
        ),
        pictures=rng.choice([0, 0, 1, 1, 2, 3]),
    )


def _numbered(items: list[str], style: str) -> list[str]:
    return [f"{i}{style} {item}" for i, item in enumerate(items, start=1)]


def wustl_text(page: Page, rng: random.Random) -> str:
    """The 1996 layout of bs068: an unknown half, then the known half."""
    byline = f"Case Author(s): {' and '.join(page.authors)} , {page.date} ."
    if page.rating:
        byline += f" Rating: {page.rating}"
    parts = [byline, f"Diagnosis: {page.diagnosis}", "Brief history:", page.brief, "Images:"]
    parts += page.images
    parts += [
        f"View main image({page.number[:2]}) in a separate image viewer",
        "Full history/Diagnosis is available below",
        "",
        f"Diagnosis: {page.diagnosis}",
        "Full history:",
        page.full,
    ]
    if page.doses:
        parts += ["Radiopharmaceutical:", "\n".join(page.doses)]
    parts += ["Findings:", *page.findings, "Discussion:", *page.discussion]
    parts += ["References: " + "\n\n".join(_numbered(page.references, ")"))]
    if page.followup:
        parts += ["Followup:", page.followup]
    parts += ["Differential Diagnosis List", ", ".join(page.differential) + "."]
    parts += ["ACR Codes and Keywords:", f"{page.code}; {', '.join(page.keywords)}", page.topic]
    parts += ["Search for similar cases.", "Edit this case", "Add comments about this case"]
    parts += ["Return to the Teaching File home page.", "", f"Case number: {page.number}"]
    parts += [page.copyright]
    return "\n\n".join(parts) + "\n"


def upper_text(page: Page, rng: random.Random) -> str:
    """Upper-case headings on their own line, no colons; numbered lists one per line."""
    parts = [
        f"CASE NUMBER\n{page.number}",
        f"AUTHORS\n{'; '.join(page.authors)}",
        f"DATE\n{page.date}",
        f"HISTORY\n{page.full}",
    ]
    if page.doses:
        parts.append("RADIOPHARMACEUTICALS\n" + "\n".join(page.doses))
    parts += [
        "IMAGES\n" + "\n".join(f"- {caption}" for caption in page.images),
        "FINDINGS\n" + "\n\n".join(page.findings),
        "DIAGNOSIS\n" + page.diagnosis,
        "DIFFERENTIAL DIAGNOSIS\n" + "\n".join(_numbered(page.differential, ".")),
        "DISCUSSION\n" + "\n\n".join(page.discussion),
        "REFERENCES\n" + "\n".join(_numbered(page.references, ".")),
        f"KEYWORDS\n{page.code}, {', '.join(page.keywords)}",
        page.topic,
        page.copyright,
    ]
    return "\r\n\r\n".join(part.replace("\n", "\r\n") for part in parts) + "\r\n"


def mirc_html(page: Page, rng: random.Random) -> str:
    """The MIRC-era HTML page: <h3> headings, <p> paragraphs, <ul> lists."""
    e = html.escape

    def section(heading: str, paragraphs: list[str]) -> str:
        body = "".join(f"<p>{e(p).replace(chr(10), '<br>')}</p>\n" for p in paragraphs)
        return f"<h3>{heading}</h3>\n{body}"

    items = "".join(f"<li>{e(d)}</li>" for d in page.differential)
    refs = "".join(f"<li>{e(r)}</li>\n" for r in page.references)
    doses = section("Radiopharmaceutical", page.doses) if page.doses else ""
    return (
        "<html><head><title>Teaching file case</title>"
        "<script>var hits = 0;</script></head>\n<body bgcolor=white>\n"
        f"<h2>Case number: {e(page.number)}</h2>\n"
        f"<p><b>Author(s):</b> {e('; '.join(page.authors))}<br>\n"
        f"<b>Date:</b> {e(page.date)}</p>\n"
        + section("Clinical History", [page.full])
        + doses
        + section("Images", ["\n".join(page.images)])
        + section("Findings", page.findings)
        + section("Diagnosis", [page.diagnosis])
        + f"<h3>Differential Diagnosis</h3>\n<ul>{items}</ul>\n"
        + section("Discussion", page.discussion)
        + f"<h3>References</h3>\n<ol>\n{refs}</ol>\n"
        + f"<p><b>ACR code:</b> {e(page.code)}<br><b>Keywords:</b> {e(', '.join(page.keywords))}"
        + f"</p>\n<p>{e(page.topic)}</p>\n<hr>\n<p>{e(page.copyright)}</p>\n</body></html>\n"
    )


def bold_html(page: Page, rng: random.Random) -> str:
    """Bold labels with their text on the same line, <br> between lines."""
    e = html.escape
    lines = [
        f"<b>Case number:</b> {e(page.number)}",
        f"<b>Contributed by:</b> {e(' and '.join(page.authors))}, {e(page.date)}",
        f"<b>History:</b> {e(page.brief)}",
        f"<b>Case Diagnosis:</b> {e(page.diagnosis)}",
    ]
    if page.doses:
        lines.append(f"<b>Radiopharmaceutical:</b> {e('; '.join(page.doses))}")
    lines += [
        f"<b>Image captions:</b> {e(page.images[0])}",
        f"<b>Findings:</b> {e(' '.join(page.findings))}",
        f"<b>DDx:</b> {e('; '.join(page.differential))}",
    ]
    body = "<br>\n".join(lines)
    discussion = "".join(f"<p>{e(p)}</p>\n" for p in page.discussion)
    refs = "".join(f"<p>[{i}] {e(r)}</p>\n" for i, r in enumerate(page.references, start=1))
    return (
        "<HTML><BODY>\n<P>"
        + body
        + "</P>\n<P><B>Discussion:</B></P>\n"
        + discussion
        + "<P><B>References:</B></P>\n"
        + refs
        + f"<P><B>Key words:</B> {e(page.code)}, {e(', '.join(page.keywords))}</P>\n"
        + f"<P>{e(page.topic)}</P>\n<P>{e(page.copyright)}</P>\n</BODY></HTML>\n"
    )


LAYOUTS: list[tuple[Callable[[Page, random.Random], str], str]] = [
    (wustl_text, ".txt"),
    (upper_text, ".txt"),
    (mirc_html, ".html"),
    (bold_html, ".htm"),
]


def _png(rng: random.Random) -> bytes:
    from PIL import Image, ImageDraw

    picture = Image.new("L", (256, 256), 10)
    grey = rng.randint(60, 240)
    ImageDraw.Draw(picture).ellipse((rng.randint(10, 80), 30, 200, rng.randint(150, 240)), grey)
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def make_pages(folder: Path, count: int, *, seed: int = 663) -> list[Path]:
    """Write ``count`` pages (and their pictures) into ``folder``; returns the pages."""
    rng = random.Random(seed)
    prefixes: dict[str, int] = {}
    paths = []
    for _ in range(count):
        layout, suffix = rng.choice(LAYOUTS)
        encoding = rng.choices(["utf-8", "cp1252", "latin-1"], weights=[6, 3, 1])[0]
        prefix = rng.choice(["bs", "nm", "ct", "pet", "mr"])
        prefixes[prefix] = prefixes.get(prefix, 0) + 1
        number = f"{prefix}{prefixes[prefix]:03d}"
        page = _page(rng, number, latin1=encoding == "latin-1")
        text = layout(page, rng)
        path = folder / f"{number}{suffix}"
        path.write_bytes(text.encode(encoding, errors="replace"))
        for index in range(page.pictures):
            name = number if index == 0 else f"{number}-{index + 1}"
            (folder / f"{name}.png").write_bytes(_png(rng))
        paths.append(path)
    return paths


@dataclass
class Timers:
    """Exclusive wall and CPU time per label: a nested timed call's time counts only there."""

    seconds: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    _stack: list[list[float]] = field(default_factory=list)

    @contextmanager
    def timing(self, label: str) -> Iterator[None]:
        # start, CPU at start, wall and CPU time spent in nested timers
        self._stack.append([time.perf_counter(), time.process_time(), 0.0, 0.0])
        try:
            yield
        finally:
            start, cpu_start, nested, nested_cpu = self._stack.pop()
            spent = time.perf_counter() - start
            spent_cpu = time.process_time() - cpu_start
            self.seconds[label] = self.seconds.get(label, 0.0) + spent - nested
            self.cpu[label] = self.cpu.get(label, 0.0) + spent_cpu - nested_cpu
            self.calls[label] = self.calls.get(label, 0) + 1
            if self._stack:
                self._stack[-1][2] += spent
                self._stack[-1][3] += spent_cpu

    def wrap(self, owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.timing(label):
                return original(*args, **kwargs)

        setattr(owner, name, timed)


def _instrument(timers: Timers) -> None:
    """Time the import's parts where the command calls them."""
    from lightbox.interchange.legacy import save as legacy_import
    from lightbox.search import index, tasks

    timers.wrap(legacy_import, "parse_legacy", "parse pages")
    timers.wrap(legacy_import, "save_legacy_case", "save cases (rows, children)")
    timers.wrap(legacy_import, "add_image", "images (clean, thumbnail, store)")
    timers.wrap(legacy_import, "record", "revisions")
    timers.wrap(legacy_import, "checkpoint", "revisions")
    timers.wrap(index, "index_cases", "search index")
    timers.wrap(tasks, "embed", "embeddings")


def _setup(data_dir: Path) -> None:
    os.environ["LIGHTBOX_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    if url := os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = url
    os.environ["LIGHTBOX_TASKS"] = "db"  # the default: tasks wait for a worker (none runs)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lightbox.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if os.environ.get("DATABASE_URL"):
        call_command("flush", interactive=False, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--no-embeddings", action="store_true", help="pass --no-embeddings")
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        pages_dir, data_dir = Path(tmp) / "pages", Path(tmp) / "data"
        pages_dir.mkdir()
        _setup(data_dir)
        from django.core.management import call_command

        from lightbox.cases.models import Case
        from lightbox.search.models import Entry

        make_pages(pages_dir, args.pages)
        pictures = len(list(pages_dir.glob("*.png")))
        print(f"{args.pages:,} legacy pages ({pictures:,} pictures beside them) in {pages_dir}")
        timers = Timers()
        _instrument(timers)
        out, err = io.StringIO(), io.StringIO()
        # CPU time, not wall time: on a busy machine waiting for a core is not work.
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        options = {"no_embeddings": True} if args.no_embeddings else {}
        start, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        call_command("import_legacy", str(pages_dir), stdout=out, stderr=err, **options)
        if profiler:
            profiler.disable()
        total, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(out.getvalue().strip().splitlines()[-1])
        warnings = err.getvalue().count("warning:")
        errors = err.getvalue().count("error:")
        print(f"  {warnings} warning line(s), {errors} error line(s)")
        embedding = timers.seconds.get("embeddings", 0.0)
        importing = total - embedding
        importing_cpu = cpu - timers.cpu.get("embeddings", 0.0)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"Where the time went ({total:.1f} s wall, {cpu:.1f} s CPU; load average {load}):")
        print(f"  {'':<36} {'wall':>8}  {'share':>6}  {'CPU':>7}  {'calls':>6}")
        for label, seconds in sorted(timers.seconds.items(), key=lambda kv: -kv[1]):
            calls, used = timers.calls[label], timers.cpu[label]
            share = seconds / total
            print(f"  {label:<36} {seconds:6.2f} s  {share:6.1%}  {used:5.2f} s  {calls:6,}")
        rest = total - sum(timers.seconds.values())
        rest_cpu = cpu - sum(timers.cpu.values())
        label = "command (files, commits, the rest)"
        print(f"  {label:<36} {rest:6.2f} s  {rest / total:6.1%}  {rest_cpu:5.2f} s")
        indexed = timers.calls.get("search index", 0)
        print(f"  search index calls per page: {indexed / args.pages:.2f}")
        cases = Case.objects.count()
        embedded = Entry.objects.exclude(embedded_text="").count()
        print(f"  {cases:,} cases; {embedded:,} with an embedding")
        rate = args.pages / importing
        print(
            f"Import: {rate:.0f} pages/s ({args.pages:,} pages in {importing:.1f} s wall; "
            f"{args.pages / importing_cpu:.0f} pages per CPU second)"
        )
        if embedding:
            print(f"Embeddings: {embedded / embedding:.0f} cases/s ({embedding:.1f} s)")
        print(f"Budget: >= {BUDGET:.0f} pages/s: {'PASS' if rate >= BUDGET else 'FAIL'}")
        if profiler:
            profiler.dump_stats(str(Path(tempfile.gettempdir()) / "legacy_import.prof"))
            stats = pstats.Stats(profiler, stream=sys.stdout)
            stats.sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
