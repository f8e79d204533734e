"""The rules of a spectacle prescription, in the words a shop assistant reads on the form.

A value that breaks a rule is refused with a `PrescriptionError` naming the form's field (`od_sphere`) and
saying the value, the range or the step ("OD sphere +30.25 D is outside -30.00..+30.00 D"), so the person
at the counter can correct it without knowing the rule. Each field gets at most one problem: a value out of
range is not also reported as off the step.

Values are Decimals. Odoo hands over floats; they become Decimals through `str()`, which gives the shortest
text that reads back as the same float (0.1 -> "0.1"), never through the float's binary expansion
(`Decimal(0.1)` is 0.1000000000000000055...), or a quarter step would never divide evenly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

ZERO = Decimal(0)
EYES = {"od": "OD", "os": "OS"}
PRISM_BASES = ("in", "out", "up", "down")
LENS_DESIGNS = ("single_vision", "bifocal", "progressive")
DESIGNS_NEEDING_ADDITION = frozenset({"bifocal", "progressive"})
EYE_FIELDS = ("sphere", "cylinder", "axis", "addition", "prism", "prism_base")
FIELDS = tuple(f"{eye}_{name}" for eye in EYES for name in EYE_FIELDS) + ("pd",)
AXIS_LOW, AXIS_HIGH = 1, 180
# A float's ninth decimal place is far below anything typed, and far above what float arithmetic adds
# (0.1 + 0.2 - 0.05 == 0.25000000000000006): rounding there first gives back the value the person meant.
FLOAT_PLACES = 9


class PrescriptionError(ValueError):
    """A value the prescription cannot hold; `field` is the form's name for it (`od_sphere`, `pd`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Scale:
    """Where a value may lie and in which steps, and how it is written (sign, decimal places, unit)."""

    low: Decimal
    high: Decimal
    step: Decimal
    unit: str
    places: int = 2
    signed: bool = True
    zero_means_none: bool = False  # 0 is "not given" and always allowed (an addition)

    def text(self, value: Decimal) -> str:
        return f"{format_value(value, self.places, self.signed)} {self.unit}"

    def range_text(self) -> str:
        low, high = (format_value(v, self.places, self.signed) for v in (self.low, self.high))
        none = f" ({format_value(ZERO, self.places)}: none)" if self.zero_means_none else ""
        return f"{low}..{high} {self.unit}{none}"

    def problem(self, label: str, value: Decimal) -> str | None:
        if self.zero_means_none and not value:
            return None
        if not self.low <= value <= self.high:
            return f"{label} {self.text(value)} is outside {self.range_text()}"
        if (value - self.low) % self.step:
            return f"{label} {self.text(value)} is not a multiple of {self.text(self.step).lstrip('+')}"
        return None


SPHERE = Scale(Decimal("-30"), Decimal("30"), Decimal("0.25"), "D")
CYLINDER = Scale(Decimal("-10"), Decimal("10"), Decimal("0.25"), "D")
ADDITION = Scale(Decimal("0.5"), Decimal("4"), Decimal("0.25"), "D", zero_means_none=True)
PRISM = Scale(ZERO, Decimal("10"), Decimal("0.25"), "Δ", signed=False)
PD = Scale(Decimal("40"), Decimal("80"), Decimal("0.5"), "mm", places=1, signed=False)


@dataclass(frozen=True)
class Eye:
    """One eye's lens values; 0 (or None) is "not given" for each, as an empty field on the form."""

    sphere: Decimal = ZERO
    cylinder: Decimal = ZERO
    axis: int | None = None
    addition: Decimal = ZERO
    prism: Decimal = ZERO
    prism_base: str | None = None


@dataclass(frozen=True)
class Prescription:
    """Both eyes and the pupillary distance (mm); `pd` None (or 0) is a prescription not finished."""

    od: Eye
    os: Eye
    pd: Decimal | None = None

    @classmethod
    def from_values(cls, values: Mapping[str, object]) -> Prescription:
        """From the form's fields (`od_sphere`, ..., `pd`) as Odoo gives them: floats, 0 or False when empty.

        A value that is no number at all (or an axis with a fraction) is refused here, before the rules."""
        unknown = sorted(set(values) - set(FIELDS))
        if unknown:
            raise ValueError(f"not fields of a prescription: {', '.join(unknown)}; the fields are {', '.join(FIELDS)}")
        eyes = {
            eye: Eye(
                sphere=to_decimal(values.get(f"{eye}_sphere"), f"{eye}_sphere"),
                cylinder=to_decimal(values.get(f"{eye}_cylinder"), f"{eye}_cylinder"),
                axis=_to_axis(values.get(f"{eye}_axis"), f"{eye}_axis"),
                addition=to_decimal(values.get(f"{eye}_addition"), f"{eye}_addition"),
                prism=to_decimal(values.get(f"{eye}_prism"), f"{eye}_prism"),
                prism_base=values.get(f"{eye}_prism_base") or None,
            )
            for eye in EYES
        }
        pd = to_decimal(values.get("pd"), "pd")
        return cls(od=eyes["od"], os=eyes["os"], pd=pd or None)


def to_decimal(value: object, field: str = "value") -> Decimal:
    """A form's number as a Decimal: None and False (an empty field) are 0; a float goes through `str()`."""
    if value is None or value is False:
        return ZERO
    not_a_number = PrescriptionError(field, f"{label_of(field)} {value!r} is not a number")
    if isinstance(value, bool):
        raise not_a_number
    text = str(round(value, FLOAT_PLACES)) if isinstance(value, float) else value
    try:
        number = Decimal(text.strip() if isinstance(text, str) else text)
    except (TypeError, ValueError, InvalidOperation):
        raise not_a_number from None
    if not number.is_finite():
        raise not_a_number
    return number


