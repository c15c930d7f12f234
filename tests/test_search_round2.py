"""Issue 15: misspelt queries find what the right spelling finds; intent; several codes; totals.

Every example named in the issue is a test here, on the real bundled catalogue.
"""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from codelookup.commands import SearchOptions, Streams, run_search
from codelookup.formats import OutputFormat
from codelookup.text import fold, words

from .conftest import codelookup_cmd

REPO = Path(__file__).resolve().parents[1]
PROCEDURE_SYSTEMS = {"ICD-10-PCS", "CPT", "HCPCS"}


def codes(lib: Any, query: str, n: int = 10, **kw: Any) -> list[str]:
    return [h.code for h in lib.search(query, limit=n, **kw).hits]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_relevance_r2", REPO / "bench" / "relevance.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# -- correct, then search as if typed correctly ------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("heart atatck", "heart attack"),
        ("storke", "stroke"),
        ("high blood presusre", "high blood pressure"),
        ("brkoen wrist", "broken wrist"),
        ("hart attack", "heart attack"),
        ("nee replacment", "knee replacement"),
        ("aifb", "afib"),
        ("hvies", "hives"),
        ("shignles", "shingles"),
    ],
)
def test_a_corrected_query_gives_exactly_the_corrected_querys_results(lib: Any, typed: str, meant: str) -> None:
    result = lib.search(typed)
    assert [h.code for h in result.hits] == codes(lib, meant)
    assert any(repr(meant) in n for n in result.notes), result.notes
    assert all(h.match == "fuzzy" for h in result.hits)


@pytest.mark.parametrize(
    ("query", "first"),
    [("heart atatck", "I21.9"), ("hart attack", "I21.9"), ("high blood presusre", "I10"), ("storke", "I63.9")],
)
def test_issue_examples_lead_with_the_right_code(lib: Any, query: str, first: str) -> None:
    assert codes(lib, query)[0] == first


@pytest.mark.parametrize(
    ("query", "prefixes"),
    [
        ("skitsofrenia", ("F20",)),
        ("gonorhea", ("A54",)),
        ("clamidia", ("A56", "A74")),
        ("faringitis", ("J02",)),
        ("measels", ("B05",)),
        ("herpies", ("B00", "A60")),
        ("bi polar disorder", ("F31",)),
        ("shingels", ("B02",)),
        ("ring worm", ("B35",)),
        ("carpel tunnel", ("G56.0",)),
        ("irritable bowl", ("K58",)),
        ("enlarged prostrate", ("N40",)),
        ("high blood pleasure", ("I10",)),
        ("heart burn", ("R12", "K21")),
        ("in grown toenail", ("L60.0",)),
        ("heartattack", ("I21",)),
        ("azma", ("J45",)),
        ("haemorrhoids", ("K64",)),
        ("oesophagitis", ("K20", "K21.0")),
    ],
)
def test_real_world_misspellings(lib: Any, query: str, prefixes: tuple[str, ...]) -> None:
    top = codes(lib, query, 5)
    assert any(c.startswith(prefixes) for c in top), top


def test_correctly_spelled_queries_are_left_alone(lib: Any) -> None:
    for query in ("heart attack", "store", "ring finger", "blood clot in the leg", "low back pain"):
        assert not any("misspelt" in n for n in lib.search(query).notes), query
    assert lib.searcher.corrector.correct("ring finger").changed is False  # both words belong together


def test_typo_variants_of_the_bench_give_the_clean_top_5(lib: Any) -> None:
    """For every clean word query of our bench (lay, consumer, clinical, procedure, CPT) and its
    one-edit and transposition variants: where the correction is unambiguous (it recovers the
    clean words, confidently), the variant's top 5 equals the clean query's top 5; and most
    variants are recovered."""
    rel = _bench()
    clean = [q for q in rel.load_queries() if q.category in ("lay", "consumer", "clinical", "procedure", "cpt")]
    recovered = total = 0
    mismatched: list[str] = []
    for q in clean:
        want = codes(lib, q.text, 5)
        target = " ".join(words(q.text))
        for variant in {rel.transposed(q.text), rel.deleted(q.text)} - {None, q.text}:
            total += 1
            fix = lib.searcher.corrector.correct(variant)
            if not (fix.changed and fix.confident and fix.text == target):
                continue
            recovered += 1
            if codes(lib, variant, 5) != want:
                mismatched.append(variant)
    assert mismatched == []
    assert total > 600 and recovered / total >= 0.95, (recovered, total)


