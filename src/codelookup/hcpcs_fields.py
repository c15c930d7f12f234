"""What each field of a CMS HCPCS Level II record means, in plain words, for the detail page.

The catalogue keeps the raw values CMS publishes (``codelookup.build.hcpcs`` lists the
positions); this module turns them into one sentence each. The meanings follow the code tables
of CMS's record layout (``HCPC<YYYY>_recordlayout.txt`` in the quarterly zip), reworded for a
reader who is not a Medicare specialist; ``tests/test_build_hcpcs.py`` checks that every BETOS,
type-of-service and lab-certification code of the layout has an entry here. It is imported only
when an HCPCS record is shown.
"""

from __future__ import annotations

from typing import Any

PRICING: dict[str, str] = {
    "00": "not paid separately by Medicare Part B (not covered, bundled into another service, or paid by Part A only)",
    "11": "priced with national relative value units on the Physician Fee Schedule",
    "12": "priced with national anesthesia base units on the Physician Fee Schedule",
    "13": "priced by the local Medicare contractor (not otherwise classified, individual consideration)",
    "21": "Clinical Lab Fee Schedule, subject to the national limit amount",
    "22": "lab test priced by the local Medicare contractor (gap-fill or contractor-set panel)",
    "31": "DME fee schedule: frequently serviced equipment",
    "32": "DME fee schedule: inexpensive or routinely purchased equipment",
    "33": "DME fee schedule: oxygen and oxygen equipment",
    "34": "DME fee schedule: supplies used with equipment",
    "35": "DME fee schedule: surgical dressings",
    "36": "DME fee schedule: capped rental equipment (rented monthly; ownership passes after a set rental period)",
    "37": "DME fee schedule: ostomy, tracheostomy and urological supplies",
    "38": "DME fee schedule: orthotics, prosthetics, prosthetic devices and vision items",
    "39": "parenteral and enteral nutrition fee schedule",
    "40": "lymphedema compression treatment items",
    "45": "customized DME item",
    "46": "DME item priced by the contractor (not otherwise classified, individual consideration, gap-filled)",
    "51": "paid as a drug (Part B drug pricing, per unit of the dose in the description)",
    "52": "paid on a reasonable-charge basis",
    "53": "payment set by statute",
    "54": "paid as a vaccination",
    "55": "splints and casts",
    "56": "intraocular lens inserted in a physician's office",
    "57": "other contractor-priced item or service",
    "99": "no payment value established",
}

MULTIPLE_PRICING: dict[str, str] = {
    "9": "does not apply: not paid separately by Part B, or no value established",
    "A": "one pricing method only",
    "B": "professional part priced with RVUs; technical part and whole service priced by the contractor",
    "C": (
        "a doctor's interpretation of a lab test is on the Physician Fee Schedule, "
        "the test itself on the Clinical Lab Fee Schedule"
    ),
    "D": "priced differently for physicians and clinical psychologists (no longer used since 1998)",
    "E": "priced differently for physicians, psychologists and clinical social workers (not used since 1998)",
    "F": "contractor-priced for physicians, own schedules for psychologists and social workers (not used since 1998)",
    "G": "lab test priced by reasonable charge when billed with blood products, else on the Clinical Lab Fee Schedule",
}

COVERAGE: dict[str, str] = {
    "C": "carrier judgment: the local Medicare contractor decides whether it is covered",
    "D": "special coverage instructions apply (see the manual references and the processing note)",
    "I": "not payable by Medicare (Medicare uses another code, or the code is for other payers)",
    "M": "not covered by Medicare",
    "S": "not covered by Medicare by statute (the law excludes it)",
}

LAB_CERTIFICATION: dict[str, str] = {
    "010": "histocompatibility testing",
    "100": "microbiology",
    "110": "bacteriology",
    "115": "mycobacteriology",
    "120": "mycology",
    "130": "parasitology",
    "140": "virology",
    "150": "other microbiology",
    "200": "diagnostic immunology",
    "210": "syphilis serology",
    "220": "general immunology",
    "300": "chemistry",
    "310": "routine chemistry",
    "320": "urinalysis",
    "330": "endocrinology",
    "340": "toxicology",
    "350": "other chemistry",
    "400": "hematology",
    "500": "immunohematology",
    "510": "ABO group and Rh type",
    "520": "antibody detection (transfusion)",
    "530": "antibody detection (non-transfusion)",
    "540": "antibody identification",
    "550": "compatibility testing",
    "560": "other immunohematology",
    "600": "pathology",
    "610": "histopathology",
    "620": "oral pathology",
    "630": "cytology",
    "800": "radiobioassay",
    "900": "clinical cytogenetics",
}

