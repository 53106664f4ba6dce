"""Regenerate the code blocks of docs/pipeline.md from real compiler output.

    python docs/make_pipeline.py        (tests/test_docs.py checks it is current)
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def stages():
    out = subprocess.run([sys.executable, "-m", "diffc.cli", "show",
                          os.path.join(HERE, "example_pipeline.py") + ":damped", "--stages"],
                         capture_output=True, text=True, check=True).stdout
    parts = re.split(r"^# ---- (.*?)(?:: damped)?$", out, flags=re.M)
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2])}


def render(template, blocks):
    return re.sub(r"<!-- stage: (.*?) -->\n```(\w*)\n.*?```",
                  lambda m: f"<!-- stage: {m.group(1)} -->\n```{m.group(2)}\n{blocks[m.group(1)]}\n```",
                  template, flags=re.S)


if __name__ == "__main__":
    path = os.path.join(HERE, "pipeline.md")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(render(text, stages()))