def test_rapidfuzz_and_the_corrector_stay_off_the_clean_path() -> None:
    code = (
        "import sys; from codelookup.api import Library; lib = Library(progress=False);"
        "lib.search('heart attack'); lib.search('broken wrist'); lib.search('E11.9');"
        "print('codelookup.correct' in sys.modules, 'rapidfuzz' in sys.modules);"
        "lib.search('heart atatck'); lib.search('E11.9 I10');"
        "print('codelookup.correct' in sys.modules, 'rapidfuzz' in sys.modules, 'typing' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    # Some interpreters import typing before any of our code runs (a site-packages .pth file does
    # on the CI image), so judge typing against what a bare interpreter already has.
    bare = subprocess.run(
        [sys.executable, "-c", "import sys; print('typing' in sys.modules)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert out == ["False", "False", "True", "False", bare]  # typing costs ~2 ms at every cold start


# -- intent ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "status_prefixes"),
    [
        ("coronary artery bypass", ("T82.2", "I25.7", "Z95.1")),
        ("cataract extraction", ("Z98.4",)),
        ("kidney transplant", ("T86.1", "Z94.0")),
        ("cesarean delivery", ("O34.2", "O90.0", "P03.4")),
    ],
)
def test_procedure_words_lead_with_procedure_codes(lib: Any, query: str, status_prefixes: tuple[str, ...]) -> None:
    hits = lib.search(query).hits
    assert hits[0].system in PROCEDURE_SYSTEMS, [h.code for h in hits]
    first_proc = next(i for i, h in enumerate(hits) if h.system in PROCEDURE_SYSTEMS)
    status = [i for i, h in enumerate(hits) if h.code.startswith(status_prefixes)]
    assert all(i > first_proc for i in status)


def test_cesarean_delivery_lists_the_pcs_and_cpt_codes(lib: Any) -> None:
    top = codes(lib, "cesarean delivery")
    assert any(c.startswith("10D00Z") for c in top) and any(c in ("59510", "59514") for c in top)


def test_condition_words_keep_diagnoses_first(lib: Any) -> None:
    assert lib.search("cataract").hits[0].system == "ICD-10-CM"
    assert lib.search("kidney transplant rejection").hits[0].code.startswith("T86.1")


def test_failed_back_surgery_syndrome(lib: Any) -> None:
    assert codes(lib, "failed back surgery syndrome")[0] == "M96.1"


# -- several codes, Unicode, ranking -----------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("E11.9 I10", ["E11.9", "I10"]),
        ("E11.9,I10", ["E11.9", "I10"]),
        ("E11.9, I10", ["E11.9", "I10"]),
        ("0src0j9 E11.9 I10", ["0SRC0J9", "E11.9", "I10"]),
        ("i10 e11.9", ["I10", "E11.9"]),
    ],
)
def test_several_codes_in_one_query_come_back_in_order(lib: Any, query: str, expected: list[str]) -> None:
    result = lib.search(query)
    assert [h.code for h in result.hits] == expected
    assert all(h.match == "exact-code" for h in result.hits)
    assert result.total == len(expected)


def test_unknown_codes_among_several_are_noted(lib: Any) -> None:
    result = lib.search("E11.9 ZZZ99")
    assert [h.code for h in result.hits] == ["E11.9"]
    assert any("ZZZ99" in n for n in result.notes)


def test_words_with_digits_are_still_words(lib: Any) -> None:
    assert codes(lib, "type 2 diabetes")[0].startswith("E11")
    assert codes(lib, "covid 19")[0] == "U07.1"


