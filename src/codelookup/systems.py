"""The registry of code systems: everything the program knows about each system, in one place.

Every other module asks this one (``systems.get(name)``, ``systems.resolve(alias)``,
``systems.ordered()``) instead of comparing system names, so adding a code system is one
:class:`CodeSystem` entry in :data:`_BUILTIN` (plus its build parser or importer); see
``docs/architecture.md``. Behaviour that differs between systems is expressed as data (aliases,
code shape, billable wording, layer mode, feature flags) or as a small hook function
(:attr:`CodeSystem.rank_prior`), never as ``if system == ...`` elsewhere.

Cold start matters (every CLI call is one): this module imports nothing at all, and regular
expressions are compiled on first use; it is written with ``__slots__`` classes rather than
``dataclasses`` for the same reason as :mod:`codelookup.models`.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - typing is for the checker only (import cost)
    from collections.abc import Callable, Iterable, Mapping
    from re import Pattern
    from typing import Any

    RankPrior = Callable[[Mapping[str, Any], str, bool, frozenset[str]], float]

# -- ranking hooks (run when the index is built, never per query) -----------------------
COMMON_BONUS = 0.08  # a code listed in data/common_codes.tsv: what people usually mean
PAGE_BONUS = 0.06  # a page written for people: usually what a lay query means
LATER_ENCOUNTER = -0.06  # ICD-10-CM 7th characters other than A (initial encounter)


def no_prior(rec: Mapping[str, Any], code: str, billable: bool, common: frozenset[str]) -> float:
    """The default hook: no system-specific preference."""
    return 0.0


def encounter_prior(rec: Mapping[str, Any], code: str, billable: bool, common: frozenset[str]) -> float:
    """ICD-10-CM: prefer the initial encounter and the codes people usually mean.

    A billable 7-character code carries an encounter (A initial, D subsequent, S sequela...);
    people searching by words rarely mean a later encounter.
    """
    prior = 0.0
    if billable and len(code.replace(".", "")) == 7 and not code.endswith("A"):
        prior += LATER_ENCOUNTER
    if code in common:
        prior += COMMON_BONUS
    return prior


def page_prior(rec: Mapping[str, Any], code: str, billable: bool, common: frozenset[str]) -> float:
    """Systems with written pages: a code that has one ranks a little higher."""
    return PAGE_BONUS if rec.get("sections") else 0.0


REPORTING_ONLY = -0.06  # HCPCS quality-reporting codes (see hcpcs_prior)


def hcpcs_prior(rec: Mapping[str, Any], code: str, billable: bool, common: frozenset[str]) -> float:
    """HCPCS: a page helps (as for CPT); quality-reporting codes (M1000-M1999, and unpriced
    G8000-G9999 such as "Documented reason for not screening for high blood pressure") repeat
    clinical words, but people searching those words rarely mean a quality-measure report, so
    they rank below real services and diagnoses."""
    prior = page_prior(rec, code, billable, common)
    if len(code) == 5 and code[1:].isdigit():
        fields = rec.get("hcpcs")
        unpriced = isinstance(fields, dict) and fields.get("pricing") == ["00"]
        if (code[0] == "M" and code >= "M1000") or (code[0] == "G" and code >= "G8000" and unpriced):
            prior += REPORTING_ONLY
    return prior


class CodeSystem:
    """One code system and every fact the program needs about it.

    ``id`` is stable and never reused: the search index packs it into one byte per record, so
    it must not change when systems are added (``order`` is the display order, which may).
    """

    __slots__ = (
        "aliases",
        "billable_wording",
        "code_pattern",
        "codes_procedures",
        "derived_fields",
        "description",
        "encodes_laterality",
        "family_chars",
        "full_name",
        "has_axes",
        "has_pages",
        "id",
        "import_kind",
        "import_source",
        "importer",
        "inherits_notes",
        "kinds",
        "layer_mode",
        "licence",
        "name",
        "note_references",
        "numbered_chapters",
        "opt_in",
        "order",
        "page_sections",
        "parenthetical_modifiers",
        "placeholder_x",
        "publisher",
        "rank_prior",
        "related_by_category",
        "retired",
        "seventh_characters",
    )  # fmt: skip

    def __init__(
        self,
        name: str,
        *,
        id: int,
        order: int,
        aliases: tuple[str, ...] = (),
        code_pattern: str = "",
        description: str = "",
        full_name: str = "",
        publisher: str = "",
        licence: str = "",
        billable_wording: str = "billable",
        kinds: tuple[str, ...] = ("section", "code"),
        layer_mode: str = "replace",
        import_kind: str = "",
        import_source: str = "",
        importer: str = "",
        has_pages: bool = False,
        rank_prior: RankPrior = no_prior,
        encodes_laterality: bool = False,
        parenthetical_modifiers: bool = False,
        placeholder_x: bool = False,
        inherits_notes: bool = False,
        note_references: bool = False,
        seventh_characters: bool = False,
        numbered_chapters: bool = False,
        derived_fields: tuple[str, ...] = (),
        has_axes: bool = False,
        related_by_category: bool = True,
        codes_procedures: bool = False,
        family_chars: int = 4,
        opt_in: bool = False,
        retired: str = "",
        page_sections: str = "",
    ) -> None:
        #: Canonical name, as stored in every record's ``system`` field ("ICD-10-CM").
        self.name = name
        #: Stable small integer (0-127) packed into the index; never reuse a retired one.
        self.id = id
        #: Display and tie-break order: lower first (results, ``systems``, code-range listings).
        self.order = order
        #: Extra spellings ``--system`` accepts, lower case ("cm", "icd10cm"); the name always works.
        self.aliases = aliases
        #: Regular expression for a normalised code (upper case, no dots or spaces) of this system.
        self.code_pattern = code_pattern
        #: One line for people: what the system codes.
        self.description = description
        #: The name publishers use when it differs from ``name`` ("HCPCS Level II").
        self.full_name = full_name or name
        #: Who publishes it, and the licence of the data as distributed (defaults for imports).
        self.publisher = publisher
        self.licence = licence
        #: Status line of a billable (reportable) code on its page.
        self.billable_wording = billable_wording
        #: Record kinds the build validator accepts for this system.
        self.kinds = kinds
        #: How an imported layer combines with the bundled records: "replace" or "overlay".
        self.layer_mode = layer_mode
        #: ``codelookup import KIND`` for this system ("" when it cannot be imported).
        self.import_kind = import_kind
        #: Default ``source`` wording of an imported layer.
        self.import_source = import_source
        #: Module implementing :class:`codelookup.importers.Importer` for ``import_kind``
        #: (default ``codelookup.importers.<import_kind>``).
        self.importer = importer or (f"codelookup.importers.{import_kind}" if import_kind else "")
        #: Whether records carry our plain-language pages (a "replace" import keeps them).
        self.has_pages = has_pages
        #: Ranking hook: a static prior added when the index is built (see :func:`no_prior`).
        self.rank_prior = rank_prior
        #: Codes encode a side (right/left): a query naming one leans to these systems.
        self.encodes_laterality = encodes_laterality
        #: Titles put nonessential modifiers in parentheses (not counted for title coverage).
        self.parenthetical_modifiers = parenthetical_modifiers
        #: A code typed without its X placeholders (W21.89A) resolves to the real one (W21.89XA).
        self.placeholder_x = placeholder_x
        #: Category and subcategory notes (Excludes1, Code first...) apply to every code below.
        self.inherits_notes = inherits_notes
        #: Codes named inside notes are resolved into a "cross references" section.
        self.note_references = note_references
        #: A 7th character table is inherited from the nearest ancestor that declares one.
        self.seventh_characters = seventh_characters
        #: Top-level records are numbered chapters (shown as "Chapter 4" in breadcrumbs).
        self.numbered_chapters = numbered_chapters
        #: Record fields derived from the hierarchy at show time (kinds of ancestors).
        self.derived_fields = derived_fields
        #: Codes decompose into seven labelled axes (ICD-10-PCS tables).
        self.has_axes = has_axes
        #: "Similar wording, same category" is meaningful (the first three characters group codes).
        self.related_by_category = related_by_category
        #: Codes are procedures, services or supplies (not diagnoses): a query naming a procedure
        #: ('knee replacement', '-ectomy') leads with them (see :mod:`codelookup.rerank`).
        self.codes_procedures = codes_procedures
        #: Codes sharing this many leading characters are one family of near-identical codes,
        #: which search spreads out so they do not crowd out a distinct code.
        self.family_chars = family_chars
        #: Word searches include this system only when it is named with --system (code lookups
        #: always find it): ICD-9-CM is retired, MS-DRG titles name payment groups, not conditions.
        self.opt_in = opt_in
        #: The last date of service a retired system is valid for ("2015-09-30"), else "".
        self.retired = retired
        #: Hook "module:function(details, row) -> dict of sections" adding system-specific
        #: sections to a page (GEM equivalents, CCSR, DRG facts); imported only by ``show``.
        self.page_sections = page_sections

    def replace(self, **changes: Any) -> CodeSystem:
        """A copy with some fields changed (``registry.register(entry.replace(has_pages=True))``)."""
        copy = object.__new__(CodeSystem)
        for name in self.__slots__:
            setattr(copy, name, changes.pop(name, getattr(self, name)))
        if changes:
            raise TypeError(f"CodeSystem has no field(s) {', '.join(changes)}")
        return copy

    def matches_code(self, key: str) -> bool:
        """Whether a normalised code (upper case, no dots) has this system's shape."""
        pattern = _compiled(self)
        return pattern is not None and pattern.match(key) is not None

    def __repr__(self) -> str:
        return f"CodeSystem({self.name!r})"


