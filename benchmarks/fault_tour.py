"""The fault tour of issue #25, run against a tabsynth checkout, one JSON line per case.

    python benchmarks/fault_tour.py ../old-checkout tour-work/ > cases.jsonl

Each case is a bad input or a fault (an unknown model name, an empty streamed table, arrays
replaced with their hashes recomputed, a 100 kB file-size limit, oversized or ill-typed
constraints, a save killed between its renames, temporaries of a killed run, dirty tables for
`schema infer`); it records the exit code and the last message. Run it against two checkouts
to compare them; `tests/faults/` asserts the same cases on every CI run.
"""

import hashlib
import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import yaml

CODE = sys.argv[1]
W = Path(sys.argv[2])
shutil.rmtree(W, ignore_errors=True)
W.mkdir()
ENV = {
    **os.environ,
    "PYTHONPATH": CODE,
    "TABSYNTH_HOME": str(W / "home"),
    "COLUMNS": "200",
    "TABSYNTH_FINGERPRINT_KEY": "k",
}


def run(*args, pre=None, timeout=120):
    t0 = time.perf_counter()
    try:
        r = subprocess.run(
            [sys.executable, "-m", "tabsynth.cli", *args],
            cwd=W,
            env=ENV,
            capture_output=True,
            text=True,
            preexec_fn=pre,
            timeout=timeout,
        )
        lines = [
            x
            for x in r.stderr.strip().splitlines()
            if x.strip()
            and not x.startswith("•")
            and "Warning" not in x
            and "warnings.warn" not in x
        ]
        return (
            r.returncode,
            (lines[-1] if lines else r.stdout.strip().splitlines()[-1] if r.stdout.strip() else "")[
                :160
            ],
            time.perf_counter() - t0,
        )
    except subprocess.TimeoutExpired:
        return "timeout", f"still running after {timeout} s", timeout


def py(code):
    return subprocess.run(
        [sys.executable, "-c", code], cwd=W, env=ENV, capture_output=True, text=True
    )


py("""
import polars as pl, warnings
warnings.filterwarnings('ignore')
import tabsynth
from tabsynth.datasets import load_example
df, s = load_example('health_insurance'); s.to_yaml('s.yaml')
f = pl.from_pandas(df.head(400)); f.write_csv('small.csv'); f.head(0).write_parquet('empty.parquet')
tabsynth.fit(df.head(400), s, 'copula', epsilon=1.0).save('model')
""")
base = yaml.safe_load((W / "s.yaml").read_text())


def schema(name, **ch):
    (W / name).write_text(yaml.safe_dump({**base, **ch}))
    return name


def rehash(folder):
    man = json.loads((folder / "manifest.json").read_text())
    for n in man["files"]:
        man["files"][n] = hashlib.sha256((folder / n).read_bytes()).hexdigest()
    man.pop("content_hash")
    (folder / "manifest.json").write_text(json.dumps(man))
    r = py(
        "from tabsynth.artifacts import content_hash; import json; "
        f"m = json.load(open('{folder}/manifest.json')); print(content_hash(m))"
    )
    man["content_hash"] = r.stdout.strip()
    (folder / "manifest.json").write_text(json.dumps(man))


def arrays(name, make):
    d = W / name
    shutil.copytree(W / "model", d)
    with np.load(d / "arrays.npz") as z:
        a = {k: z[k] for k in z.files}
    buf = io.BytesIO()
    out = make(a)
    if isinstance(out, bytes):
        (d / "arrays.npz").write_bytes(out)
    else:
        np.savez(buf, **out)
        (d / "arrays.npz").write_bytes(buf.getvalue())
    rehash(d)
    return name


def lim():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))


cases = []


def case(name, cmd, res):
    cases.append(
        {"case": name, "command": cmd, "exit": res[0], "message": res[1], "s": round(res[2], 1)}
    )


