"""A run's best model, usable: loaded from its run directory (best_model.pt, the best genes in summary.json, the
stored preprocessing), applied to new table rows (`gaterm predict`) and exported as a self-contained file
(`gaterm export`). Nothing is unpickled: weights load with `torch.load(weights_only=True)`."""

from __future__ import annotations

import contextlib
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from gaterm.chromosome import Chromosome
from gaterm.engine.fitness import build_model
from gaterm.errors import DataError, GatermError
from gaterm.rundir.files import BEST_MODEL, SUMMARY, RunDirError
from gaterm.rundir.preprocessing import Preprocessing
from gaterm.tables import encode, missing_error

if TYPE_CHECKING:
    import pandas as pd

EXPORT_FORMATS = ("torchscript", "onnx")


class ScaledModel(nn.Module):
    """The network with its input scaling and output transform: raw numeric features (n, F) in, class
    probabilities (n, K) or predictions in target units (n, 1, float64) out. `predict` and the exported file use
    this same module, so they give the same numbers."""

    if TYPE_CHECKING:  # the buffers registered in __init__ (not at run time: TorchScript reads class annotations)
        shift: torch.Tensor
        scale: torch.Tensor

    def __init__(self, net: nn.Sequential, prep: Preprocessing) -> None:
        super().__init__()
        self.net = net.requires_grad_(False)  # inference only: outputs need no autograd graph
        self.register_buffer("shift", torch.as_tensor(prep.x_shift, dtype=torch.float64))
        self.register_buffer("scale", torch.as_tensor(prep.x_scale, dtype=torch.float64))
        self.classification = prep.task == "classification"
        self.target_mean = float(prep.target_mean)
        self.target_std = float(prep.target_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = ((x.to(torch.float64) - self.shift) / self.scale).to(torch.float32)
        out = self.net(z)
        if self.classification:
            return torch.softmax(out, dim=1)
        return out.to(torch.float64) * self.target_std + self.target_mean


@dataclass
class Prediction:
    frame: pd.DataFrame  # one row per input row: `prediction` (and `p_<class>` for classification)
    metric_name: str
    metric: float | None  # when the input had the label column
    notes: list[str]


class TrainedModel:
    """The best network of a finished run, with its preprocessing."""

    def __init__(self, run_dir: Path, prep: Preprocessing, chromosome: Chromosome, net: nn.Sequential) -> None:
        self.run_dir, self.prep, self.chromosome = run_dir, prep, chromosome
        self.module = ScaledModel(net, prep).eval()

    @classmethod
    def load(cls, run_dir: str | Path) -> TrainedModel:
        run_dir = Path(run_dir)
        if not run_dir.is_dir():
            raise RunDirError(f"{run_dir}: no such run directory")
        prep = Preprocessing.read(run_dir)
        try:
            summary = json.loads((run_dir / SUMMARY).read_text(encoding="utf-8"))
            genes = summary["best"]["genes"]
        except FileNotFoundError:
            raise RunDirError(f"{run_dir} has no {SUMMARY}: the run has not finished") from None
        except (ValueError, KeyError, TypeError):
            raise RunDirError(f"{run_dir}/{SUMMARY} names no best model (did the run evaluate anything?)") from None
        if not (run_dir / BEST_MODEL).is_file():
            raise RunDirError(f"{run_dir} has no {BEST_MODEL}")
        chromosome = Chromosome.parse(genes)
        net = build_model(chromosome, len(prep.features), _n_outputs(prep))
        try:
            net.load_state_dict(torch.load(run_dir / BEST_MODEL, weights_only=True))
        except Exception as exc:  # noqa: BLE001 - a corrupt or mismatched file
            raise RunDirError(f"{run_dir}/{BEST_MODEL}: cannot load ({type(exc).__name__})") from None
        return cls(run_dir, prep, chromosome, net.eval())

    # ----- inputs -----
    def encode(self, frame: pd.DataFrame, where: str) -> tuple[np.ndarray, list[str]]:
        """Raw numeric feature rows (n, F) for `frame`: the training columns, encoded as in training; extra
        columns are ignored with a note, missing ones are an error, missing values are filled only if the run
        imputed."""
        layout, notes = self.prep.layout, []
        names = [c.name for c in layout.columns]
        absent = [n for n in names if n not in frame.columns]
        if absent:
            shown = ", ".join(repr(a) for a in absent[:8]) + (", ..." if len(absent) > 8 else "")
            raise DataError(f"{where}: missing {len(absent)} column(s) the model was trained on: {shown}")
        known = set(names) | {layout.label} | {d for d, _ in layout.dropped}
        extra = [c for c in frame.columns if c not in known]
        if extra:
            notes.append(f"ignored {len(extra)} column(s) the model does not use: "
                         + ", ".join(repr(e) for e in extra[:8]) + (", ..." if len(extra) > 8 else ""))
        if not layout.impute:
            err = missing_error(frame, names, where, "drop or fill them (the run did not impute)")
            if err is not None:
                raise err
        x, enc_notes = encode(frame, layout, where)
        notes += enc_notes
        if layout.impute and self.prep.impute_values is not None:
            x = np.where(np.isnan(x), self.prep.impute_values, x)
        return x, notes

    def outputs(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities (n, K) float32, or predictions (n,) in target units, for raw feature rows."""
        with torch.inference_mode():
            out = self.module(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))).numpy()
        return out if self.prep.task == "classification" else out[:, 0]

    # ----- predict -----
    def predict(self, frame: pd.DataFrame, where: str) -> Prediction:
        import pandas as pd

        x, notes = self.encode(frame, where)
        out = self.outputs(x)
        prep, layout = self.prep, self.prep.layout
        cols: dict[str, Any] = {}
        for name, _ in layout.dropped:  # an id column is handy to join the predictions back
            if name in frame.columns and frame[name].is_unique:
                cols[name] = frame[name].to_numpy()
        label = frame[layout.label] if layout.label in frame.columns else None
        if prep.task == "classification":
            classes = list(prep.classes or range(out.shape[1]))
            cols["prediction"] = [classes[i] for i in out.argmax(axis=1)]
            for k, c in enumerate(classes):
                cols[f"p_{c}"] = out[:, k]
            metric_name = "accuracy"
            metric = None
            if label is not None:
                truth = [_class_key(v) for v in label.tolist()]
                predicted = [_class_key(v) for v in cols["prediction"]]
                metric = float(np.mean([a == b for a, b in zip(truth, predicted, strict=True)]))
        else:
            cols["prediction"] = out
            metric_name = "mae"
            metric = None
            if label is not None:
                y = pd.to_numeric(label, errors="coerce").to_numpy(np.float64)
                if np.isnan(y).any():
                    raise DataError(f"{where}: the label column {layout.label!r} must hold numbers for every row")
                metric = float(np.mean(np.abs(out - y)))
        return Prediction(pd.DataFrame(cols), metric_name, metric, notes)

    # ----- export -----
    def export(self, fmt: str, out: Path) -> Path:
        """Write the model as a self-contained file (and `OUT.json`, the input layout); returns the sidecar."""
        if fmt == "torchscript":
            import warnings

            with warnings.catch_warnings():  # recent torch marks TorchScript deprecated; it still loads
                warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*torch.jit.script.*")
                scripted = torch.jit.script(self.module)
            scripted.save(str(out))
        elif fmt == "onnx":
            try:
                import onnx  # noqa: F401
            except ImportError:
                raise GatermError("--format onnx needs the onnx package: pip install 'gaterm[onnx]', or use "
                                  "--format torchscript") from None
            example = torch.zeros(2, len(self.prep.features), dtype=torch.float64)  # 2: 1 would fix the size
            try:
                with contextlib.redirect_stdout(io.StringIO()):  # the exporter prints its progress
                    torch.onnx.export(self.module, (example,), str(out), input_names=["x"], output_names=["y"],
                                      dynamic_shapes=({0: torch.export.Dim("rows")},), dynamo=True)
            except Exception as exc:  # noqa: BLE001
                raise GatermError(f"ONNX export failed: {type(exc).__name__}: {exc}".splitlines()[0]) from None
        else:
            raise GatermError(f"unknown export format {fmt!r}; choose from {', '.join(EXPORT_FORMATS)}")
        sidecar = out.with_name(out.name + ".json")
        sidecar.write_text(json.dumps(self.layout_json(fmt), indent=1) + "\n", encoding="utf-8")
        return sidecar

    def layout_json(self, fmt: str) -> dict[str, Any]:
        p = self.prep
        output = ("probabilities (rows, classes), float32, in the order of `classes`" if p.task == "classification"
                  else "predictions (rows, 1), float64, in the target's units")
        return {
            "format": fmt,
            "task": p.task,
            "genes": self.chromosome.encode(),
            "input": f"float64 (rows, {len(p.features)}): the features below, in this order, unscaled (the "
                     f"model scales them); categories one-hot, no missing values",
            "features": p.features,
            "output": output,
            "classes": p.classes,
            "table": p.raw.get("table"),
            "impute_values": p.raw.get("impute_values"),
        }


def _n_outputs(prep: Preprocessing) -> int:
    return int(prep.raw.get("n_outputs") or (len(prep.classes) if prep.classes else 1))


def _class_key(v: Any) -> str:
    """A label value as text, numbers without a spurious '.0', so 3, 3.0 and "3" are the same class."""
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        f = float(v)
        return str(int(f)) if math.isfinite(f) and f == int(f) else str(f)
    return str(v).strip()