# Every system the program knows, bundled or importable. Keep ids stable; order may change.
_BUILTIN: tuple[CodeSystem, ...] = (
    CodeSystem(
        "ICD-10-CM",
        id=0,
        order=10,
        aliases=("cm", "icd10cm"),
        code_pattern=r"^[A-Z][0-9][0-9A-Z](?:[0-9A-Z]{1,4})?$",
        description="diagnoses (CDC/NCHS)",
        publisher="National Center for Health Statistics (NCHS/CDC)",
        licence="US public domain",
        billable_wording="billable: a complete code, valid on claims",
        kinds=("chapter", "block", "category", "subcategory", "code"),
        import_kind="icd10cm",
        import_source="ICD-10-CM tabular XML, imported by the user",
        rank_prior=encounter_prior,
        encodes_laterality=True,
        parenthetical_modifiers=True,
        placeholder_x=True,
        inherits_notes=True,
        note_references=True,
        seventh_characters=True,
        numbered_chapters=True,
        derived_fields=("chapter", "block"),
        page_sections="codelookup.crosswalk:detail_sections",  # issue 18: ICD-9-CM equivalents, CCSR
    ),
    CodeSystem(
        "ICD-10-PCS",
        id=1,
        order=20,
        aliases=("pcs", "icd10pcs"),
        code_pattern=r"^(?=.*[0-9])[0-9A-HJ-NP-Z]{3,7}$",  # no I or O
        description="inpatient procedures (CMS)",
        publisher="Centers for Medicare & Medicaid Services (CMS)",
        licence="US public domain",
        billable_wording="billable: a complete 7-character code, valid on inpatient claims",
        kinds=("section", "body_system", "table", "code"),
        import_kind="icd10pcs",
        import_source="ICD-10-PCS release file, imported by the user",
        encodes_laterality=True,
        has_axes=True,
        codes_procedures=True,
        page_sections="codelookup.crosswalk:detail_sections",  # issue 18: ICD-9-CM equivalents
    ),
    CodeSystem(
        "CPT",
        id=2,
        order=30,
        aliases=("cpt4",),
        code_pattern=r"^[0-9]{4}[0-9A-Z]$",  # including category II/III
        description="procedures and services: plain-language pages written by us",
        publisher="American Medical Association (AMA)",
        licence="As distributed by the publisher to the user; not redistributed by us",
        billable_wording="reportable CPT code",
        layer_mode="overlay",
        import_kind="cpt",
        import_source="The user's licensed CPT descriptor file",
        has_pages=True,
        rank_prior=page_prior,
        related_by_category=False,
        codes_procedures=True,
    ),
    CodeSystem(
        "HCPCS",
        id=3,
        order=40,
        aliases=("hcpcs-ii", "hcpcs2"),
        code_pattern=r"^[A-V][0-9]{4}$",
        description="supplies, drugs, equipment, ambulance, services (CMS)",
        full_name="HCPCS Level II",
        publisher="Centers for Medicare & Medicaid Services (CMS)",
        licence="US public domain",
        billable_wording="reportable HCPCS Level II code",
        kinds=("section", "code", "modifier"),
        import_kind="hcpcs",
        import_source="HCPCS quarterly alpha-numeric file, imported by the user",
        has_pages=True,  # content/hcpcs/*.toml, attached to the bundled CMS records
        rank_prior=hcpcs_prior,
        codes_procedures=True,
        family_chars=3,
    ),
    # issue 22: built from CMS IPPS Table 5 (codelookup.build.msdrg); pages from codelookup.msdrg
    CodeSystem(
        "MS-DRG",
        id=4,
        order=50,
        aliases=("msdrg", "drg"),
        code_pattern=r"^[0-9]{3}$",
        description="the payment group of a hospital stay (CMS)",
        full_name="Medicare Severity Diagnosis Related Groups (MS-DRG)",
        publisher="Centers for Medicare & Medicaid Services (CMS)",
        licence="US public domain",
        billable_wording="payable MS-DRG: a hospital stay is paid under one DRG",
        kinds=("group", "code"),
        related_by_category=False,
        opt_in=True,
        page_sections="codelookup.msdrg:detail_sections",
    ),
    # issue 18: retired since 2015-10-01; built by codelookup.build.icd9 (GEMs: codelookup.crosswalk)
    CodeSystem(
        "ICD-9-CM",
        id=5,
        order=60,
        aliases=("icd9", "icd9cm", "icd-9"),
        code_pattern=r"^(?:[0-9]{2,5}|V[0-9]{2,4}|E[0-9]{3,4})$",
        description="retired diagnoses and procedures (not valid for services after 2015-09-30)",
        publisher="Centers for Medicare & Medicaid Services (CMS) / NCHS",
        licence="US public domain",
        billable_wording="retired: ICD-9-CM is not valid for services after 2015-09-30",
        kinds=("group", "code"),
        related_by_category=False,
        opt_in=True,
        retired="2015-09-30",
        page_sections="codelookup.crosswalk:detail_sections",
    ),
)