@pytest.mark.parametrize(
    "query", ["Behcet's syndrome", "Behcet\u2019s syndrome", "Beh\u00e7et's syndrome", "behcet\u00a0syndrome"]
)
def test_unicode_folding_finds_behcets_disease(lib: Any, query: str) -> None:
    assert codes(lib, query)[0] == "M35.2"


def test_fold_handles_sharp_s_ligatures_and_curly_quotes() -> None:
    assert fold("Straße") == "strasse"
    assert words("Œdème") == ["oedeme"]
    assert words("Sjögren\u2019s") == words("Sjogren's") == ["sjogrens"]


def test_a_family_does_not_crowd_out_a_distinct_code(lib: Any) -> None:
    assert "62264" in codes(lib, "epidural")


def test_the_index_default_leads_for_stroke(lib: Any) -> None:
    top = codes(lib, "stroke")
    assert top[0] == "I63.9" and "I61.9" in top[:3]


# -- totals ----------------------------------------------------------------------------------


def test_totals_count_before_the_limit(lib: Any) -> None:
    star = lib.search("E11.6*")
    assert len(star.hits) == 10 and star.total == 17
    rng = lib.search("S72.0-S72.1")
    assert rng.total == 1086
    assert len(lib.search("S72.0-S72.1", limit=None).hits) == 1086
    words_result = lib.search("fracture", billable_only=True)
    assert words_result.total > 10_000 and len(words_result.hits) == 10


class _Terminal(io.StringIO):
    """stderr as a person's terminal."""

    def isatty(self) -> bool:
        return True


def _run(opts: SearchOptions, lib: Any, person: bool = True) -> tuple[str, str]:
    out, err = io.StringIO(), _Terminal() if person else io.StringIO()
    assert run_search(opts, lib, Streams(out, err)) == 0
    return out.getvalue(), err.getvalue()


def test_json_gains_total_and_keeps_count(lib: Any) -> None:
    out, _ = _run(SearchOptions("E11.6*", fmt=OutputFormat.JSON), lib)
    doc = json.loads(out)
    assert doc["count"] == 10 and doc["total"] == 17 and len(doc["results"]) == 10


def test_terminal_says_how_many_and_how_to_get_them(lib: Any) -> None:
    out, err = _run(SearchOptions("S72.0-S72.1", fmt=OutputFormat.PLAIN), lib)
    assert len(out.splitlines()) == 10
    assert "showing 10 of 1,086 \u2014 use --limit N or --all" in err


def test_csv_export_says_how_to_get_everything(lib: Any) -> None:
    out, err = _run(SearchOptions("fracture", billable=True, fmt=OutputFormat.CSV), lib)
    assert len(out.splitlines()) == 11
    assert "--all" in err and "of 1" in err
    out_all, err_all = _run(SearchOptions("S72.0-S72.1", fmt=OutputFormat.CSV, all_results=True), lib)
    assert len(out_all.splitlines()) == 1087 and err_all == ""


def test_cli_all_option_in_a_pipe() -> None:
    proc = subprocess.run([*codelookup_cmd(), "search", "E11.6*", "--all"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert len(proc.stdout.splitlines()) == 17 and "showing" not in proc.stderr
    cut = subprocess.run([*codelookup_cmd(), "search", "E11.6*"], capture_output=True, text=True, check=False)
    assert len(cut.stdout.splitlines()) == 10 and cut.stderr == ""  # a script's stderr stays quiet


def test_scripts_get_the_total_in_the_data_not_on_stderr(lib: Any) -> None:
    out, err = _run(SearchOptions("S72.0-S72.1", fmt=OutputFormat.JSONL), lib, person=False)
    assert json.loads(out)["total"] == 1086 and err == ""
    _, err_csv = _run(SearchOptions("S72.0-S72.1", fmt=OutputFormat.CSV), lib, person=False)
    assert err_csv == ""
    _, err_person = _run(SearchOptions("S72.0-S72.1", fmt=OutputFormat.JSONL), lib)
    assert "wrote 10 of 1,086 results" in err_person and "--all" in err_person


# -- HCPCS lay and brand names (once HCPCS is bundled) -----------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("toradol", ("J1885",)),
        ("depo provera", ("J1050",)),
        ("cpap", ("E0601",)),
        ("cgm", ("E2103", "E2102", "K0553", "A9276")),
        ("oxygen concentrator", ("E1390",)),
        ("diabetic shoes", ("A5500",)),
        ("wheelchair", ("K0001",)),
        ("walker", ("E0130", "E0135", "E0143")),
    ],
)
def test_hcpcs_lay_and_brand_names(lib: Any, query: str, expected: tuple[str, ...]) -> None:
    if "HCPCS" not in lib.system_info():
        pytest.skip("HCPCS is not in this catalogue yet")
    top = codes(lib, query, 10, systems=["HCPCS"])
    assert any(c in expected for c in top), top


