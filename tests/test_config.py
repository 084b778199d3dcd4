from __future__ import annotations

import pytest
from pydantic import SecretStr

from hostup_mcp.config import DEFAULT_BASE_URL, DEFAULT_TIMEOUT_SECONDS, Config, ConfigError, HttpSettings, parse_bearer
from hostup_mcp.http import state_security

KEY = "hu_live_8c1d0e2f3a4b"
NEW_SECRET = "n" * 32
OLD_SECRET = "o" * 40


def test_defaults_without_any_setting():
    config = Config.from_env({})

    assert config.api_key is None
    assert config.base_url == DEFAULT_BASE_URL
    assert config.timeout_seconds == DEFAULT_TIMEOUT_SECONDS <= 30
    assert config.log_level == "WARNING"


def test_empty_values_count_as_unset():
    config = Config.from_env(
        {"HOSTUP_API_KEY": "", "HOSTUP_BASE_URL": "", "HOSTUP_TIMEOUT": "", "HOSTUP_LOG_LEVEL": ""}
    )

    assert config == Config(api_key=None)


def test_the_key_is_kept_but_never_shown():
    config = Config.from_env({"HOSTUP_API_KEY": KEY})

    assert config.api_key is not None and config.api_key.get_secret_value() == KEY
    assert KEY not in repr(config) and KEY not in str(config)


@pytest.mark.parametrize(
    "bad_key", [f"{KEY}\n", f"{KEY}\r\nX-Evil: 1", f"{KEY} ", f"Bearer {KEY}", f"{KEY}\x00", "nyckel-å"]
)
def test_a_key_that_cannot_be_a_header_value_is_refused_without_echoing_it(bad_key: str):
    with pytest.raises(ConfigError) as caught:
        Config.from_env({"HOSTUP_API_KEY": bad_key})

    assert "HOSTUP_API_KEY" in str(caught.value)
    assert KEY not in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://cloud.hostup.se/", "https://cloud.hostup.se"),
        ("https://staging.example.com:8443/prefix/", "https://staging.example.com:8443/prefix"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:9", "http://localhost:9"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("http://127.5.6.7", "http://127.5.6.7"),
    ],
)
def test_https_or_loopback_base_urls_are_accepted(raw: str, expected: str):
    assert Config.from_env({"HOSTUP_BASE_URL": raw}).base_url == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("http://cloud.hostup.se", "must use https://"),
        ("http://10.0.0.5:8080", "must use https://"),
        ("ftp://cloud.hostup.se", "must be an https:// URL"),
        ("cloud.hostup.se", "must be an https:// URL"),
        ("https://user:pw@cloud.hostup.se", "must not contain credentials"),
        ("https://cloud.hostup.se/?x=1", "query string"),
        ("https://cloud.hostup.se:99999", "not a valid URL"),
    ],
)
def test_other_base_urls_are_refused(raw: str, message: str):
    with pytest.raises(ConfigError, match="HOSTUP_BASE_URL") as caught:
        Config.from_env({"HOSTUP_BASE_URL": raw})

    assert message in str(caught.value)


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "nan", "inf", "121"])
def test_an_unusable_timeout_is_refused(raw: str):
    with pytest.raises(ConfigError, match="HOSTUP_TIMEOUT"):
        Config.from_env({"HOSTUP_TIMEOUT": raw})


def test_timeout_and_log_level_are_read():
    config = Config.from_env({"HOSTUP_TIMEOUT": "7.5", "HOSTUP_LOG_LEVEL": "debug"})

    assert (config.timeout_seconds, config.log_level) == (7.5, "DEBUG")


def test_an_unknown_log_level_is_refused():
    with pytest.raises(ConfigError, match="HOSTUP_LOG_LEVEL"):
        Config.from_env({"HOSTUP_LOG_LEVEL": "chatty"})


