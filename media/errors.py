"""The one exception the media package raises for bad input: a file it cannot read or an option it cannot honour."""


class MediaError(ValueError):
    """The message names the file or field and says what was expected, so a node can show it unchanged."""
