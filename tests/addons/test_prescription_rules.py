"""The rules of a spectacle prescription (`optics_core.lib.prescription`), without Odoo.

Every range is inclusive at both ends, every value lies on its step counted from the range's start, and every
refusal names the form's field and says, in words, the value and what it should be.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from optics_core.lib.prescription import (
    FIELDS,
    Eye,
    Prescription,
    PrescriptionError,
    format_dioptre,
    lens_fits,
    needs_addition,
    problems,
    short_name,
    summary,
    to_decimal,
    validate,
)

GOOD = {"od_sphere": -1.25, "od_cylinder": -0.5, "od_axis": 90, "os_sphere": -1.0, "pd": 63.0}


def prescription(**changes: object) -> Prescription:
    return Prescription.from_values({**GOOD, **changes})


def messages(**changes: object) -> list[str]:
    return [error.message for error in problems(prescription(**changes))]


def fields_refused(**changes: object) -> list[str]:
    return [error.field for error in problems(prescription(**changes))]


def test_a_usual_prescription_has_no_problems() -> None:
    assert problems(prescription()) == []


def test_validate_gives_back_a_valid_prescription() -> None:
    valid = prescription()
    assert validate(valid) is valid


@pytest.mark.parametrize("field", ["od_sphere", "os_sphere"])
@pytest.mark.parametrize("value", [-30.0, -29.75, 0.0, 0.25, 29.75, 30.0])
def test_a_sphere_from_minus_30_to_plus_30_in_quarters_is_taken(field: str, value: float) -> None:
    assert fields_refused(**{field: value}) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (30.25, "OD sphere +30.25 D is outside -30.00..+30.00 D"),
        (-30.25, "OD sphere -30.25 D is outside -30.00..+30.00 D"),
        (100.0, "OD sphere +100.00 D is outside -30.00..+30.00 D"),
        (1.1, "OD sphere +1.10 D is not a multiple of 0.25 D"),
        (-0.3, "OD sphere -0.30 D is not a multiple of 0.25 D"),
    ],
)
def test_a_sphere_out_of_range_or_off_the_step_is_refused_in_words(value: float, message: str) -> None:
    assert messages(od_sphere=value) == [message]


@pytest.mark.parametrize("value", [-10.0, -0.25, 0.25, 10.0])
def test_a_cylinder_from_minus_10_to_plus_10_in_quarters_is_taken(value: float) -> None:
    assert fields_refused(os_cylinder=value, os_axis=45) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-10.25, "OS cylinder -10.25 D is outside -10.00..+10.00 D"),
        (10.25, "OS cylinder +10.25 D is outside -10.00..+10.00 D"),
        (-1.3, "OS cylinder -1.30 D is not a multiple of 0.25 D"),
    ],
)
def test_a_cylinder_out_of_range_or_off_the_step_is_refused(value: float, message: str) -> None:
    assert messages(os_cylinder=value, os_axis=45) == [message]


@pytest.mark.parametrize("axis", [1, 90, 180])
def test_an_axis_from_1_to_180_degrees_is_taken_with_a_cylinder(axis: int) -> None:
    assert fields_refused(od_axis=axis) == []


@pytest.mark.parametrize("axis", [181, -5, 360])
def test_an_axis_beyond_180_degrees_is_refused(axis: int) -> None:
    assert messages(od_axis=axis) == [f"OD axis {axis}° is outside 1..180°"]


@pytest.mark.parametrize("empty", [0, None, False])
def test_a_cylinder_without_an_axis_is_refused(empty: object) -> None:
    assert messages(od_axis=empty) == ["OD axis is required when the cylinder is not 0"]


def test_an_axis_without_a_cylinder_is_refused() -> None:
    assert messages(os_axis=90) == ["OS axis 90° must be empty when the cylinder is 0"]


def test_an_axis_of_whole_degrees_given_as_a_float_is_taken() -> None:
    assert prescription(od_axis=90.0).od.axis == 90


def test_an_axis_with_a_fraction_of_a_degree_is_refused_while_reading() -> None:
    with pytest.raises(PrescriptionError, match=r"^OD axis 90.5° is not a whole number of degrees$") as refusal:
        prescription(od_axis=90.5)
    assert refusal.value.field == "od_axis"


@pytest.mark.parametrize("addition", [0.0, 0.5, 0.75, 2.25, 4.0])
def test_an_addition_is_none_or_from_half_to_4_dioptres_in_quarters(addition: float) -> None:
    assert fields_refused(od_addition=addition, os_addition=addition) == []


@pytest.mark.parametrize(
    ("addition", "message"),
    [
        (0.25, "OD addition +0.25 D is outside +0.50..+4.00 D (0.00: none)"),
        (4.25, "OD addition +4.25 D is outside +0.50..+4.00 D (0.00: none)"),
        (-1.0, "OD addition -1.00 D is outside +0.50..+4.00 D (0.00: none)"),
        (1.1, "OD addition +1.10 D is not a multiple of 0.25 D"),
    ],
)
def test_an_addition_out_of_range_or_off_the_step_is_refused(addition: float, message: str) -> None:
    assert messages(od_addition=addition) == [message]


@pytest.mark.parametrize("prism", [0.25, 3.5, 10.0])
def test_a_prism_up_to_10_prism_dioptres_is_taken_with_its_base(prism: float) -> None:
    assert fields_refused(os_prism=prism, os_prism_base="out") == []


@pytest.mark.parametrize(
    ("prism", "message"),
    [
        (10.25, "OS prism 10.25 Δ is outside 0.00..10.00 Δ"),
        (-0.5, "OS prism -0.50 Δ is outside 0.00..10.00 Δ"),
        (1.1, "OS prism 1.10 Δ is not a multiple of 0.25 Δ"),
    ],
)
def test_a_prism_out_of_range_or_off_the_step_is_refused(prism: float, message: str) -> None:
    assert messages(os_prism=prism, os_prism_base="up") == [message]


@pytest.mark.parametrize("base", ["in", "out", "up", "down"])
def test_each_prism_base_is_taken(base: str) -> None:
    assert fields_refused(od_prism=2.0, od_prism_base=base) == []


def test_a_prism_without_a_base_is_refused() -> None:
    assert messages(od_prism=2.0) == ["OD prism base is required when there is a prism"]


def test_a_base_without_a_prism_is_refused() -> None:
    assert messages(od_prism_base="in") == ["OD prism base (in) must be empty without a prism"]


def test_an_unknown_prism_base_is_refused_with_the_known_ones() -> None:
    assert messages(od_prism=1.0, od_prism_base="left") == ["OD prism base 'left' is not one of in, out, up, down"]


@pytest.mark.parametrize("pd", [40.0, 40.5, 63.0, 79.5, 80.0])
def test_a_pd_from_40_to_80_mm_in_half_millimetres_is_taken(pd: float) -> None:
    assert fields_refused(pd=pd) == []


@pytest.mark.parametrize(
    ("pd", "message"),
    [
        (39.5, "PD 39.5 mm is outside 40.0..80.0 mm"),
        (80.5, "PD 80.5 mm is outside 40.0..80.0 mm"),
        (62.3, "PD 62.3 mm is not a multiple of 0.5 mm"),
        (0.0, "PD is required"),
        (None, "PD is required"),
    ],
)
def test_a_pd_out_of_range_off_the_step_or_missing_is_refused(pd: float | None, message: str) -> None:
    assert messages(pd=pd) == [message]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"os_sphere": 31.0}, "os_sphere"),
        ({"od_cylinder": -1.1}, "od_cylinder"),
        ({"os_axis": 10}, "os_axis"),
        ({"os_addition": 0.25}, "os_addition"),
        ({"od_prism": 0.1, "od_prism_base": "in"}, "od_prism"),
        ({"os_prism": 1.0}, "os_prism_base"),
        ({"pd": 90.0}, "pd"),
    ],
)
def test_each_refusal_names_the_field_as_the_form_names_it(changes: dict, field: str) -> None:
    assert fields_refused(**changes) == [field]


def test_every_problem_is_listed_each_eye_in_turn_then_the_pd() -> None:
    assert messages(od_sphere=30.5, od_cylinder=0.0, os_cylinder=-0.3, os_axis=45, os_prism=1.0, pd=0) == [
        "OD sphere +30.50 D is outside -30.00..+30.00 D",
        "OD axis 90° must be empty when the cylinder is 0",
        "OS cylinder -0.30 D is not a multiple of 0.25 D",
        "OS prism base is required when there is a prism",
        "PD is required",
    ]


def test_a_value_out_of_range_is_not_also_reported_off_the_step() -> None:
    assert messages(od_sphere=30.1) == ["OD sphere +30.10 D is outside -30.00..+30.00 D"]


def test_validate_raises_the_first_problem_as_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^OD sphere \+31\.00 D is outside") as refusal:
        validate(prescription(od_sphere=31.0, pd=0))
    assert isinstance(refusal.value, PrescriptionError)
    assert refusal.value.field == "od_sphere"


@pytest.mark.parametrize(
    ("value", "meant"),
    [
        (0.1 + 0.15, "0.25"),
        (0.1 + 0.2 - 0.05, "0.25"),
        (2.2 - 0.95, "1.25"),
        (62.1 + 0.4, "62.5"),
    ],
)
def test_a_sum_of_floats_is_taken_as_the_value_a_person_meant(value: float, meant: str) -> None:
    assert to_decimal(value) == Decimal(meant)


def test_float_noise_does_not_put_a_value_off_its_step() -> None:
    assert 0.1 + 0.2 - 0.05 != 0.25
    assert (
        problems(
            prescription(od_sphere=0.1 + 0.2 - 0.05, os_addition=2.2 - 0.95, os_prism=2.2 - 0.95, os_prism_base="in")
        )
        == []
    )


def test_a_float_becomes_its_shortest_decimal_not_its_binary_expansion() -> None:
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal(-1.3) == Decimal("-1.3")


@pytest.mark.parametrize("value", [Decimal("-1.25"), "-1.25", " -1.25 ", -1.25])
def test_decimals_text_and_floats_read_alike(value: object) -> None:
    assert to_decimal(value) == Decimal("-1.25")


@pytest.mark.parametrize("value", ["abc", "", float("nan"), float("inf"), True, [1]])
def test_what_is_no_number_is_refused_while_reading_naming_the_field(value: object) -> None:
    with pytest.raises(PrescriptionError, match="is not a number") as refusal:
        prescription(os_cylinder=value)
    assert refusal.value.field == "os_cylinder"
    assert refusal.value.message.startswith("OS cylinder ")


def test_empty_fields_as_odoo_gives_them_are_nothing_given() -> None:
    read = Prescription.from_values({name: False for name in FIELDS})
    assert read == Prescription(od=Eye(), os=Eye(), pd=None)
    assert messages(**{name: False for name in FIELDS if name != "pd"}) == []


def test_a_name_that_is_not_a_field_is_a_mistake_not_a_problem() -> None:
    with pytest.raises(ValueError, match="not fields of a prescription: od_sphre"):
        Prescription.from_values({"od_sphre": 1.0})


def test_the_prescription_and_its_eyes_cannot_be_changed() -> None:
    with pytest.raises(AttributeError):
        prescription().od.sphere = Decimal(0)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.25, "+1.25"),
        (-0.5, "-0.50"),
        (0, "0.00"),
        (-0.0, "0.00"),
        (Decimal("30"), "+30.00"),
        (Decimal("0.125"), "+0.125"),
    ],
)
def test_a_dioptre_value_is_written_with_its_sign_and_two_decimals(value: object, text: str) -> None:
    assert format_dioptre(value) == text


def test_a_prescription_is_summed_up_as_it_is_written() -> None:
    assert summary(prescription()) == "OD -1.25/-0.50x90, OS -1.00"


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("Ivanov Ivan", "Ivanov I."),
        ("Иванов Иван Петрович", "Иванов И. П."),
        ("Cher", "Cher"),
        ("", ""),
        (None, ""),
        ("  Petrov   Pyotr ", "Petrov P."),
    ],
)
def test_a_customer_is_written_by_surname_and_initials(name: str | None, short: str) -> None:
    assert short_name(name) == short


@pytest.mark.parametrize(
    ("design", "needs"),
    [
        ("progressive", True),
        ("bifocal", True),
        ("single_vision", False),
        (None, False),
        (False, False),
    ],
)
def test_bifocal_and_progressive_lenses_need_an_addition(design: str | None, needs: bool) -> None:
    assert needs_addition(design) is needs


def test_an_unknown_lens_design_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="unknown lens design 'varifocal'"):
        needs_addition("varifocal")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, "A progressive lens needs an addition (ADD) in the prescription; neither eye has one"),
        ({"os_addition": 2.0}, "A progressive lens needs an addition (ADD) in the prescription; OD has none"),
        ({"od_addition": 2.0}, "A progressive lens needs an addition (ADD) in the prescription; OS has none"),
        ({"od_addition": 2.0, "os_addition": 2.0}, None),
    ],
)
def test_a_progressive_lens_fits_only_with_an_addition_in_both_eyes(changes: dict, reason: str | None) -> None:
    assert lens_fits(prescription(**changes), "progressive") == reason


def test_a_single_vision_lens_fits_with_or_without_an_addition() -> None:
    assert lens_fits(prescription(), "single_vision") is None
    assert lens_fits(prescription(od_addition=1.0, os_addition=1.0), "single_vision") is None