@pytest.mark.parametrize(
    "raw",
    [
        "ftp://user:hunter2@example.com/x",
        "http://example.com/api?token=hunter2",
        "https://cloud.hostup.se/#hunter2",
        "http://hunter2@example.com",
        "http://cloud.hostup.se/hunter2",  # a key pasted after the host
        "ftp://cloud.hostup.se hunter2",
        "cloud.hostup.se/hunter2",
    ],
)
def test_a_refused_base_url_is_echoed_without_its_secrets(raw: str):
    with pytest.raises(ConfigError) as caught:
        Config.from_env({"HOSTUP_BASE_URL": raw})

    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("how", ["flag", "env"])
def test_demo_mode_ignores_the_key_and_base_url_without_checking_them(how: str):
    env = {"HOSTUP_API_KEY": "not a key\n", "HOSTUP_BASE_URL": "ftp://nowhere?token=x", "HOSTUP_TIMEOUT": "7"}
    env |= {"HOSTUP_DEMO": "1"} if how == "env" else {}

    config = Config.from_env(env, demo=how == "flag")

    assert config.demo is True
    assert config.base_url.endswith(".invalid")
    assert config.timeout_seconds == 7


@pytest.mark.parametrize("key", ["!" + KEY, KEY + "~", "!~"])
def test_every_printable_ascii_character_may_be_in_a_key(key: str):
    config = Config.from_env({"HOSTUP_API_KEY": key})

    assert config.api_key is not None and config.api_key.get_secret_value() == key


def test_a_base_url_with_only_a_user_name_is_refused_too():
    with pytest.raises(ConfigError, match="must not contain credentials"):
        Config.from_env({"HOSTUP_BASE_URL": "https://someone@cloud.hostup.se"})


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("cloud.hostup.se/api", "'cloud.hostup.se/***'"),  # no scheme
        ("cloud.hostup.se", "'cloud.hostup.se'"),
        ("ftp://cloud.hostup.se/x", "'ftp://cloud.hostup.se/***'"),
        ("ftp://cloud.hostup.se/", "'ftp://cloud.hostup.se/'"),
        ("ftp://u:p@cloud.hostup.se/x?key=1#frag", "'ftp://***@cloud.hostup.se/***?***#***'"),
        ("ftp://a@b@cloud.hostup.se/x", "'ftp://***@cloud.hostup.se/***'"),  # the last @ ends the user part
        ("http://cloud.hostup.se/x", "'http://cloud.hostup.se/***'"),
        ("http://cloud.hostup.se#f", "'http://cloud.hostup.se#***'"),
    ],
)
def test_a_refused_base_url_is_shown_exactly_but_for_its_secrets(raw: str, shown: str):
    with pytest.raises(ConfigError) as caught:
        Config.from_env({"HOSTUP_BASE_URL": raw})

    assert str(caught.value).endswith(f"got {shown}")


@pytest.mark.parametrize("raw", ["0.5", "120", "1e-3"])
def test_timeouts_between_0_and_120_seconds_are_accepted(raw: str):
    assert Config.from_env({"HOSTUP_TIMEOUT": raw}).timeout_seconds == float(raw)


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("True", True), ("YES", True), (" on ", True), ("Off", False)]
)
def test_flags_read_any_case(raw: str, expected: bool):
    assert Config.from_env({"HOSTUP_ENABLE_WRITES": raw}).enable_writes is expected


@pytest.mark.parametrize(
    ("raw", "shown"), [(None, True), ("", True), (" ", True), ("1", True), (" OFF ", False), ("0", False)]
)
def test_the_view_is_on_unless_hostup_ui_turns_it_off(raw: str | None, shown: bool):
    assert Config.from_env({} if raw is None else {"HOSTUP_UI": raw}).ui is shown


