"""tools/mutation_check.py's list of mutants stays in step with the code: every mutant's ``old``
text occurs exactly once in its file and every test it names exists. (The check itself runs the
mutants and takes minutes; the team runs it by hand, see docs/testing.md.)"""
import json
import os
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOOL = os.path.join(REPO, "tools", "mutation_check.py")


def test_every_mutant_applies_to_the_current_code():
    r = subprocess.run([sys.executable, TOOL, "--list", "--json"], cwd=REPO,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    mutants = json.loads(r.stdout)
    # Counted here again from the files, not only as the tool reports it
    for m in mutants:
        with open(os.path.join(REPO, m["path"]), encoding="utf-8") as f:
            source = f.read()
        assert source.count(m["old"]) == 1, \
            f"mutant {m['id']}: its old text occurs {source.count(m['old'])} times in {m['path']}"
        assert m["new"] != m["old"]
        for test in m["tests"]:
            assert os.path.isfile(os.path.join(REPO, test.split("::")[0])), (m["id"], test)
    assert [m["problems"] for m in mutants] == [[]] * len(mutants)
    assert r.returncode == 0, r.stderr
    # The mutants the issue names are all there, and meant to be killed
    ids = {m["id"]: m for m in mutants}
    for wanted in ("ep-slope-abs-drop-vreset", "ep-slope-rel-drop-vreset",
                   "ep-reset-absolute-both", "ep-reset-absolute-forward",
                   "ep-reset-absolute-backward", "ep-lif-decay-per-ms", "core-decay-per-ms",
                   "ep-synapse-scale", "core-exponential-scale", "ep-input-grad-zero",
                   "ep-input-grad-negated", "ep-input-grad-doubled"):
        assert ids[wanted]["must_kill"], wanted


def test_a_mutant_out_of_step_with_the_code_is_refused(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location("mutation_check", TOOL)
    tool = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules
    sys.modules["mutation_check"] = tool
    try:
        spec.loader.exec_module(tool)
    finally:
        del sys.modules["mutation_check"]
    good = tool.MUTANTS[0]
    twice = good.old + "\n" + good.old
    (tmp_path / os.path.dirname(good.path)).mkdir(parents=True)
    (tmp_path / good.path).write_text(twice)
    (tmp_path / good.tests[0].split("::")[0]).parent.mkdir(parents=True)
    (tmp_path / good.tests[0].split("::")[0]).write_text("def test_other():\n    pass\n")
    problems = tool.check_mutants([good], repo=str(tmp_path))[good.id]
    assert any("occurs 2 times" in p for p in problems)
    assert any("has no test function" in p for p in problems)
    (tmp_path / good.path).write_text("")
    assert any("occurs 0 times" in p for p in tool.check_mutants([good], str(tmp_path))[good.id])
