"""`EXAMPLE_CONFIG`: a complete, commented `config.toml`."""

from __future__ import annotations

__all__ = ["EXAMPLE_CONFIG"]

EXAMPLE_CONFIG = """\
# parrotchat configuration. Save as config.toml in parrotchat's config directory
# (`parrotchat --show-config` prints the path) or pass --config PATH.
# Environment variables override this file, and command-line flags override both.

# The provider to use when --provider is not given: a name from [providers.*] below.
default_provider = "parrotrouter"
# The default provider's model (overrides its own `model`); --model overrides this.
model = "openai/gpt-4o-mini"
# Sent as the first message of every new conversation.
system_prompt = "You are a helpful assistant. Answer concisely."
# How often a streaming reply is redrawn, in frames per second (1 to 240).
render_fps = 30
# How long Esc waits, in milliseconds (1 to 1000), for the rest of a key that starts with the
# Esc byte (arrows, F-keys, Alt+key) before it counts as Esc. Raise it if those keys turn into
# Esc over a slow ssh link. Terminals with the kitty keyboard protocol send Esc without a wait.
escape_delay_ms = 10
# Sampling temperature from 0 to 2; leave it out to use the provider's default.
# temperature = 0.7
# The longest reply, in tokens; leave it out to let the provider decide.
# max_tokens = 4096
# At start-up, list the servers running on this machine (Ollama, LM Studio, llama.cpp,
# vLLM on their usual ports; 127.0.0.1 only, never with a key). false turns it off.
discover_local = true
# Keep print mode's turns (`parrotchat -p`) in the history and the Chats list; false keeps
# them out (as --no-history does for one run).
print_history = true
# The TUI's theme: any Textual theme name (textual-dark, nord, gruvbox, textual-light, ...).
# Leave it out to keep the theme chosen last in the palette (Ctrl+P, "Change theme").
# theme = "nord"
# The colours of code (a Pygments style: monokai, default, solarized-light, ...). Leave it out
# for monokai in dark themes and default in light ones.
# code_theme = "monokai"

[timeouts]
# Seconds to wait for the connection to open.
connect = 10
# Seconds to wait for the next bytes from the server, also before the reply starts.
read = 120
# Seconds a streaming reply may go without new text (keep-alive pings do not count).
idle = 120

[limits]
# The most parrotchat reads from a server, in MB: a broken or hostile server cannot make it
# hold gigabytes. Past a limit the request ends with one sentence; a reply keeps its text.
# A whole (non-streamed) answer's JSON body.
response_mb = 8
# The model list (GET /models).
models_mb = 8
# One event of the stream, all its data: lines together.
event_mb = 8
# One line of the stream.
line_mb = 8
# The text of one reply: answer, reasoning and tool-call arguments together.
reply_mb = 16

[attachments]
# Files attached to a prompt (@ or Ctrl+A in the prompt, -a FILE in print mode), in KB.
# The largest single file (text, or an image counted raw).
max_file_kb = 512
# The most attached to one message, every file together.
max_message_kb = 2048

[discovery]
# More ports to look for local servers on, besides 11434, 1234, 8080 and 8000.
ports = [5000]

[keys]
# Move a key: binding id = "keys" (they replace its defaults; README lists the ids).
# retry = "ctrl+r,f9"

# Each [providers.NAME] table is an OpenAI-compatible API; pick one with --provider NAME.
# A key is only ever sent to the base_url it is configured with.

# Built in: only the keys you set here change.
[providers.parrotrouter]
# The API's base URL, including the version path.
base_url = "https://api.parrotrouter.com/v1"
# The environment variable that holds the key (keeps the key out of this file).
api_key_env = "PARROTCHAT_API_KEY"
# The model to use when this provider is chosen with --provider.
model = "openai/gpt-4o-mini"

[providers.openrouter]
base_url = "https://openrouter.ai/api/v1"  # OpenRouter's API
api_key_env = "OPENROUTER_API_KEY"         # export OPENROUTER_API_KEY=sk-or-...
model = "anthropic/claude-3.5-sonnet"      # any id from its model list
headers = { "X-Title" = "parrotchat" }     # extra HTTP headers for every request

[providers.openai]
base_url = "https://api.openai.com/v1"     # OpenAI's API
api_key_env = "OPENAI_API_KEY"             # export OPENAI_API_KEY=sk-...
# api_key = "sk-..."                       # a key in the file also works: then chmod 600 it
model = "gpt-4o-mini"                      # OpenAI's model id

[providers.ollama]
base_url = "http://localhost:11434/v1"     # a local Ollama server: no key needed
model = "llama3.2"                         # a model you pulled with `ollama pull`
"""
"""A complete, commented config.toml (shown in the README)."""