def test_rerank_puts_accessories_below_the_item_unless_asked() -> None:
    from codelookup.rerank import rerank

    info = {
        1: ("E0155", "HCPCS", "Wheel attachment, rigid pick-up walker, per pair", True),
        2: ("E0130", "HCPCS", "Walker, rigid (pickup), adjustable or fixed height", True),
    }
    pool = [(1, 1.30, "title"), (2, 1.25, "title")]
    assert [d for d, _, _ in rerank(["walker"], pool, info)] == [2, 1]
    assert [d for d, _, _ in rerank(["walker", "attachment"], pool, info)] == [1, 2]


def test_rerank_spreads_a_family_without_reordering_it() -> None:
    from codelookup.rerank import rerank

    info = {i: (f"6232{i}", "CPT", f"page {i}", True) for i in range(6)}
    info[9] = ("62264", "CPT", "distinct page", True)
    pool = [(i, 1.25 - i * 0.001, "title") for i in range(6)] + [(9, 1.21, "title")]
    order = [d for d, _, _ in rerank(["epidural"], pool, info)]
    assert order.index(9) < 5  # the distinct code is not pushed behind the whole family
    family = [d for d in order if d != 9]
    assert family == sorted(family)  # the family keeps its own order


@pytest.mark.parametrize(
    ("words_", "proc", "cond"),
    [
        (["kidney", "transplant"], True, False),
        (["appendectomy"], True, False),
        (["colonoscopy"], True, False),
        (["knee", "pain"], False, True),
        (["sinusitis"], False, True),
        (["kidney", "transplant", "rejection"], True, True),
        (["diabetes"], False, False),
    ],
)
def test_intent_words(words_: list[str], proc: bool, cond: bool) -> None:
    from codelookup.rerank import intent

    assert intent(words_) == (proc, cond)


# -- HCPCS items against the bundled January 2026 release ------------------------------------


@pytest.fixture(scope="module")
def hcpcs_lib(lib: Any) -> Any:
    if "HCPCS" not in lib.system_info():
        pytest.skip("HCPCS is not in this catalogue")
    return lib


def test_hcpcs_items_lead_before_their_accessories(hcpcs_lib: Any) -> None:
    wheel = codes(hcpcs_lib, "wheelchair", systems=["HCPCS"])
    assert wheel[0] == "K0001", wheel  # the standard wheelchair, the index's default
    walker = codes(hcpcs_lib, "walker", systems=["HCPCS"])
    first_walker = min(walker.index(c) for c in ("E0130", "E0135", "E0143") if c in walker)
    attachments = [walker.index(c) for c in ("E0154", "E0155", "E0156") if c in walker]
    assert first_walker <= 1 and all(i > first_walker for i in attachments), walker


@pytest.mark.parametrize(
    ("query", "expected"),
    [("cpap", "E0601"), ("oxygen concentrator", "E1390"), ("continuous glucose monitor", "E2103")],
)
def test_hcpcs_items_by_their_everyday_names(hcpcs_lib: Any, query: str, expected: str) -> None:
    assert expected in codes(hcpcs_lib, query, 3), codes(hcpcs_lib, query, 3)


def test_hcpcs_quality_reporting_codes_stay_below_the_diagnosis(hcpcs_lib: Any) -> None:
    top = codes(hcpcs_lib, "high blood pressure", 3)
    assert top[0] == "I10" and not any(c.startswith(("G8", "G9", "M1")) for c in top[:2]), top