@pytest.mark.parametrize("name", ["HOSTUP_ENABLE_WRITES", "HOSTUP_DEMO", "HOSTUP_UI"])
def test_a_bad_flag_names_its_variable_and_value(name: str):
    with pytest.raises(ConfigError) as caught:
        Config.from_env({name: "maybe"})

    assert str(caught.value) == f"{name} must be 1 or 0 (true/false, yes/no), got 'maybe'"


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Bearer hu_key", "hu_key"),
        ("bearer hu_key", "hu_key"),
        ("Bearer  hu_key ", "hu_key"),
        ("Bearer", None),
        ("Bearer ", None),
        ("Basic hu_key", None),
        ("hu_key", None),
        ("Bearer hu key", None),
        ("Bearer hu_kéy", None),
        ("Bearer !hu~", "!hu~"),  # every printable ASCII character but the space
        ("", None),
        (None, None),
    ],
)
def test_a_bearer_header_gives_a_key_only_when_it_can_be_sent_on(header: str | None, key: str | None):
    found = parse_bearer(header)

    assert (found.get_secret_value() if found else None) == key


def http(env: dict[str, str], **flags: object) -> HttpSettings:
    return HttpSettings.from_env(env, **flags)  # type: ignore[arg-type]


def test_http_defaults():
    settings = http({})

    assert (settings.host, settings.port, settings.tokens) == ("127.0.0.1", 8000, ())
    assert (settings.state_secrets, settings.max_concurrent_calls, settings.loopback) == ((), 32, True)


def test_http_settings_from_the_environment_and_flags_that_win():
    env = {
        "HOSTUP_MCP_HOST": "0.0.0.0",
        "HOSTUP_MCP_PORT": "9000",
        "HOSTUP_MCP_TOKENS": " tok_aaaaaaaaaaaaaaaa , tok_bbbbbbbbbbbbbbbb,",
        "HOSTUP_MCP_STATE_SECRET": f"{NEW_SECRET}, {OLD_SECRET}",
        "HOSTUP_MCP_MAX_CALLS": "5",
    }

    settings = http(env)
    flagged = http(env, host="::1", port=0)

    assert (settings.host, settings.port, settings.loopback) == ("0.0.0.0", 9000, False)
    assert [token.get_secret_value() for token in settings.tokens] == ["tok_aaaaaaaaaaaaaaaa", "tok_bbbbbbbbbbbbbbbb"]
    assert [secret.get_secret_value() for secret in settings.state_secrets] == [NEW_SECRET, OLD_SECRET]
    assert settings.max_concurrent_calls == 5
    assert (flagged.host, flagged.port, flagged.loopback) == ("::1", 0, True)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HOSTUP_MCP_PORT": "http"}, "HOSTUP_MCP_PORT must be a port number (0-65535), got 'http'"),
        ({"HOSTUP_MCP_PORT": "65536"}, "HOSTUP_MCP_PORT must be a port number (0-65535), got '65536'"),
        ({"HOSTUP_MCP_MAX_CALLS": "0"}, "HOSTUP_MCP_MAX_CALLS must be a whole number of at least 1, got '0'"),
        ({"HOSTUP_MCP_MAX_CALLS": "x"}, "HOSTUP_MCP_MAX_CALLS must be a whole number of at least 1, got 'x'"),
        ({"HOSTUP_MCP_TOKENS": "short"}, "each token in HOSTUP_MCP_TOKENS must be at least 16 printable characters"),
        ({"HOSTUP_MCP_TOKENS": "a token with spaces in"}, "each token in HOSTUP_MCP_TOKENS must be at least 16"),
        ({"HOSTUP_MCP_STATE_SECRET": "short"}, "each secret in HOSTUP_MCP_STATE_SECRET must be at least 32"),
        ({"HOSTUP_MCP_ALLOWED_ORIGINS": "https://a.example"}, "HOSTUP_MCP_ALLOWED_ORIGINS is no longer supported"),
        ({"HOSTUP_MCP_STATE_SECRET": f"{NEW_SECRET},short"}, "each secret in HOSTUP_MCP_STATE_SECRET must be"),
        ({"HOSTUP_MCP_STATE_SECRET": "s" * 31}, "each secret in HOSTUP_MCP_STATE_SECRET must be at least 32"),
    ],
)
def test_bad_http_settings_are_refused_without_echoing_tokens(env: dict[str, str], message: str):
    with pytest.raises(ConfigError) as caught:
        http(env)

    assert str(caught.value).startswith(message)
    assert "short" not in str(caught.value) and "spaces in" not in str(caught.value)