def _fold(name: str) -> str:
    """'ICD_10-CM ' -> 'icd10cm': case, spaces, '-' and '_' never matter in a system name."""
    return "".join(c for c in name.lower() if c not in " -_")


def _compiled(system: CodeSystem) -> Pattern[str] | None:
    cached = _PATTERNS.get(system.code_pattern)
    if cached is None and system.code_pattern:
        import re

        cached = _PATTERNS[system.code_pattern] = re.compile(system.code_pattern)
    return cached


_PATTERNS: dict[str, Pattern[str]] = {}


class Registry:
    """The known code systems, looked up by name, alias, import kind or index id.

    Use the one instance, :data:`registry` (``from codelookup.systems import registry``): the
    package re-exports a ``systems()`` function, so ``from codelookup import systems`` names that
    function, not this module.
    """

    __slots__ = ("_by_alias", "_by_name", "_ordered")

    def __init__(self, entries: Iterable[CodeSystem]) -> None:
        self._by_name: dict[str, CodeSystem] = {}
        self._by_alias: dict[str, CodeSystem] = {}
        self._ordered: tuple[CodeSystem, ...] = ()
        for entry in entries:
            self._by_name[entry.name] = entry
        self._reindex()

    def _reindex(self) -> None:
        self._ordered = tuple(sorted(self._by_name.values(), key=lambda s: (s.order, s.name)))
        self._by_alias.clear()
        for system in self._ordered:
            for spelling in (system.name, *system.aliases):
                self._by_alias.setdefault(_fold(spelling), system)

    # -- changing it (tests, extensions) ----------------------------------------------------
    def register(self, system: CodeSystem) -> CodeSystem:
        """Add (or replace) a system; tests add toy systems this way and remove them again."""
        if not 0 <= system.id <= 126:
            raise ValueError("system ids are 0-126 (one byte in the index with the billable bit; 127 = unknown)")
        for other in self._by_name.values():
            if other.id == system.id and other.name != system.name:
                raise ValueError(f"system id {system.id} is taken by {other.name}")
        self._by_name[system.name] = system
        self._reindex()
        return system

    def unregister(self, name: str) -> None:
        self._by_name.pop(name, None)
        self._reindex()

    # -- queries ----------------------------------------------------------------------------
    def ordered(self) -> tuple[CodeSystem, ...]:
        """Every known system in display order."""
        return self._ordered

    def names(self) -> tuple[str, ...]:
        """Canonical names in display order."""
        return tuple(s.name for s in self._ordered)

    def get(self, name: str) -> CodeSystem | None:
        """The system with this canonical name (as stored in records), or None."""
        return self._by_name.get(name)

    def lookup(self, spelling: str) -> CodeSystem | None:
        """The system a user means by ``spelling`` (any case, an alias, with or without dashes)."""
        return self._by_alias.get(_fold(spelling))

    def resolve(self, spellings: Iterable[str] | None) -> tuple[str, ...] | None:
        """Canonical names for ``--system`` values, deduplicated, in the order given.

        Raises :class:`~codelookup.errors.UnknownSystemError` (a usage error) for an unknown
        one; None or an empty list means "every system".
        """
        if not spellings:
            return None
        out: list[str] = []
        for spelling in spellings:
            system = self.lookup(spelling)
            if system is None:
                from .errors import UnknownSystemError

                raise UnknownSystemError(spelling, self.names())
            if system.name not in out:
                out.append(system.name)
        return tuple(out) or None

    def order_of(self, name: str) -> int:
        """Sort key of a system name; unknown names go last."""
        system = self._by_name.get(name)
        return system.order if system is not None else 1_000

    def id_of(self, name: str) -> int:
        """The index byte of a system name (127 for an unknown name)."""
        system = self._by_name.get(name)
        return system.id if system is not None else 127

    def by_import_kind(self, kind: str) -> CodeSystem | None:
        for system in self._ordered:
            if system.import_kind and system.import_kind == kind:
                return system
        return None

    def import_kinds(self) -> tuple[str, ...]:
        """Every ``codelookup import KIND``, in display order."""
        return tuple(s.import_kind for s in self._ordered if s.import_kind)

    def shaped_like(self, key: str) -> tuple[str, ...]:
        """Systems whose code shape fits a normalised string ('B20' fits ICD-10-CM and PCS)."""
        return tuple(s.name for s in self._ordered if s.matches_code(key))

    def billable_wording(self, name: str) -> str:
        system = self._by_name.get(name)
        return system.billable_wording if system is not None else "billable"

    def has(self, name: str, feature: str) -> bool:
        """Whether system ``name`` has a boolean feature (``has("ICD-10-PCS", "has_axes")``)."""
        system = self._by_name.get(name)
        return bool(getattr(system, feature)) if system is not None else False

    def with_feature(self, feature: str) -> tuple[str, ...]:
        """Names of the systems that have a boolean feature, in display order."""
        return tuple(s.name for s in self._ordered if getattr(s, feature))


registry = Registry(_BUILTIN)

__all__ = ["CodeSystem", "Registry", "encounter_prior", "hcpcs_prior", "no_prior", "page_prior", "registry"]
