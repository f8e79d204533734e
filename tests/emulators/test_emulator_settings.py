"""Reading the seed's MOCK_OFD_* variables (and the Odoo API's MOCK_ODOO_* twins): valid and invalid values."""

from __future__ import annotations

import pytest

from emulators.faults import FaultSettings, SettingsError


def counting(count: int) -> FaultSettings:
    return FaultSettings(failure_mode="count", failure_count=count)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, FaultSettings()),
        ({"MOCK_OFD_FAILURE_MODE": "disabled"}, FaultSettings()),
        ({"MOCK_OFD_FAILURE_MODE": "count", "MOCK_OFD_FAILURE_COUNT": "5"}, counting(5)),
        ({"MOCK_OFD_FAILURE_MODE": " COUNT ", "MOCK_OFD_FAILURE_COUNT": " 5 "}, counting(5)),
        ({"MOCK_OFD_FAILURE_MODE": "disabled", "MOCK_OFD_FAILURE_COUNT": "5"}, FaultSettings()),
        ({"MOCK_OFD_FAILURE_COUNT": "3"}, counting(3)),
        ({"MOCK_OFD_FAILURE_MODE": "permanent"}, FaultSettings(failure_mode="permanent")),
        ({"MOCK_OFD_RESPONSE_DELAY": "15"}, FaultSettings(response_delay=15.0)),
        ({"MOCK_OFD_RESPONSE_DELAY": "0.3"}, FaultSettings(response_delay=0.3)),
        ({"MOCK_OFD_FAILURE_MODE": "", "MOCK_OFD_FAILURE_COUNT": "", "MOCK_OFD_RESPONSE_DELAY": ""}, FaultSettings()),
    ],
)
def test_valid_variables_give_the_expected_settings(env, expected) -> None:
    assert FaultSettings.from_env(env, "MOCK_OFD_") == expected


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"MOCK_OFD_FAILURE_MODE": "sometimes"}, "MOCK_OFD_FAILURE_MODE"),
        ({"MOCK_OFD_FAILURE_MODE": "count"}, "MOCK_OFD_FAILURE_COUNT"),
        ({"MOCK_OFD_FAILURE_COUNT": "five"}, "MOCK_OFD_FAILURE_COUNT"),
        ({"MOCK_OFD_FAILURE_COUNT": "-1"}, "MOCK_OFD_FAILURE_COUNT"),
        ({"MOCK_OFD_FAILURE_COUNT": "1.5"}, "MOCK_OFD_FAILURE_COUNT"),
        ({"MOCK_OFD_RESPONSE_DELAY": "15s"}, "MOCK_OFD_RESPONSE_DELAY"),
        ({"MOCK_OFD_RESPONSE_DELAY": "-1"}, "MOCK_OFD_RESPONSE_DELAY"),
        ({"MOCK_OFD_RESPONSE_DELAY": "inf"}, "MOCK_OFD_RESPONSE_DELAY"),
        ({"MOCK_OFD_RESPONSE_DELAY": "nan"}, "MOCK_OFD_RESPONSE_DELAY"),
    ],
)
def test_an_invalid_variable_is_an_error_naming_it(env, variable) -> None:
    with pytest.raises(SettingsError, match=variable):
        FaultSettings.from_env(env, "MOCK_OFD_")


def test_the_error_quotes_the_value_given() -> None:
    with pytest.raises(SettingsError, match="'sometimes'"):
        FaultSettings.from_env({"MOCK_OFD_FAILURE_MODE": "sometimes"}, "MOCK_OFD_")


def test_the_odoo_api_reads_its_own_prefix_only() -> None:
    env = {"MOCK_OFD_FAILURE_COUNT": "5", "MOCK_ODOO_FAILURE_COUNT": "2"}

    assert FaultSettings.from_env(env, "MOCK_ODOO_") == counting(2)


@pytest.mark.parametrize(
    "kwargs", [{"failure_mode": "often"}, {"failure_count": -1}, {"response_delay": -0.1}, {"failure_count": True}]
)
def test_settings_built_in_code_are_checked_too(kwargs) -> None:
    with pytest.raises(SettingsError):
        FaultSettings(**kwargs)


@pytest.mark.parametrize(
    ("env", "bound"),
    [
        ({"MOCK_OFD_RESPONSE_DELAY": "1e308"}, "MOCK_OFD_RESPONSE_DELAY must be between 0 and 600 seconds"),
        ({"MOCK_OFD_FAILURE_COUNT": "10000000"}, "MOCK_OFD_FAILURE_COUNT must be an integer between 0 and 1000000"),
    ],
)
def test_a_variable_beyond_its_bound_is_an_error_saying_the_bound(env, bound) -> None:
    with pytest.raises(SettingsError, match=bound):
        FaultSettings.from_env(env)


@pytest.mark.parametrize("variable", sorted(FaultSettings.variables("MOCK_OFD_")))
def test_every_variable_the_model_declares_is_read_from_the_environment(variable) -> None:
    with pytest.raises(SettingsError, match=variable):
        FaultSettings.from_env({variable: "bogus"}, "MOCK_OFD_")
