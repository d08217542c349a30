"""Write a Config back as INI text."""


def dumps(config):
    """INI text for config: sections in order, one key = value per line."""
    chunks = []
    for section in config.sections():
        keys = config.keys(section)
        if not keys:
            continue
        lines = [f"[{section}]"] + [f"{k} = {config.get(section, k)}" for k in keys]
        chunks.append("\n".join(lines))
    return "\n\n".join(chunks) + "\n"