def _to_axis(value: object, field: str) -> int | None:
    number = to_decimal(value, field)
    if number != number.to_integral_value():
        raise PrescriptionError(
            field, f"{label_of(field)} {format(number.normalize(), 'f')}° is not a whole number of degrees"
        )
    return int(number) or None


def label_of(field: str) -> str:
    """The words for a field: `od_prism_base` -> "OD prism base", `pd` -> "PD"."""
    eye, _, name = field.partition("_")
    if eye in EYES and name:
        return f"{EYES[eye]} {name.replace('_', ' ')}"
    return field.upper() if field == "pd" else field.replace("_", " ")


def format_value(value: Decimal, places: int = 2, signed: bool = True) -> str:
    """`places` decimals (more if the value has more: a digit is never hidden), a sign when `signed` and not 0."""
    exponent = value.normalize().as_tuple().exponent
    shown = max(places, -exponent) if isinstance(exponent, int) else places
    if value == 0:
        return format(ZERO, f".{places}f")
    return format(value, f"{'+' if signed else ''}.{shown}f")


def format_dioptre(value: Decimal | float | int) -> str:
    """A dioptre value as prescriptions write it: +1.25, -0.50, 0.00."""
    return format_value(to_decimal(value))


def problems(prescription: Prescription) -> list[PrescriptionError]:
    """Every problem of the prescription, OD first, then OS, then PD; empty when it is valid."""
    found = [*_eye_problems("od", prescription.od), *_eye_problems("os", prescription.os)]
    if not prescription.pd:
        found.append(PrescriptionError("pd", "PD is required"))
    else:
        found += _error("pd", PD.problem("PD", prescription.pd))
    return found


def validate(prescription: Prescription) -> Prescription:
    """The prescription itself if it is valid; else its first problem is raised."""
    found = problems(prescription)
    if found:
        raise found[0]
    return prescription


def _eye_problems(eye: str, side: Eye) -> list[PrescriptionError]:
    label = EYES[eye]
    found = _error(f"{eye}_sphere", SPHERE.problem(f"{label} sphere", side.sphere))
    found += _error(f"{eye}_cylinder", CYLINDER.problem(f"{label} cylinder", side.cylinder))
    found += _error(f"{eye}_axis", _axis_problem(label, side.axis, side.cylinder))
    found += _error(f"{eye}_addition", ADDITION.problem(f"{label} addition", side.addition))
    found += _error(f"{eye}_prism", PRISM.problem(f"{label} prism", side.prism))
    found += _error(f"{eye}_prism_base", _base_problem(label, side.prism_base, side.prism))
    return found


def _axis_problem(label: str, axis: int | None, cylinder: Decimal) -> str | None:
    if not axis:
        return f"{label} axis is required when the cylinder is not 0" if cylinder else None
    if not cylinder:
        return f"{label} axis {axis}° must be empty when the cylinder is 0"
    if not AXIS_LOW <= axis <= AXIS_HIGH:
        return f"{label} axis {axis}° is outside {AXIS_LOW}..{AXIS_HIGH}°"
    return None


def _base_problem(label: str, base: str | None, prism: Decimal) -> str | None:
    if not base:
        return f"{label} prism base is required when there is a prism" if prism else None
    if base not in PRISM_BASES:
        return f"{label} prism base {base!r} is not one of {', '.join(PRISM_BASES)}"
    if not prism:
        return f"{label} prism base ({base}) must be empty without a prism"
    return None


def _error(field: str, message: str | None) -> list[PrescriptionError]:
    return [PrescriptionError(field, message)] if message else []


def needs_addition(lens_design: str | None) -> bool:
    """A bifocal or progressive lens has a near zone, whose power is the prescription's addition.

    An empty design (a product that is no lens) needs nothing; a design we do not know is a mistake."""
    if not lens_design:
        return False
    if lens_design not in LENS_DESIGNS:
        raise ValueError(f"unknown lens design {lens_design!r}; one of {', '.join(LENS_DESIGNS)}")
    return lens_design in DESIGNS_NEEDING_ADDITION


def lens_fits(prescription: Prescription, lens_design: str | None) -> str | None:
    """Why lenses of this design cannot be made for the prescription, or None when they can.

    Both eyes need the addition: a pair is made to one prescription, and a near zone without one is a guess."""
    if not needs_addition(lens_design):
        return None
    missing = [EYES[eye] for eye, side in (("od", prescription.od), ("os", prescription.os)) if not side.addition]
    if not missing:
        return None
    which = "OD has none" if missing == ["OD"] else "OS has none" if missing == ["OS"] else "neither eye has one"
    return f"A {lens_design} lens needs an addition (ADD) in the prescription; {which}"


def eye_summary(side: Eye) -> str:
    """How a prescription is written in short: "-1.25/-0.50x90", or "-1.00" without a cylinder."""
    text = format_dioptre(side.sphere)
    if side.cylinder:
        text += f"/{format_dioptre(side.cylinder)}x{side.axis or ''}"
    return text


def summary(prescription: Prescription) -> str:
    return f"OD {eye_summary(prescription.od)}, OS {eye_summary(prescription.os)}"


def short_name(full_name: str | None) -> str:
    """A customer as the shop writes it: "Ivanov Ivan Petrovich" -> "Ivanov I. P." (surname first)."""
    words = (full_name or "").split()
    return " ".join(words[:1] + [f"{word[0]}." for word in words[1:]])
