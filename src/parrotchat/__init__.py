"""parrotchat: a fast terminal chat for LLMs over OpenAI-compatible streaming APIs."""

__version__ = "0.1.0"

__all__ = ["__version__"]
