"""The documentation shows real, current compiler output and working examples."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_pipeline_doc_matches_the_compiler():
    sys.path.insert(0, os.path.join(ROOT, "docs"))
    try:
        import make_pipeline
    finally:
        sys.path.pop(0)
    with open(os.path.join(ROOT, "docs", "pipeline.md")) as f:
        text = f.read()
    assert make_pipeline.render(text, make_pipeline.stages()) == text, \
        "docs/pipeline.md is stale: run `python docs/make_pipeline.py`"


def test_bouncing_ball_example_recovers_the_parameters():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "bouncing_ball.py")],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    recovered = out.split("recovered values:")[1].split("\n")[0]
    drag = float(recovered.split("drag")[1].split(",")[0])
    restitution = float(recovered.split("restitution")[1])
    assert abs(drag - 0.35) < 0.01 and abs(restitution - 0.8) < 0.005


def test_probe_orbit_example_recovers_the_parameters():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "probe_orbit.py")],
                         capture_output=True, text=True, check=True, timeout=300).stdout
    for line in out.splitlines():
        if line.startswith("d loss / d"):       # diffc's gradient and central differences
            _, _, ours, _, _, fd = line.split()[-6:]
            assert abs(float(ours) - float(fd)) < 1e-6 * max(1.0, abs(float(fd)))
    recovered = out.split("recovered values:")[1].split("(")[0]
    mass = float(recovered.split("mass")[1].split(",")[0])
    drag = float(recovered.split("drag")[1])
    assert abs(mass - 1.3) < 0.01 and abs(drag - 0.05) < 0.002
