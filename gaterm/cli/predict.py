"""`gaterm predict RUN_DIR FILE` and `gaterm export RUN_DIR`: a finished run's best model, used."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gaterm.cli.options import Parser


def build_predict_parser() -> argparse.ArgumentParser:
    p = Parser(prog="gaterm predict", description="Predict with a run's best model: one row out per row in. "
               "With the label column present, the metric is printed too.")
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    p.add_argument("file", type=Path, metavar="FILE", help="a CSV or Parquet table with the training columns")
    p.add_argument("--out", type=Path, metavar="PRED.csv", help="write the predictions here (default: stdout)")
    return p


def build_export_parser() -> argparse.ArgumentParser:
    p = Parser(prog="gaterm export", description="Export a run's best model, input scaling included, as a "
               "self-contained file loadable without gaterm, with OUT.json describing its input layout.")
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    p.add_argument("--format", choices=("torchscript", "onnx"), default="torchscript", metavar="FORMAT",
                   help="torchscript (default) or onnx (needs the onnx package)")
    p.add_argument("--out", type=Path, metavar="FILE", help="default: RUN_DIR/model.pt (or model.onnx)")
    return p


def run_predict(args: argparse.Namespace) -> int:
    from gaterm.model import TrainedModel
    from gaterm.tables import read_table

    model = TrainedModel.load(args.run_dir)
    frame = read_table(args.file)
    pred = model.predict(frame, str(args.file))
    for note in pred.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.out is not None:
        pred.frame.to_csv(args.out, index=False)
        where = f"; predictions in {args.out}"
    else:
        pred.frame.to_csv(sys.stdout, index=False)
        where = ""
    if pred.metric is not None:
        print(f"{pred.metric_name} {pred.metric:.6g} on {len(pred.frame)} rows{where}", file=sys.stderr)
    elif args.out is not None:
        print(f"{len(pred.frame)} predictions in {args.out}", file=sys.stderr)
    return 0


def run_export(args: argparse.Namespace) -> int:
    from gaterm.model import TrainedModel

    model = TrainedModel.load(args.run_dir)
    out = args.out or args.run_dir / ("model.pt" if args.format == "torchscript" else "model.onnx")
    sidecar = model.export(args.format, out)
    print(f"wrote {out} ({args.format}) and {sidecar} (its input layout)")
    return 0