@pytest.mark.parametrize("port", ["0", "65535", " 8000 "])
def test_every_port_number_is_accepted(port: str):
    assert http({"HOSTUP_MCP_PORT": port}).port == int(port)


def test_a_state_secret_of_exactly_32_characters_is_enough():
    assert len(http({"HOSTUP_MCP_STATE_SECRET": "s" * 32}).state_secrets) == 1


def test_replicas_rotate_the_state_secret_without_breaking_a_confirmation_in_flight():
    """Sealed by a replica that knows only the old secret, opened by one that seals with the new one."""
    config = Config(api_key=None)
    old = state_security(config, http({"HOSTUP_MCP_STATE_SECRET": OLD_SECRET}))
    rotated = state_security(config, http({"HOSTUP_MCP_STATE_SECRET": f"{NEW_SECRET},{OLD_SECRET}"}))
    new_only = state_security(config, http({"HOSTUP_MCP_STATE_SECRET": NEW_SECRET}))

    sealed = old.codec.seal(b"question state")
    assert rotated.codec.unseal(sealed) == b"question state"
    assert new_only.codec.unseal(rotated.codec.seal(b"next")) == b"next"  # the first secret is the one that seals
    with pytest.raises(Exception):  # noqa: B017, PT011 - the codec's own error type is not ours to name
        new_only.codec.unseal(sealed)


def test_a_token_of_exactly_16_characters_is_enough():
    assert len(http({"HOSTUP_MCP_TOKENS": "t" * 16}).tokens) == 1


def test_a_token_may_hold_any_printable_ascii_but_the_space():
    token = "!~" + "t" * 14
    assert [secret.get_secret_value() for secret in http({"HOSTUP_MCP_TOKENS": token}).tokens] == [token]


def test_one_call_at_a_time_is_a_limit_too():
    assert http({"HOSTUP_MCP_MAX_CALLS": "1"}).max_concurrent_calls == 1


@pytest.mark.parametrize(
    ("key_source", "host", "tokens", "refused"),
    [
        ("server", "0.0.0.0", "", "refusing to serve HOSTUP_API_KEY on 0.0.0.0"),
        ("server", "0.0.0.0", "t" * 16, None),
        ("server", "127.0.0.1", "", None),
        ("server", "localhost", "", None),
        ("request", "0.0.0.0", "", None),
        ("request", "127.0.0.1", "t" * 16, "HOSTUP_MCP_TOKENS is set but HOSTUP_API_KEY is not"),
    ],
)
def test_the_unsafe_combinations_are_refused(key_source: str, host: str, tokens: str, refused: str | None):
    config = Config(api_key=None, key_source=key_source)  # type: ignore[arg-type]
    settings = http({"HOSTUP_MCP_TOKENS": tokens}, host=host)

    if refused is None:
        settings.check(config)
    else:
        with pytest.raises(ConfigError, match=refused):
            settings.check(config)


def test_the_demo_is_never_refused():
    HttpSettings(host="0.0.0.0", tokens=()).check(Config(api_key=None).as_demo())


def test_a_ca_file_holding_a_certificate_is_taken_as_named(tmp_path):
    ca = tmp_path / "proxy-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")

    assert Config.from_env({"HOSTUP_CA_FILE": str(ca)}).ca_file == str(ca)
    assert Config.from_env({"HOSTUP_CA_FILE": ""}).ca_file is None  # bundle hosts send "" for a blank setting
    assert Config.from_env({}).ca_file is None
    assert Config.from_env({"HOSTUP_CA_FILE": str(ca)}, demo=True).ca_file is None  # the sandbox uses no TLS


