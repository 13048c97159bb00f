"""The grey-box neighbouring-dataset harness (grey-box auditing of DP libraries, PETS 2026).

A fit on D and a fit on D' (D with one record added) are run with every random source fixed
except the DP noise, and the DP noise is *coupled*: the run on D records each noisy
measurement; the run on D' is handed the same noisy outputs, after the harness has checked
that the exact (pre-noise) values differ by no more than the mechanism's declared L2
sensitivity. Such a coupling is what the DP proof of a Gaussian mechanism compares, so if the
code leaks nothing outside its declared mechanisms, everything that leaves the process on D'
must be byte-identical to what left it on D: artifact files, the privacy statement, messages,
progress output and samples. A difference anywhere is a leak (data-dependent control flow, a
domain read from the data, a random stream one record shifts, an exact count in a message);
a pre-noise difference above the sensitivity is an under-declared mechanism.

Counts that carry keys (the atom discovery's distinct values) are matched by key; a key only
D' has is the new record's own value: its count must be below the release threshold (the
coupling's delta event), which the byte comparison then checks.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import re
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class _Draw:
    kind: str
    sigma: float
    values: np.ndarray
    noisy: np.ndarray
    keys: np.ndarray | None = None
    mechanism: str | None = None


@dataclass
class CouplingNoise:
    """A noise source that records (on D) or replays (on D') every noisy measurement."""

    mode: str = "record"
    draws: list[_Draw] = field(default_factory=list)
    seed: int = 0
    secure: bool = True  # both runs say the same; the harness compares, it does not release
    # per sigma: squared L2 of pre-noise differences; per DP-SGD step: the largest L2
    sq_diffs: dict[float, float] = field(default_factory=lambda: defaultdict(float))
    step_diffs: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    step_sigmas: dict[str, set[float]] = field(default_factory=lambda: defaultdict(set))
    new_keys: int = 0
    # per Gumbel scale of report-noisy-max: the largest L-infinity move of its scores
    linf_diffs: dict[float, float] = field(default_factory=lambda: defaultdict(float))
    choices: list[tuple[float, np.ndarray, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.seed)
        self._i = 0
        self.linf_seen: list[int] = []

    # --- the NoiseSource interface ----------------------------------------------------------
    def gaussian_counts(self, counts, sigma, *, keys=None):
        counts = np.asarray(counts, dtype=np.int64)
        noise = np.rint(self._rng.normal(0.0, sigma, counts.shape)).astype(np.int64)
        return self._couple("counts", counts, sigma, counts + noise, keys)

    def gaussian_values(self, values, sigma):
        values = np.asarray(values, dtype=float)
        noisy = values + self._rng.normal(0, sigma, values.shape)
        return self._couple("values", values, sigma, noisy, None)

    def gaussian_gradient(self, flat, std, *, mechanism):
        flat = np.asarray(flat, dtype=np.float64)
        noisy = flat + self._rng.normal(0.0, std, flat.shape)
        return self._couple("gradient", flat, std, noisy, None, mechanism)

    def noisy_max(self, scores, scale):
        """Report-noisy-max coupled as its proof compares: D' makes D's choice when its
        scores moved by at most the declared sensitivity (checked with the others)."""
        scores = np.asarray(scores, dtype=float)
        if self.mode == "record":
            pick = int(np.argmax(scores + self._rng.gumbel(0.0, scale, scores.shape)))
            self.choices.append((float(scale), scores.copy(), pick))
            return pick
        rec_scale, rec_scores, pick = self.choices[len(self.linf_seen)]
        self.linf_seen.append(pick)
        assert np.isclose(rec_scale, scale, rtol=1e-12), "Gumbel scale differs between D and D'"
        assert scores.shape == rec_scores.shape, "a choice among other candidates on D'"
        move = float(np.max(np.abs(scores - rec_scores))) if scores.size else 0.0
        self.linf_diffs[float(scale)] = max(self.linf_diffs[float(scale)], move)
        return pick

    # --- coupling -----------------------------------------------------------------------------
    def _couple(self, kind, values, sigma, noisy, keys, mechanism=None):
        if self.mode == "record":
            self.draws.append(_Draw(kind, float(sigma), values.copy(), noisy, keys, mechanism))
            return noisy
        assert self._i < len(self.draws), f"an extra noisy measurement on D' ({kind})"
        rec = self.draws[self._i]
        self._i += 1
        assert (rec.kind, rec.mechanism) == (kind, mechanism), "measurements out of step"
        assert np.isclose(rec.sigma, sigma, rtol=1e-12), f"noise scale differs: {rec.sigma} {sigma}"
        if keys is None:
            assert values.shape == rec.values.shape, (
                f"{kind}: shape {values.shape} != {rec.values.shape}"
            )
            diff = float(np.sum((values - rec.values) ** 2))
            out = rec.noisy.copy()
        else:
            where = {k: i for i, k in enumerate(np.asarray(rec.keys).tolist())}
            out = np.empty_like(values)
            diff = 0.0
            for i, k in enumerate(np.asarray(keys).tolist()):
                j = where.pop(k, None)
                if j is None:  # only D' holds this value: the added record's own
                    self.new_keys += 1
                    diff += float(values[i]) ** 2
                    out[i] = values[i]  # coupled to "not released" (the delta event)
                else:
                    diff += float(values[i] - rec.values[j]) ** 2
                    out[i] = rec.noisy[j]
            assert not where, "a value counted on D is missing on D' (a record was added)"
        if kind == "gradient":
            self.step_diffs[mechanism] = max(self.step_diffs[mechanism], diff**0.5)
            self.step_sigmas[mechanism].add(round(float(sigma), 9))
        else:
            self.sq_diffs[float(sigma)] += diff
        return out

    def finished(self) -> None:
        assert self.mode == "record" or self._i == len(self.draws), "fewer measurements on D'"
        assert self.mode == "record" or len(self.linf_seen) == len(self.choices), "fewer choices"


def insert_record(df: Any, record: Any, where: str) -> Any:
    """``df`` with ``record`` (a one-row frame) added at the front, the middle or the end."""
    import pandas as pd

    at = {"front": 0, "middle": len(df) // 2, "end": len(df)}[where]
    return pd.concat([df.iloc[:at], record, df.iloc[at:]], ignore_index=True)


@dataclass
class Run:
    """Everything that left the process in one fit (and its release)."""

    files: dict[str, bytes]
    manifest: dict[str, Any]
    label: str
    sample: bytes
    messages: str
    privacy: Any
    noise: CouplingNoise


# tqdm's clock and rate, and "done in 1.23s": timings, not functions of the data
# a timing with the spaces tqdm pads it to (its width depends on the value)
_TIMING = re.compile(
    r" *(?:\d+:\d\d(?::\d\d)?|\?(?:it|epoch)/s|[\d.]+(?:it|epoch)/s|[\d.]+s/(?:it|epoch)"
    r"|\d+\.\d+s\b)"
)


def _screen(msgs: str) -> str:
    """What the terminal showed, without the clock: timings masked, and a progress bar's
    redraws (``\r``) collapsed where they repeat, since how often tqdm redraws depends on
    the machine's load, not on the data (any change of content still shows)."""
    parts = [_TIMING.sub("<t>", p) for p in re.split(r"[\r\n]+", msgs)]
    return "\n".join(p for i, p in enumerate(parts) if p and (i == 0 or p != parts[i - 1]))


def _every_update_drawn(monkeypatch) -> None:
    """Progress bars draw every update (no ``mininterval``): which intermediate states a bar
    shows then follows from the data alone, not from the machine's load (a loaded machine
    once showed a step on D' that D skipped)."""
    import tqdm.std

    init = tqdm.std.tqdm.__init__

    def eager(self, *args, **kwargs):
        kwargs.update(mininterval=0, miniters=1)
        init(self, *args, **kwargs)

    monkeypatch.setattr(tqdm.std.tqdm, "__init__", eager)


def run_fit(fit, data, noise: CouplingNoise, tmp: Path, monkeypatch, name: str) -> Run:
    """Fit with the coupling noise and every other random source fixed; collect its outputs."""
    import tabsynth.privacy.noise as noise_mod

    monkeypatch.setattr(noise_mod, "make_noise", lambda **kw: noise)
    _every_update_drawn(monkeypatch)
    err, log = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(log)
    logging.getLogger("tabsynth").addHandler(handler)
    logging.getLogger("tabsynth").setLevel(logging.DEBUG)
    try:
        with contextlib.redirect_stderr(err), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = fit(data)
            model.save(tmp / name)
            sample = model.sample(500, seed=11, as_frame="pandas").to_csv(index=False).encode()
    finally:
        logging.getLogger("tabsynth").removeHandler(handler)
    noise.finished()
    msgs = "\n".join(str(w.message) for w in caught) + err.getvalue() + log.getvalue()
    files = {p.name: p.read_bytes() for p in sorted((tmp / name).iterdir())}
    return Run(
        files=files,
        manifest=json.loads(files["manifest.json"]),
        label=model.privacy.label(),
        sample=sample,
        messages=_screen(msgs),
        privacy=model.privacy,
        noise=noise,
    )


# fields of the manifest that are not functions of the data: the save time, the keyed
# fingerprint of the input (an HMAC with a secret key, declared in docs/privacy-model.md),
# and the content hash over both
VOLATILE = ("created", "data_fingerprint", "content_hash", "files")


def assert_coupled(a: Run, b: Run) -> None:
    """D' released exactly what D did, and each measurement moved within its sensitivity."""
    if b.messages != a.messages:
        import difflib

        diff = "\n".join(difflib.unified_diff(a.messages.splitlines(), b.messages.splitlines(),
                                              "D", "D'", lineterm="", n=0))  # fmt: skip
        raise AssertionError(f"messages differ between D and D':\n{diff[:3000]}")
    assert b.label == a.label and b.privacy == a.privacy
    for name in a.files:
        if name != "manifest.json":
            assert b.files.get(name) == a.files[name], f"{name} differs between D and D'"
    assert set(b.files) == set(a.files)
    strip = lambda m: {k: v for k, v in m.items() if k not in VOLATILE}  # noqa: E731
    assert strip(b.manifest) == strip(a.manifest)
    assert {k: v for k, v in b.manifest["files"].items() if k != "manifest.json"} == {
        k: v for k, v in a.manifest["files"].items() if k != "manifest.json"
    }
    assert b.sample == a.sample
    check_sensitivities(b)


def check_sensitivities(b: Run) -> None:
    """Each mechanism's pre-noise distance between D and D' is within its declared L2
    sensitivity: zCDP measurements summed over their calls, DP-SGD per step; and every
    DP-SGD step's noise has the std the certificate declares."""
    declared: dict[float, float] = {}
    sgd: dict[str, float] = {}
    sgd_sigma: dict[str, float] = {}
    for m in b.privacy.mechanisms:
        if m.rho is None:
            sgd[m.name.split(":")[0]] = m.sensitivity
            sgd_sigma[m.name.split(":")[0]] = round(m.sigma, 9)
        else:
            # mechanisms that share a noise sd are checked together: their draws cannot be
            # told apart here, and together they cost what one of sensitivity
            # sqrt(sum of squares) at that sd does (zCDP: rho = sens^2 / (2 sigma^2))
            key = round(m.sigma, 9)
            declared[key] = math.hypot(declared.get(key, 0.0), m.sensitivity)
    for sigma, sq in b.noise.sq_diffs.items():
        sens = declared.get(round(sigma, 9))
        assert sens is not None, f"a measurement with noise {sigma} that no mechanism declares"
        assert sq**0.5 <= sens * (1 + 1e-9) + 1e-9, f"moved {sq**0.5:.4g} > sensitivity {sens}"
    for scale, worst in b.noise.linf_diffs.items():
        sens = declared.get(round(scale, 9))
        assert sens is not None, f"a choice with Gumbel scale {scale} that no mechanism declares"
        assert worst <= sens * (1 + 1e-9) + 1e-9, f"scores moved {worst:.4g} > sensitivity {sens}"
    for mech, worst in b.noise.step_diffs.items():
        assert worst <= sgd[mech] * (1 + 1e-5) + 1e-7, f"{mech}: a step moved {worst} > {sgd[mech]}"
    for mech, used in b.noise.step_sigmas.items():
        assert used == {sgd_sigma[mech]}, f"{mech}: noise std {used} != declared {sgd_sigma[mech]}"


def fixed_randomness(monkeypatch, value: int = 0x5EED) -> None:
    """Every secure draw of a fit (keys of the keyed randomness, torch generators' seeds)
    fixed, so that only the DP noise (coupled) could differ between the runs."""
    import tabsynth.privacy.keyed as keyed

    counter = iter(range(10**6))
    monkeypatch.setattr(keyed.secrets, "randbits", lambda k: (value + 7919 * next(counter)) % 2**k)


def coupled_pair(fit, d, d2, tmp: Path, monkeypatch) -> tuple[Run, Run]:
    """The fit on ``d`` (its noise recorded) and on ``d2`` (the same noise replayed), every
    other random source fixed alike."""
    fixed_randomness(monkeypatch)
    a = run_fit(fit, d, CouplingNoise("record"), tmp, monkeypatch, "a")
    fixed_randomness(monkeypatch)
    replay = CouplingNoise("replay", a.noise.draws, choices=a.noise.choices)
    b = run_fit(fit, d2, replay, tmp, monkeypatch, "b")
    return a, b
