"""Tests for parrotchat.config: layering, sources, key binding, broken files, show_config."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parrotchat.config import (
    DEMO_BASE_URL,
    EXAMPLE_CONFIG,
    ConfigError,
    Settings,
    Timeouts,
    default_config_path,
    load_settings,
    show_config,
)

PR_KEY = "sk-pr-0123456789abcdef"
FILE_KEY = "sk-file-abcdefghij9876"
OPENAI_KEY = "sk-openai-zyxwvutsrq5555"


@pytest.fixture
def config_file(tmp_path: Path):
    """Write a config file (mode 0600 unless told) and return its path."""

    def write(text: str, mode: int = 0o600) -> Path:
        path = tmp_path / "config.toml"
        path.write_text(text, encoding="utf-8")
        path.chmod(mode)
        return path

    return write


def load(path: Path | None = None, env: dict[str, str] | None = None, **flags) -> Settings:
    """load_settings with no real environment and, by default, a path that does not exist."""
    return load_settings(
        config_path=path or Path("/nonexistent/parrotchat/config.toml"), env=env or {}, **flags
    )


def broken(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load(path)
    message = str(info.value)
    assert "\n" not in message
    return message


# --- Layers ---------------------------------------------------------------------------------


def test_defaults_without_a_file() -> None:
    s = load()
    assert not s.config_exists
    assert list(s.providers) == ["parrotrouter", "demo"]
    assert s.provider == "parrotrouter"
    assert s.model == "openai/gpt-4o-mini"
    assert s.active.base_url == "https://api.parrotrouter.com/v1"
    assert s.active.api_key is None
    assert s.providers["demo"].base_url == DEMO_BASE_URL
    assert s.providers["demo"].is_demo
    assert (s.render_fps, s.timeouts) == (30, Timeouts(10, 120, 120))
    assert (s.system_prompt, s.temperature, s.max_tokens) == (None, None, None)
    assert not s.model_explicit
    assert s.warnings == []
    assert set(s.sources.values()) == {"--config", "default"}


def test_escape_delay_from_the_file_else_escdelay_else_10(config_file) -> None:
    s = load()
    assert (s.escape_delay_ms, s.sources["escape_delay_ms"]) == (10, "default")
    s = load(env={"ESCDELAY": "80"})
    assert (s.escape_delay_ms, s.sources["escape_delay_ms"]) == (80, "env ESCDELAY")
    path = config_file("escape_delay_ms = 40\n")
    s = load(path, {"ESCDELAY": "80"})
    assert (s.escape_delay_ms, s.sources["escape_delay_ms"]) == (40, "config file")
    for bad in ("fast", "0", "5000"):
        s = load(env={"ESCDELAY": bad})
        assert (s.escape_delay_ms, s.sources["escape_delay_ms"]) == (10, "default")
        problem = "it must be a whole number of milliseconds from 1 to 1000."
        assert s.warnings == [f'ESCDELAY="{bad}" is ignored: {problem}']


def test_default_config_path_follows_env(tmp_path: Path) -> None:
    assert default_config_path({}).name == "config.toml"
    assert "parrotchat" in str(default_config_path({}))
    path = tmp_path / "elsewhere.toml"
    path.write_text('model = "from-env-path"\n')
    assert default_config_path({"PARROTCHAT_CONFIG": str(path)}) == path
    s = load_settings(env={"PARROTCHAT_CONFIG": str(path)})
    assert s.config_path == path
    assert s.model == "from-env-path"
    assert s.sources["config_path"] == "env PARROTCHAT_CONFIG"


def test_file_overrides_builtins(config_file) -> None:
    path = config_file(
        """
        default_provider = "local"
        system_prompt = "Be brief."
        render_fps = 60
        temperature = 1
        max_tokens = 500

        [timeouts]
        read = 30

        [providers.parrotrouter]
        model = "meta/llama-3"

        [providers.local]
        base_url = "http://127.0.0.1:8080/v1"
        model = "qwen"
        headers = { "X-Title" = "parrotchat" }
        """
    )
    s = load(path)
    assert s.config_exists
    assert list(s.providers) == ["parrotrouter", "demo", "local"]
    pr = s.providers["parrotrouter"]
    assert (pr.base_url, pr.model) == ("https://api.parrotrouter.com/v1", "meta/llama-3")
    assert pr.api_key_env == "PARROTCHAT_API_KEY"  # merged over the built-in, not replaced
    assert (s.provider, s.model) == ("local", "qwen")
    assert s.active.headers == {"X-Title": "parrotchat"}
    assert (s.system_prompt, s.render_fps, s.temperature, s.max_tokens) == ("Be brief.", 60, 1, 500)
    assert s.timeouts == Timeouts(connect=10, read=30, idle=120)
    assert s.model_explicit
    assert s.sources["provider"] == "config file"
    assert s.sources["model"] == "config file"
    assert s.sources["timeouts.read"] == "config file"
    assert s.sources["timeouts.idle"] == "default"
    assert s.sources["providers.parrotrouter.base_url"] == "default"


def test_top_level_model_overrides_the_default_providers_model(config_file) -> None:
    path = config_file('model = "top"\n[providers.parrotrouter]\nmodel = "own"\n')
    assert load(path).model == "top"
    assert load(path, provider="demo").model == "parrot"


def test_env_overrides_file(config_file) -> None:
    path = config_file(
        'model = "file-model"\n'
        "[providers.parrotrouter]\n"
        'base_url = "https://file.example/v1"\n'
        f'api_key = "{FILE_KEY}"\n'
    )
    env = {
        "PARROTCHAT_MODEL": "env-model",
        "PARROTCHAT_BASE_URL": "https://env.example/v1",
        "PARROTCHAT_API_KEY": PR_KEY,
    }
    s = load(path, env)
    assert s.model == "env-model"
    assert s.active.base_url == "https://env.example/v1"
    assert s.active.api_key == PR_KEY
    assert s.active.key_source == "environment variable PARROTCHAT_API_KEY"
    assert s.sources["model"] == "env PARROTCHAT_MODEL"
    assert s.sources["base_url"] == "env PARROTCHAT_BASE_URL"
    assert s.model_explicit


def test_flags_override_env(config_file) -> None:
    path = config_file('system_prompt = "file"\ntemperature = 0.2\nmax_tokens = 10\n')
    env = {"PARROTCHAT_MODEL": "env-model", "PARROTCHAT_BASE_URL": "https://env.example/v1"}
    s = load(
        path,
        env,
        model="flag-model",
        base_url="https://flag.example/v1",
        system="flag",
        temperature=0.9,
        max_tokens=99,
    )
    assert (s.model, s.active.base_url) == ("flag-model", "https://flag.example/v1")
    assert (s.system_prompt, s.temperature, s.max_tokens) == ("flag", 0.9, 99)
    expected = {
        "model": "--model",
        "base_url": "--base-url",
        "system_prompt": "--system",
        "temperature": "--temperature",
        "max_tokens": "--max-tokens",
    }
    assert {key: s.sources[key] for key in expected} == expected


def test_env_applies_to_the_default_provider_only() -> None:
    env = {"PARROTCHAT_MODEL": "env-model", "PARROTCHAT_BASE_URL": "https://env.example/v1"}
    for s in (load(env=env, demo=True), load(env=env, provider="demo")):
        assert (s.provider, s.model) == ("demo", "parrot")
        assert s.active.base_url == DEMO_BASE_URL
    assert load(env=env, demo=True, model="x").model == "x"
    assert load(env=env, demo=True).sources["provider"] == "--demo"


def test_unknown_provider_flag_lists_known_ones(config_file) -> None:
    path = config_file('[providers.ollama]\nbase_url = "http://localhost:11434/v1"\nmodel = "m"\n')
    with pytest.raises(ConfigError, match=r'"nope" is not a provider.*parrotrouter, demo, ollama'):
        load(path, provider="nope")
    with pytest.raises(ConfigError, match="--demo"):
        load(path, provider="ollama", demo=True)


def test_provider_without_model_needs_one(config_file) -> None:
    path = config_file('[providers.bare]\nbase_url = "http://localhost:1234/v1"\n')
    with pytest.raises(ConfigError, match=r"no model.*\[providers\.bare\]"):
        load(path, provider="bare")
    assert load(path, provider="bare", model="m").model == "m"


@pytest.mark.parametrize(
    ("flags", "env", "message"),
    [
        ({"base_url": "ftp://x"}, {}, '--base-url must be an http or https URL, not "ftp://x"'),
        ({"temperature": 3.0}, {}, "--temperature must be a number from 0 to 2, not 3.0"),
        ({"max_tokens": 0}, {}, "--max-tokens must be a whole number of at least 1, not 0"),
        ({}, {"PARROTCHAT_BASE_URL": "localhost"}, "PARROTCHAT_BASE_URL must be an http"),
        ({"demo": True, "base_url": "http://x"}, {}, "--base-url cannot be used with the demo"),
    ],
)
def test_bad_flags_and_env_values(flags: dict, env: dict, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(env=env, **flags)
    assert message in str(info.value)


# --- Keys -----------------------------------------------------------------------------------


def test_base_url_flag_to_another_origin_withholds_the_key() -> None:
    env = {"PARROTCHAT_API_KEY": PR_KEY}
    s = load(env=env, base_url="https://elsewhere.example/v1")
    assert s.active.api_key is None
    assert s.active.key_note == "PARROTCHAT_API_KEY belongs to https://api.parrotrouter.com"
    assert s.endpoint().api_key is None
    text = show_config(s)
    assert "key: not sent (PARROTCHAT_API_KEY belongs to https://api.parrotrouter.com)" in text
    # Same origin, other path (and an explicit default port): the key still goes.
    same = load(env=env, base_url="https://api.parrotrouter.com:443/v2")
    assert same.active.api_key == PR_KEY


def test_env_base_url_alone_withholds_the_file_key(config_file) -> None:
    path = config_file(f'[providers.parrotrouter]\napi_key = "{FILE_KEY}"\n')
    s = load(path, {"PARROTCHAT_BASE_URL": "http://localhost:9999/v1"})
    assert s.active.api_key is None
    assert (
        s.active.key_note
        == "the api_key in the config file belongs to https://api.parrotrouter.com"
    )


def test_env_base_url_and_env_key_together_keep_the_key() -> None:
    env = {"PARROTCHAT_BASE_URL": "http://localhost:9999/v1", "PARROTCHAT_API_KEY": PR_KEY}
    s = load(env=env)
    assert s.active.api_key == PR_KEY
    assert s.endpoint().key_source == "environment variable PARROTCHAT_API_KEY"


def test_other_providers_env_vars_are_never_read(config_file) -> None:
    env = {"OPENAI_API_KEY": OPENAI_KEY, "OPENROUTER_API_KEY": OPENAI_KEY}
    assert load(env=env).active.api_key is None
    path = config_file(EXAMPLE_CONFIG)
    s = load(path, env)
    assert s.providers["openai"].api_key == OPENAI_KEY
    assert s.providers["parrotrouter"].api_key is None
    assert s.providers["ollama"].api_key is None


def test_parrotrouter_key_does_not_follow_another_default_provider(config_file) -> None:
    path = config_file(
        'default_provider = "ollama"\n'
        '[providers.ollama]\nbase_url = "http://localhost:11434/v1"\nmodel = "llama3.2"\n'
    )
    s = load(path, {"PARROTCHAT_API_KEY": PR_KEY})
    assert s.provider == "ollama"
    assert s.active.api_key is None
    assert s.active.key_note == "PARROTCHAT_API_KEY belongs to parrotrouter"
    assert s.providers["parrotrouter"].api_key == PR_KEY


def test_demo_never_gets_a_key(config_file) -> None:
    env = {"PARROTCHAT_API_KEY": PR_KEY, "PARROTCHAT_BASE_URL": "http://localhost:1/v1"}
    s = load(env=env, demo=True).with_demo_url("http://127.0.0.1:5555/v1")
    assert s.active.api_key is None
    endpoint = s.endpoint()
    assert (endpoint.base_url, endpoint.api_key) == ("http://127.0.0.1:5555/v1", None)
    path = config_file('default_provider = "demo"\n')
    s = load(path, env)
    assert s.active.api_key is None
    assert s.active.base_url == DEMO_BASE_URL
    assert any("PARROTCHAT_BASE_URL is ignored" in w for w in s.warnings)


def test_secret_headers_are_masked_and_bound_like_keys(config_file) -> None:
    path = config_file(
        "[providers.azure]\n"
        'base_url = "https://corp.example/openai"\n'
        'model = "gpt"\n'
        f'headers = {{ "api-key" = "{FILE_KEY}", "X-Title" = "parrotchat" }}\n'
    )
    s = load(path, provider="azure")
    assert s.endpoint().headers["api-key"] == FILE_KEY
    assert FILE_KEY not in show_config(s) + repr(s)
    moved = load(path, provider="azure", base_url="https://other.example/v1")
    assert moved.endpoint().headers == {"X-Title": "parrotchat"}
    assert "header api-key belongs to https://corp.example" in (moved.active.key_note or "")


def test_endpoint_carries_timeouts_headers_and_key(config_file) -> None:
    path = config_file(
        "[timeouts]\nconnect = 1.5\nidle = 7\n"
        '[providers.parrotrouter]\nheaders = { "X-Title" = "p" }\n'
    )
    e = load(path, {"PARROTCHAT_API_KEY": PR_KEY}).endpoint()
    assert (e.name, e.base_url, e.api_key) == (
        "parrotrouter",
        "https://api.parrotrouter.com/v1",
        PR_KEY,
    )
    assert (e.connect_timeout, e.read_timeout, e.idle_timeout) == (1.5, 120, 7)
    assert dict(e.headers) == {"X-Title": "p"}
    with pytest.raises(ConfigError, match="not a provider"):
        load().endpoint("nope")
    with pytest.raises(RuntimeError, match="with_demo_url"):
        load().endpoint("demo")


def test_limits_reach_the_endpoint_in_megabytes(config_file) -> None:
    s = load(config_file("[limits]\nevent_mb = 2\nreply_mb = 64\n"))
    limits = s.with_demo_url("http://127.0.0.1:9/v1").endpoint("demo").limits
    assert (limits.event, limits.reply) == (2 << 20, 64 << 20)
    assert (limits.response, limits.models, limits.line) == (8 << 20, 8 << 20, 8 << 20)
    assert s.sources["limits.event_mb"] == "config file"
    assert s.sources["limits.line_mb"] == "default"
    assert "limits: response 8 MB [default]" in show_config(s)
    assert "event 2 MB [config file]" in show_config(s)


# --- Broken files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("render_fps = 30\nmodel = \n", 2, "TOML syntax error: Invalid value"),
        (
            '# fps\n\nrender_fps = "fast"\n',
            3,
            'render_fps must be a whole number from 1 to 240, not "fast"',
        ),
        (
            "model = 'm'\nrendr_fps = 30\n",
            2,
            'unknown key "rendr_fps" (did you mean "render_fps"?)',
        ),
        ("[timeouts]\nconnect = 1\nread = -1\n", 3, "timeouts.read must be a number of seconds"),
        ("[timeout]\nread = 1\n", 1, 'unknown key "timeout"'),
        ("[limits]\nline_mb = 0\n", 2, "limits.line_mb must be a whole number from 1 to 1024"),
        ("[providers.x]\nmodel = 'm'\n", 1, 'provider "x" needs a base_url'),
        (
            "[providers.x]\nmodel = 'm'\nbase_url = 'ftp://h/v1'\n",
            3,
            "must be an http or https URL",
        ),
        ("[providers.x]\nbase-url = 'http://h'\n", 2, 'unknown key "base-url" in [providers.x]'),
        ("\ndefault_provider = 'nope'\n", 2, 'default_provider "nope" is not a provider'),
        ("[providers.demo]\nbase_url = 'http://h/v1'\n", 2, "demo provider's base_url cannot"),
        ("[providers]\nlocal = { base_url = 'gopher://h' }\n", 2, "providers.local.base_url must"),
        ('system_prompt = """\nrender_fps = 1\n"""\nrender_fps = 0\n', 4, "render_fps must be"),
        (
            "escape_delay_ms = 0\n",
            1,
            "escape_delay_ms must be a whole number from 1 to 1000, not 0",
        ),
        ("escape_delay_ms = 2.5\n", 1, "escape_delay_ms must be a whole number from 1 to 1000"),
        (
            "\ncode_theme = 'monokia'\n",
            2,
            'code_theme must name a Pygments style, not "monokia" (did you mean "monokai"?)',
        ),
        ("code_theme = 'zz top'\n", 1, "(see https://pygments.org/styles/)"),
    ],
)
def test_broken_file_gives_one_line_with_file_and_line(
    config_file, text: str, line: int, problem: str
) -> None:
    path = config_file(text)
    message = broken(path)
    assert message.startswith(f"{path}, line {line}: ")
    assert problem in message


def test_code_theme_from_the_file(config_file) -> None:
    settings = load(config_file('code_theme = "solarized-light"\n'))
    assert settings.code_theme == "solarized-light"
    assert 'code theme: "solarized-light"  [config file]' in show_config(settings)
    assert "code theme: one for the theme  [default]" in show_config(load())


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    assert broken(tmp_path).startswith(f"{tmp_path}: cannot read the file")
    path = tmp_path / "config.toml"
    path.write_bytes(b'model = "m"\nsystem_prompt = "\xff"\n')
    assert broken(path) == f"{path}, line 2: the file is not UTF-8 text"


def test_secrets_never_appear_in_errors(config_file) -> None:
    assert FILE_KEY not in broken(config_file(f'[providers.x]\napi_key = "{FILE_KEY}"\n'))
    assert FILE_KEY not in broken(config_file(f'[providers.x]\nheaders = "{FILE_KEY}"\n'))
    message = broken(config_file(f'[providers.x]\nbase_url = "https://u:{FILE_KEY}@h/v1"\n'))
    assert FILE_KEY not in message
    assert "line 2" in message


# --- Warnings and show_config ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "mode", "warns"),
    [
        (f'[providers.parrotrouter]\napi_key = "{FILE_KEY}"\n', 0o640, True),
        (f'[providers.parrotrouter]\napi_key = "{FILE_KEY}"\n', 0o600, False),
        ('model = "m"\n', 0o644, False),
    ],
)
def test_readable_file_with_a_key_warns(config_file, text: str, mode: int, warns: bool) -> None:
    path = config_file(text, mode)
    s = load(path)
    expected = f"config.toml holds an API key and is readable by other users; run: chmod 600 {path}"
    assert s.warnings == ([expected] if warns else [])


def test_show_config_lists_values_sources_and_masked_keys(config_file) -> None:
    path = config_file(f'render_fps = 50\n[providers.parrotrouter]\napi_key = "{FILE_KEY}"\n')
    s = load(path, {"PARROTCHAT_MODEL": "env-model"}, system="Hi")
    text = show_config(s)
    for expected in (
        f"config file: {path} (exists)  [--config]",
        "provider: parrotrouter  [default]",
        "model: env-model  [env PARROTCHAT_MODEL]",
        'system prompt: "Hi"  [--system]',
        "render fps: 50  [config file]",
        "escape delay: 10 ms  [default]",
        "timeouts: connect 10s [default], read 120s [default], idle 120s [default]",
        "  parrotrouter (active)",
        f"key: sk-…9876  [config file {path}]",
        "key: none needed",
    ):
        assert expected in text
    assert FILE_KEY not in text
    assert FILE_KEY not in repr(s) + str(s)
    assert "key: ***" in show_config(load(env={"PARROTCHAT_API_KEY": "short-key"}))
    assert "key: ***" in show_config(load(env={"PARROTCHAT_API_KEY": "abcdefghijkl"}))
    assert "(not found, using defaults)" in show_config(load())


@settings(max_examples=40, deadline=None)
@given(key=st.from_regex(r"[A-Za-z0-9_\-]{8,60}", fullmatch=True))
def test_env_key_never_shown(key: str) -> None:
    s = load(env={"PARROTCHAT_API_KEY": key})
    assert s.active.api_key == key
    shown = show_config(s) + repr(s) + str(s.active)
    if len(key) >= 12:
        assert key not in shown
    else:
        assert "key: ***" in shown


def test_example_config_loads(config_file) -> None:
    path = config_file(EXAMPLE_CONFIG)
    s = load(path, {"OPENROUTER_API_KEY": OPENAI_KEY})
    assert list(s.providers) == ["parrotrouter", "demo", "openrouter", "openai", "ollama"]
    assert (s.provider, s.model, s.render_fps) == ("parrotrouter", "openai/gpt-4o-mini", 30)
    assert (s.escape_delay_ms, s.sources["escape_delay_ms"]) == (10, "config file")
    assert s.providers["openrouter"].api_key == OPENAI_KEY
    assert s.providers["openrouter"].headers == {"X-Title": "parrotchat"}
    ollama = load(path, provider="ollama")
    assert (ollama.model, ollama.active.base_url) == ("llama3.2", "http://localhost:11434/v1")
    assert s.warnings == []


@pytest.mark.parametrize("bad_key", ["sk-abc’def123", "sk-abc def", "sk-abc\n", "sk-é"])
def test_a_key_http_cannot_carry_is_one_line_that_never_shows_it(bad_key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(env={"PARROTCHAT_API_KEY": bad_key})
    message = str(caught.value)
    assert "PARROTCHAT_API_KEY" in message and "copy the key again" in message
    assert bad_key.strip() not in message and "\n" not in message


def test_a_header_http_cannot_carry_names_file_and_line(config_file) -> None:
    path = config_file(
        '[providers.x]\nbase_url = "http://127.0.0.1:9/v1"\nheaders = { "X-Title" = "Pärrot" }\n'
    )
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert f"{path}, line 3" in str(caught.value) and "X-Title" in str(caught.value)