TYPE_OF_SERVICE: dict[str, str] = {
    "0": "whole blood",
    "1": "medical care",
    "2": "surgery",
    "3": "consultation",
    "4": "diagnostic radiology",
    "5": "diagnostic laboratory",
    "6": "therapeutic radiology",
    "7": "anesthesia",
    "8": "assistant at surgery",
    "9": "other medical items or services",
    "A": "used durable medical equipment",
    "B": "high-risk screening mammography (obsolete)",
    "C": "low-risk screening mammography (obsolete)",
    "D": "ambulance",
    "E": "enteral/parenteral nutrients and supplies",
    "F": "ambulatory surgical center facility use",
    "G": "immunosuppressive drugs",
    "H": "hospice services (discontinued)",
    "I": "purchase of DME on installments (discontinued)",
    "J": "diabetic shoes",
    "K": "hearing items and services",
    "L": "ESRD (kidney failure) supplies",
    "M": "monthly capitation payment for dialysis",
    "N": "kidney donor",
    "P": "lump-sum purchase of DME, prosthetics or orthotics",
    "Q": "vision items or services",
    "R": "rental of DME",
    "S": "surgical dressings or other medical supplies",
    "T": "outpatient mental health limitation",
    "U": "occupational therapy",
    "V": "pneumococcal, flu or hepatitis B vaccine",
    "W": "physical therapy",
    "Y": "second opinion on elective surgery (obsolete)",
    "Z": "third opinion on elective surgery (obsolete)",
}

BETOS: dict[str, str] = {
    "D1A": "medical/surgical supplies", "D1B": "hospital beds", "D1C": "oxygen and supplies",
    "D1D": "wheelchairs", "D1E": "other durable medical equipment", "D1F": "prosthetic/orthotic devices",
    "D1G": "drugs given through DME",
    "I1A": "standard imaging: chest", "I1B": "standard imaging: musculoskeletal", "I1C": "standard imaging: breast",
    "I1D": "standard imaging: contrast gastrointestinal", "I1E": "standard imaging: nuclear medicine",
    "I1F": "standard imaging: other", "I2A": "advanced imaging: CT of brain/head/neck",
    "I2B": "advanced imaging: CT, other", "I2C": "advanced imaging: MRI of brain/head/neck",
    "I2D": "advanced imaging: MRI, other", "I3A": "ultrasound: eye", "I3B": "ultrasound: abdomen/pelvis",
    "I3C": "ultrasound: heart", "I3D": "ultrasound: carotid arteries", "I3E": "ultrasound: prostate, transrectal",
    "I3F": "ultrasound: other", "I4A": "imaging/procedure: heart, including cardiac catheterization",
    "I4B": "imaging/procedure: other",
    "M1A": "office visit: new patient", "M1B": "office visit: established patient",
    "M2A": "hospital visit: initial", "M2B": "hospital visit: subsequent", "M2C": "hospital visit: critical care",
    "M3": "emergency room visit", "M4A": "home visit", "M4B": "nursing home visit",
    "M5A": "specialist: pathology", "M5B": "specialist: psychiatry", "M5C": "specialist: ophthalmology",
    "M5D": "specialist: other", "M6": "consultations",
    "O1A": "ambulance", "O1B": "chiropractic", "O1C": "enteral and parenteral nutrition", "O1D": "chemotherapy",
    "O1E": "other drugs", "O1F": "hearing and speech services", "O1G": "immunizations/vaccinations",
    "O1L": "lymphedema compression treatment items",
    "P0": "anesthesia",
    "P1A": "major procedure: breast", "P1B": "major procedure: colectomy", "P1C": "major procedure: cholecystectomy",
    "P1D": "major procedure: TURP", "P1E": "major procedure: hysterectomy",
    "P1F": "major procedure: spine exploration/decompression/disc excision", "P1G": "major procedure: other",
    "P2A": "major cardiovascular procedure: CABG", "P2B": "major cardiovascular procedure: aneurysm repair",
    "P2C": "major cardiovascular procedure: thromboendarterectomy",
    "P2D": "major cardiovascular procedure: coronary angioplasty (PTCA)",
    "P2E": "major cardiovascular procedure: pacemaker insertion", "P2F": "major cardiovascular procedure: other",
    "P3A": "major orthopedic procedure: hip fracture repair", "P3B": "major orthopedic procedure: hip replacement",
    "P3C": "major orthopedic procedure: knee replacement", "P3D": "major orthopedic procedure: other",
    "P4A": "eye procedure: corneal transplant", "P4B": "eye procedure: cataract removal/lens insertion",
    "P4C": "eye procedure: retinal detachment", "P4D": "eye procedure: treatment of retinal lesions",
    "P4E": "eye procedure: other",
    "P5A": "ambulatory procedure: skin", "P5B": "ambulatory procedure: musculoskeletal",
    "P5C": "ambulatory procedure: inguinal hernia repair", "P5D": "ambulatory procedure: lithotripsy",
    "P5E": "ambulatory procedure: other",
    "P6A": "minor procedure: skin", "P6B": "minor procedure: musculoskeletal",
    "P6C": "minor procedure: other (Medicare fee schedule)",
    "P6D": "minor procedure: other (non-Medicare fee schedule)",
    "P7A": "oncology: radiation therapy", "P7B": "oncology: other",
    "P8A": "endoscopy: arthroscopy", "P8B": "endoscopy: upper gastrointestinal", "P8C": "endoscopy: sigmoidoscopy",
    "P8D": "endoscopy: colonoscopy", "P8E": "endoscopy: cystoscopy", "P8F": "endoscopy: bronchoscopy",
    "P8G": "endoscopy: laparoscopic cholecystectomy", "P8H": "endoscopy: laryngoscopy", "P8I": "endoscopy: other",
    "P9A": "dialysis services (Medicare fee schedule)", "P9B": "dialysis services (non-Medicare fee schedule)",
    "T1A": "lab test: routine venipuncture (non-Medicare fee schedule)", "T1B": "lab test: automated general profiles",
    "T1C": "lab test: urinalysis", "T1D": "lab test: blood counts", "T1E": "lab test: glucose",
    "T1F": "lab test: bacterial cultures", "T1G": "lab test: other (Medicare fee schedule)",
    "T1H": "lab test: other (non-Medicare fee schedule)",
    "T2A": "other test: electrocardiograms", "T2B": "other test: cardiovascular stress tests",
    "T2C": "other test: EKG monitoring", "T2D": "other test: other",
    "Y1": "other: Medicare fee schedule", "Y2": "other: non-Medicare fee schedule",
    "Z1": "local codes", "Z2": "undefined codes",
}  # fmt: skip