@pytest.mark.parametrize("query", ["heart attack", "knee replacement", "fracture", "E11.6*", "behcets syndrome"])
def test_every_limit_lists_a_prefix_of_all_results(lib: Any, query: str) -> None:
    """'total' is what --all lists, and a limited search shows the head of that same order."""
    everything = lib.search(query, limit=None)
    assert len(everything.hits) == everything.total == lib.search(query).total
    all_codes = [h.code for h in everything.hits]
    for n in (1, 10, 50):
        assert [h.code for h in lib.search(query, limit=n).hits] == all_codes[:n]


@pytest.mark.parametrize(
    ("query", "system", "prefixes"),
    [
        ("walker", "HCPCS", ("E01",)),
        ("mobility scooter", "HCPCS", ("K08", "E12")),
        ("insulin pump", "HCPCS", ("E0784",)),
        ("hospital bed", "HCPCS", ("E02", "E03")),
        ("crutch paralysis", "ICD-10-CM", ("S14.3",)),  # a condition word keeps the diagnosis first
        ("late walker", "ICD-10-CM", ("R62.0",)),
    ],
)
def test_an_item_asks_for_the_codes_that_bill_it(lib: Any, query: str, system: str, prefixes: tuple[str, ...]) -> None:
    """Equipment and supply words lift HCPCS/CPT as procedure words do; a diagnosis whose index
    path names the item ('late walker', 'crutch paralysis') stays first only when asked for."""
    top = lib.search(query, limit=5).hits[0]
    assert top.system == system and top.code.startswith(prefixes), (query, top.code, top.system)


def test_contact_lenses_find_the_contact_lens_codes(lib: Any) -> None:
    """'lenses' and 'lens' are one word to the stemmer ('lens' is a singular ending in s)."""
    from codelookup.text import stem

    assert stem("lens") == stem("lenses") == "lens"
    top = lib.search("contact lenses", limit=3).hits[0]
    assert top.system == "HCPCS" and top.code.startswith(("V25", "S05")), top.code


@pytest.mark.parametrize(
    ("plural", "singular"),
    [
        ("diseases", "disease"), ("headaches", "headache"), ("aches", "ache"), ("bruises", "bruise"),
        ("causes", "cause"), ("sizes", "size"), ("doses", "dose"), ("pulses", "pulse"), ("cases", "case"),
        ("viruses", "virus"), ("sinuses", "sinus"), ("glasses", "glass"), ("abscesses", "abscess"),
        ("crutches", "crutch"), ("approaches", "approach"), ("rashes", "rash"), ("boxes", "box"),
        ("lenses", "lens"), ("metastases", "metastasis"), ("allergies", "allergy"), ("calories", "calorie"),
        ("fractures", "fracture"), ("braces", "brace"),
    ],
)  # fmt: skip
def test_a_plural_stems_like_its_singular(plural: str, singular: str) -> None:
    from codelookup.text import stem

    assert stem(plural) == stem(singular), (plural, stem(plural), singular, stem(singular))


def test_no_catalogue_word_and_its_plural_stem_apart(lib: Any) -> None:
    """Across every title: a word and the same word + 's'/'es' that both occur stem alike,
    apart from a short list of pairs that are not singular and plural at all."""
    from codelookup.text import stem, words

    vocab: set[str] = set()
    for (title,) in lib.con.execute("SELECT title FROM rec"):
        vocab.update(words(title))
    apart = sorted(
        (w, p) for w in vocab if len(w) >= 4 for p in (w + "s", w + "es") if p in vocab and stem(p) != stem(w)
    )
    not_pairs = {("alkali", "alkalis"), ("coll", "colles"), ("cros", "cross"), ("devic", "devices"),
                 ("diagnose", "diagnoses"), ("lichenoid", "lichenoides"), ("plan", "planes"), ("point", "pointes"),
                 ("scheie", "scheies"), ("situ", "situs"), ("spin", "spines"), ("stat", "states"),
                 ("takayasu", "takayasus"), ("test", "testes")}  # fmt: skip
    assert set(apart) <= not_pairs, sorted(set(apart) - not_pairs)