case(
    "model: gan",
    "schema validate gan.yaml",
    run("schema", "validate", schema("gan.yaml", model="gan")),
)
case(
    "model: gan",
    "fit small.csv -s gan.yaml -o m",
    run("fit", "small.csv", "-s", "gan.yaml", "-o", "m"),
)
case(
    "header-only Parquet, streamed",
    "fit empty.parquet -s s.yaml --engine stream -o m",
    run("fit", "empty.parquet", "-s", "s.yaml", "--engine", "stream", "-o", "m"),
)
case(
    "object arrays, hashes recomputed",
    "sample m_obj -n 10 -o o.csv",
    run(
        "sample",
        arrays("m_obj", lambda a: {**a, "weights": np.array([{"x": 1}], dtype=object)}),
        "-n",
        "10",
        "-o",
        "o.csv",
    ),
)
case(
    "truncated npz, hashes recomputed",
    "sample m_trunc -n 10 -o o.csv",
    run(
        "sample",
        arrays("m_trunc", lambda a: (W / "model/arrays.npz").read_bytes()[:300]),
        "-n",
        "10",
        "-o",
        "o.csv",
    ),
)
case(
    "wrong shapes, hashes recomputed",
    "sample m_shape -n 10 -o o.csv",
    run(
        "sample",
        arrays("m_shape", lambda a: {**a, "corr": a["corr"][..., :2, :2]}),
        "-n",
        "10",
        "-o",
        "o.csv",
    ),
)
case(
    "full disk (100 kB file-size limit)",
    "sample model -n 200000 -o big.csv",
    run("sample", "model", "-n", "200000", "-o", "big.csv", pre=lim),
)
case(
    "3,000-term expression",
    "schema validate long.yaml",
    run(
        "schema", "validate", schema("long.yaml", constraints=[" + ".join(["age"] * 3000) + " > 1"])
    ),
)
case(
    "health > 5 (health is categorical)",
    "schema validate typed.yaml",
    run("schema", "validate", schema("typed.yaml", constraints=["health > 5"])),
)
case(
    "health > 5 (health is categorical)",
    "sample model_typed ...",
    (
        lambda: (
            py(
                "import tabsynth; from tabsynth.datasets import load_example; "
                "df, _ = load_example('health_insurance'); "
                "tabsynth.fit(df.head(400), tabsynth.Schema.from_yaml('typed.yaml'), "
                "epsilon=1.0).save('mt')"
            ),
            run("sample", "mt", "-n", "10", "-o", "t.csv"),
        )[1]
    )(),
)
case(
    "50,000-term or (789 kB)",
    "schema validate or.yaml",
    run(
        "schema",
        "validate",
        schema("or.yaml", constraints=[" or ".join(f"age == {i}" for i in range(50000))]),
    ),
)
shutil.copytree(W / "model", W / "victim2")
py("""
import os, tabsynth, tabsynth.artifacts as A
real = os.replace
def rep(a, b):
    if os.fspath(b) == 'victim2':
        os._exit(9)  # killed just before the new folder is renamed in
    return real(a, b)
os.replace = rep
tabsynth.load('model').save('victim2')
""")
case(
    "save killed between its two renames",
    "sample victim2 -n 5 -o v.csv (after the kill)",
    run("sample", "victim2", "-n", "5", "-o", "v.csv"),
)
p = subprocess.Popen([sys.executable, "-c", "pass"])
p.wait()
for pat in (f".syn.csv.tabsynth-{p.pid}.x.tmp", ".syn.csv.abc123.tmp"):
    (W / pat).write_bytes(b"0" * 1000)
res = run("sample", "model", "-n", "20", "-o", "syn.csv")
left = sorted(x.name for x in W.glob(".syn.csv*"))
case(
    "temporary files of a killed run",
    "sample model -n 20 -o syn.csv",
    (res[0], f"left: {left}; {res[1]}", res[2]),
)
df = pl.DataFrame({"day": ["2020-01-01"] * 30, "x": list(range(30))}).with_columns(
    pl.col("day").str.to_date()
)
df.write_parquet(W / "const.parquet")
df.head(0).write_parquet(W / "header.parquet")
for nm in ("const", "header"):
    res = run("schema", "infer", f"{nm}.parquet", "-o", f"{nm}.yaml", "--no-pii")
    res2 = run("schema", "validate", f"{nm}.yaml") if res[0] == 0 else res
    case(
        {"const": "infer: constant date column", "header": "infer: header-only Parquet"}[nm],
        f"schema infer {nm}.parquet -o {nm}.yaml; schema validate {nm}.yaml",
        res2,
    )
n = 200
pl.DataFrame(
    {
        "amount": [str(i) for i in range(n - 12)] + ["unknown"] * 10 + ["1,234"] * 2,
        "visit": ["12.03.1990"] * (n - 10) + ["1990/03/12"] * 10,
    }
).write_csv(W / "dirty.csv")
res = run("schema", "infer", "dirty.csv", "-o", "dirty.yaml", "--no-pii")
kinds = (
    ""
    if res[0]
    else str(
        {
            c["name"]: c["kind"]
            for c in yaml.safe_load(
                (W / "dirty.yaml").read_text().split("\n", 5)[-1]
                if False
                else (W / "dirty.yaml").read_text()
            )["columns"]
        }
    )
)
case(
    "infer: numbers with words, two date formats",
    "schema infer dirty.csv -o dirty.yaml",
    (res[0], (kinds + " " + res[1])[:160], res[2]),
)
(W / "semi.csv").write_text("age;sex\n30;m\n40;f\n" * 20)
res = run("schema", "infer", "semi.csv", "-o", "semi.yaml", "--no-pii")
cols = (
    [c["name"] for c in yaml.safe_load((W / "semi.yaml").read_text())["columns"]]
    if res[0] == 0
    else []
)
case(
    "semicolon-separated CSV",
    "schema infer semi.csv -o semi.yaml",
    (res[0], f"columns {cols}; {res[1]}"[:160], res[2]),
)
(W / "dup.csv").write_text("age,sex,age\n" + "1,m,2\n" * 20)
res = run("schema", "infer", "dup.csv", "-o", "dup.yaml", "--no-pii")
cols = (
    [c["name"] for c in yaml.safe_load((W / "dup.yaml").read_text())["columns"]]
    if res[0] == 0
    else []
)
case(
    "duplicated CSV header",
    "schema infer dup.csv -o dup.yaml",
    (res[0], f"columns {cols}; {res[1]}"[:160], res[2]),
)
for c in cases:
    print(json.dumps(c))