ACTION: dict[str, str] = {
    "A": "added to HCPCS",
    "B": "both its administrative data and its long description changed",
    "C": "its long description changed",
    "D": "discontinued",
    "F": "its administrative data changed",
    "N": "no change",
    "P": "a payment field changed (pricing indicator, ASC group)",
    "R": "re-activated after being discontinued",
    "S": "its short description changed",
    "T": "a miscellaneous field changed (BETOS, type of service)",
}


def _known(table: dict[str, str], value: str) -> str:
    return f"{value} = {table[value]}" if value in table else f"{value} (not in CMS's code table)"


def explain(fields: dict[str, Any]) -> list[str]:
    """One plain sentence per field present in the record, in the order a biller reads them."""
    out: list[str] = []
    short = fields.get("short_description")
    if short:
        out.append(f"CMS short description (the 28-character version): {short}.")
    pricing = fields.get("pricing") or []
    if pricing:
        out.append(
            "Pricing indicator (how Medicare Part B sets the price): "
            + "; ".join(_known(PRICING, p) for p in pricing)
            + "."
        )
    multiple = fields.get("multiple_pricing")
    if multiple:
        out.append(
            "Multiple pricing indicator (is there more than one pricing method): "
            + _known(MULTIPLE_PRICING, multiple)
            + "."
        )
    coverage = fields.get("coverage")
    if coverage:
        out.append("Coverage code (Medicare coverage status): " + _known(COVERAGE, coverage) + ".")
    betos = fields.get("betos")
    if betos:
        out.append(
            "BETOS (Berenson-Eggers type of service, a grouping used in spending statistics): "
            + _known(BETOS, betos)
            + "."
        )
    tos = fields.get("type_of_service") or []
    if tos:
        out.append(
            "Type of service (the kind of service on a Medicare claim): "
            + "; ".join(_known(TYPE_OF_SERVICE, t) for t in tos)
            + "."
        )
    labs = fields.get("lab_certification") or []
    if labs:
        out.append(
            "Lab certification (the CLIA specialty a lab must be certified in to bill it): "
            + "; ".join(_known(LAB_CERTIFICATION, c) for c in labs)
            + "."
        )
    xref = fields.get("cross_reference") or []
    if xref:
        out.append(
            "Cross-reference (the code to use instead, for Medicare or after a deletion): " + ", ".join(xref) + "."
        )
    note = fields.get("processing_note")
    if note:
        text = fields.get("processing_note_text")
        out.append(
            f"Processing note {note}: {text}"
            if text
            else f"Processing note {note} (its text is not in this release's notes file)."
        )
    refs = [f"Coverage Issues Manual {c}" for c in fields.get("cim") or []]
    refs += [f"Medicare Carriers Manual {m}" for m in fields.get("mcm") or []]
    if fields.get("statute"):
        refs.append(f"Social Security Act section {fields['statute']}")
    if refs:
        out.append("Manual and statute references: " + "; ".join(refs) + ".")
    asc = fields.get("asc_group")
    if asc:
        since = f" (since {fields['asc_date']})" if fields.get("asc_date") else ""
        out.append(f"ASC payment group {asc}: approved to be done in an ambulatory surgical center{since}.")
    units = fields.get("anesthesia_base_units")
    if units:
        out.append(f"Anesthesia base units: {units.lstrip('0') or '0'}.")
    dates = []
    added = fields.get("added") or fields.get("add_date")  # bundled / imported names
    acted = fields.get("action_date") or fields.get("effective_date")
    if added:
        dates.append(f"added to HCPCS {added}")
    if acted:
        action = fields.get("action_code")
        what = f" ({_known(ACTION, action)})" if action else ""
        dates.append(f"latest action effective {acted}{what}")
    elif fields.get("action_code"):
        dates.append("action code " + _known(ACTION, fields["action_code"]))
    if fields.get("termination_date"):
        dates.append(f"last valid date of service {fields['termination_date']}")
    if dates:
        out.append("Dates: " + "; ".join(dates) + ".")
    return out
