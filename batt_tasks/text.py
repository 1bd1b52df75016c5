"""Outside text (task ids, file names, stored programs) made safe to show on a terminal.

A task id comes from a file name or a JSON key: it can hold ESC and other control characters that a
terminal would obey (recolour, move the cursor, retitle the window, hide what follows). `shown` escapes
them the way Python's repr does, and leaves every printable character, non-ASCII included, as it is.
"""

import unicodedata

# Control characters (C0, DEL, C1), format characters (bidi overrides, zero-width), line and paragraph separators.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown(text: str) -> str:
    """`text` with every character a terminal could act on written as an escape: ESC as \\x1b."""
    return "".join(_escaped(char) if unicodedata.category(char) in UNSAFE_CATEGORIES else char for char in text)


def _escaped(char: str) -> str:
    if char in NAMED:
        return NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