def test_a_ca_file_that_cannot_be_read_or_holds_no_certificate_is_refused_by_name(tmp_path):
    empty = tmp_path / "empty.pem"
    empty.write_text("not a certificate")
    missing = tmp_path / "missing.pem"

    with pytest.raises(ConfigError) as unreadable:
        Config.from_env({"HOSTUP_CA_FILE": str(missing)})
    with pytest.raises(ConfigError) as not_pem:
        Config.from_env({"HOSTUP_CA_FILE": str(empty)})

    assert str(unreadable.value) == f"HOSTUP_CA_FILE cannot be read: No such file or directory ({str(missing)!r})"
    assert str(not_pem.value) == (
        f"HOSTUP_CA_FILE holds no PEM certificate (-----BEGIN CERTIFICATE-----): {str(empty)!r}"
    )


OAUTH_ENV = {
    "HOSTUP_MCP_AUTH": "oauth",
    "HOSTUP_MCP_PUBLIC_URL": "https://mcp.example.com",
    "HOSTUP_MCP_STATE_SECRET": "s" * 32,
}


def test_oauth_mode_reads_its_public_url_and_store():
    settings = http(
        OAUTH_ENV
        | {"HOSTUP_MCP_OAUTH_STORE": "redis://redis:6379/0", "HOSTUP_MCP_PUBLIC_URL": "https://mcp.example.com/"}
    )
    settings.check(Config(api_key=None, key_source="oauth"))

    assert (settings.oauth, settings.public_url, settings.oauth_store) == (
        True,
        "https://mcp.example.com",
        "redis://redis:6379/0",
    )
    assert http({}).oauth is False and http({}).oauth_store == "hostup-mcp-oauth.sqlite3"


@pytest.mark.parametrize(
    ("changes", "api_key", "message"),
    [
        ({"HOSTUP_MCP_PUBLIC_URL": ""}, None, "HOSTUP_MCP_AUTH=oauth needs HOSTUP_MCP_PUBLIC_URL"),
        ({"HOSTUP_MCP_STATE_SECRET": ""}, None, "HOSTUP_MCP_AUTH=oauth needs HOSTUP_MCP_STATE_SECRET"),
        ({"HOSTUP_MCP_TOKENS": "t" * 32}, None, "HOSTUP_MCP_TOKENS has no use"),
        ({}, "hu_key_server_0000", "HOSTUP_MCP_AUTH=oauth signs each user in"),
    ],
)
def test_oauth_mode_refuses_to_start_without_what_it_needs(changes: dict[str, str], api_key: str | None, message: str):
    settings = http(OAUTH_ENV | changes)
    with pytest.raises(ConfigError) as caught:
        settings.check(Config(api_key=SecretStr(api_key) if api_key else None, key_source="oauth"))
    assert str(caught.value).startswith(message)
    assert "hu_key_server" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("HOSTUP_MCP_AUTH", "bearer", "HOSTUP_MCP_AUTH must be 'oauth' or unset"),
        ("HOSTUP_MCP_PUBLIC_URL", "http://mcp.example.com", "HOSTUP_MCP_PUBLIC_URL must be the https:// origin"),
        ("HOSTUP_MCP_PUBLIC_URL", "https://mcp.example.com/mcp", "HOSTUP_MCP_PUBLIC_URL must be the https:// origin"),
        (
            "HOSTUP_MCP_PUBLIC_URL",
            "https://user:pw@mcp.example.com",
            "HOSTUP_MCP_PUBLIC_URL must be the https:// origin",
        ),
    ],
)
def test_a_bad_oauth_setting_is_refused(name: str, value: str, message: str):
    with pytest.raises(ConfigError) as caught:
        http(OAUTH_ENV | {name: value})
    assert str(caught.value).startswith(message)
    assert "pw@" not in str(caught.value)


def test_a_loopback_public_url_over_http_is_accepted_to_try_it_locally():
    assert http(OAUTH_ENV | {"HOSTUP_MCP_PUBLIC_URL": "http://127.0.0.1:8000"}).public_url == "http://127.0.0.1:8000"
